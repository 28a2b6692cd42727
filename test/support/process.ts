/** Starts `src/main.ts` in its own process, as `npm start` does, and waits for its URL. */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServerProcess {
  child: ChildProcess;
  url: Promise<string>;
  /** What the process wrote to standard error so far (its JSON logs). */
  stderr: () => string;
}

export function startServerProcess(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const url = new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
      const match = /serving (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}
