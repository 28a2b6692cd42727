/** A one-line progress bar on a terminal (standard error); nothing at all when it is not a TTY. */
export function progressBar(
  stream: NodeJS.WriteStream = process.stderr,
): ((done: number, total: number, papers: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const started = performance.now();
  let last = 0;
  return (done, total, papers) => {
    const now = performance.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? Math.round(papers / seconds) : 0;
    stream.write(
      `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} digests, ${papers} papers, ${rate} papers/s `,
    );
    if (done === total) stream.write("\n");
  };
}
