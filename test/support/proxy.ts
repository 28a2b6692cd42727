/**
 * A TCP proxy put between a server under test and a real dependency (PostgreSQL, Redis), to make
 * that dependency misbehave without touching it: `freeze` stops every byte both ways while
 * connections stay open (what SIGSTOP does to a server: the kernel still accepts connections, and
 * nothing answers), `down` resets every connection and refuses new ones (a crashed server), `pass`
 * forwards again (frozen bytes flow on, as after SIGCONT).
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export type ProxyMode = "pass" | "freeze" | "down";

export interface Proxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  set(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  let mode: ProxyMode = "pass";
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (mode === "down") {
      client.resetAndDestroy();
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const [from, to] of [pair, [upstream, client]] as const) {
      from.on("data", (chunk) => to.write(chunk));
      from.on("close", end);
      from.on("error", end);
    }
    if (mode === "freeze") for (const socket of pair) socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    set(next) {
      mode = next;
      for (const pair of pairs) {
        for (const socket of pair) {
          if (next === "freeze") socket.pause();
          else if (next === "pass") socket.resume();
          else socket.resetAndDestroy();
        }
      }
    },
    async close() {
      for (const pair of pairs) for (const socket of pair) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
