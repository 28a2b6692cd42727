/**
 * Issue 8's attacks, replayed against a real server process on loopback, for this checkout and
 * (with `--before <checkout>`) another one side by side: each attack gets a fresh server started
 * from that checkout's `src/main.ts` on the same SQLite database, and reports the server's memory,
 * the latency of /health while the attack runs, and what the attack got. Every attack is bounded
 * in time, size and count (see each module in bench/abuse/).
 *
 *   npx tsx bench/abuse.ts [--before <checkout>] [--days 300] [--only metrics,nodes,body,cost,csrf,jwt]
 *
 * Items 5 (subscription fan-out) and 6 (SQLite lock waits) have their own runners, which this one
 * starts last: `npx tsx bench/subscriptions.ts --checkout <before>` and
 * `npx tsx bench/abuse/sqlite-locks.ts --before <before>` (skip them with `--only`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { openDatabase } from "../src/db/client.ts";
import { createTestTarget } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { chunkedBody } from "./abuse/chunked-body.ts";
import { csrf } from "./abuse/csrf.ts";
import { expensiveQueries } from "./abuse/expensive-queries.ts";
import { jwtAbuse, startJwksServer } from "./abuse/jwt.ts";
import type { Measurements, Target } from "./abuse/measure.ts";
import { metricsCardinality } from "./abuse/metrics-cardinality.ts";
import { runNodesAttack } from "./abuse/nodes.ts";
import { loadCheckout } from "./checkout.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    days: { type: "string", default: "300" },
    only: { type: "string", default: "metrics,nodes,body,cost,csrf,jwt,subscriptions,locks" },
  },
});
const only = new Set(values.only.split(","));
const METRICS_TOKEN = "abuse-bench-metrics-token";

interface Row {
  attack: string;
  code: string;
  m: Measurements;
  outcome: string;
}

type Attack = (
  target: Target,
  extra: { token: string; paperId: string },
) => Promise<{
  measurements: Measurements;
  outcome: string;
}>;

const ATTACKS: Record<string, { title: string; env?: Record<string, string>; run: Attack }> = {
  metrics: {
    title: "1. 20,000 operation names and GET query strings, then a scrape",
    run: async (target) => {
      const r = await metricsCardinality(target, { metricsToken: METRICS_TOKEN });
      return {
        measurements: r.measurements,
        outcome: `anonymous scrape ${r.anonymousScrapeStatus}; scrape ${(r.scrapeBytes / 1024).toFixed(0)} KB in ${r.scrapeMs} ms (/health worst ${r.healthDuringScrapeMs} ms); ${r.operationLabels} operation labels`,
      };
    },
  },
  nodes: {
    title: "2. nodes(ids:) with 1,500 Day ids, each with 100 papers",
    run: async (target) => {
      const started = performance.now();
      const r = await runNodesAttack({ url: target.url, pid: target.pid, ids: 1_500 });
      const mb = (bytes: number | null) => (bytes === null ? 0 : Math.round(bytes / 1024 / 1024));
      return {
        measurements: {
          rssBeforeMb: mb(r.peakRssBytesBefore),
          peakRssMb: mb(r.peakRssBytes),
          health: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, probes: 0, failed: 0 },
          errors: r.status === null ? 1 : 0,
          ms: Math.round(performance.now() - started),
        },
        outcome: `${r.status} ${r.errorCodes.join(",") || "data"}: ${(r.responseBytes / 1024 / 1024).toFixed(1)} MB in ${Math.round(r.ms)} ms`,
      };
    },
  },
  body: {
    title: "3. 5 x 720 KB and 5 x 20 MB bodies, chunked",
    run: async (target) => {
      const r = await chunkedBody(target);
      return {
        measurements: r.measurements,
        outcome: r.outcomes
          .map(
            (o) =>
              `${(o.bytes / 1024).toFixed(0)} KB: ${JSON.stringify(o.statuses)}, ${o.executed} executed, ${(o.writtenMedian / 1024).toFixed(0)} KB read`,
          )
          .join("; "),
      };
    },
  },
  cost: {
    title: "4. 30 aliased author counts, 28 aliased topAuthors, one client repeating a count",
    run: async (target) => {
      const r = await expensiveQueries(target, { rounds: 2, drainSeconds: 10 });
      const ops = r.operations.map(
        (o) =>
          `${o.name}: ${o.answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ""} ${a.ms} ms`).join(", ")}`,
      );
      const rest = Object.entries(r).filter(([k]) => k !== "measurements" && k !== "operations");
      return {
        measurements: r.measurements,
        outcome: [...ops, ...rest.map(([k, v]) => `${k}: ${JSON.stringify(v)}`)].join("; "),
      };
    },
  },
  csrf: {
    title: "15. a vote posted as a form, multipart and text/plain from another origin",
    run: async (target, { token, paperId }) => {
      const r = await csrf(target, { token, paperId });
      return {
        measurements: r.measurements,
        outcome: `${Object.entries(r.posts)
          .map(([kind, p]) => `${kind} ${p.status}${p.ran ? " RAN" : ""}`)
          .join(
            ", ",
          )}; votes ${r.localUpvotes.before} -> ${r.localUpvotes.after}; other origin gets credentials: ${r.cors.allowCredentials ?? "no"}`,
      };
    },
  },
  jwt: {
    title: "14. JWTs: unknown key ids, no exp, a long life, a numeric sub",
    run: async () => {
      throw new Error("run through runJwt");
    },
  },
};

function row(attack: string, code: string, m: Measurements, outcome: string): Row {
  return { attack, code, m, outcome };
}

async function runCode(label: string, root: string, corpus: string[]): Promise<Row[]> {
  const code = await loadCheckout(label, root);
  const { target, drop } = await createTestTarget("sqlite");
  const rows: Row[] = [];
  try {
    await code.upgrade(target);
    const sql = code.sql.openSqlClient(target);
    await code.ingest.ingest(
      sql,
      corpus.map((source) => ({ source })),
    );
    await sql.close();
    const database = await openDatabase(target);
    await createUser(database.db, "abuse");
    const { token } = await createToken(database.db, "abuse");
    const paper = await database.db.paper.findFirstOrThrow({ select: { id: true } });
    await database.close();
    const paperId = Buffer.from(`Paper:${paper.id}`).toString("base64");
    const jwks = only.has("jwt") ? await startJwksServer() : undefined;
    try {
      for (const [name, attack] of Object.entries(ATTACKS)) {
        if (!only.has(name)) continue;
        const server = startServerProcess(
          {
            DATABASE_URL: target.url,
            LOG_LEVEL: "error",
            SAMPLE_DATA: "false",
            METRICS_TOKEN,
            ...(name === "jwt" && jwks ? { JWT_JWKS_URI: jwks.uri } : {}),
          },
          { cwd: resolve(root) },
        );
        try {
          const url = (await server.url).replace("localhost", "127.0.0.1");
          const target = { url, pid: server.child.pid as number };
          if (name === "jwt" && jwks) {
            const r = await jwtAbuse(target, { jwks });
            const rest = Object.entries(r).filter(([k]) => k !== "measurements");
            rows.push(
              row(
                attack.title,
                label,
                r.measurements,
                rest.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("; "),
              ),
            );
          } else {
            const { measurements, outcome } = await attack.run(target, { token, paperId });
            rows.push(row(attack.title, label, measurements, outcome));
          }
        } catch (error) {
          rows.push(
            row(
              attack.title,
              label,
              {
                rssBeforeMb: 0,
                peakRssMb: 0,
                health: { p50: 0, p99: 0, max: 0, probes: 0, failed: 0 },
                errors: 1,
                ms: 0,
              },
              `the attack failed: ${(error as Error).message.slice(0, 200)}`,
            ),
          );
        } finally {
          server.child.kill("SIGKILL");
          await server.exited;
        }
      }
    } finally {
      await jwks?.close();
    }
  } finally {
    await drop();
  }
  return rows;
}

const days = Number(values.days);
const dir = `bench/out/digests-${days}x100`;
if (!existsSync(dir) || readdirSync(dir).length !== days) {
  generateCorpus({ days, papers: 100, textEvery: 10, out: dir });
}
const corpus = readdirSync(dir)
  .sort()
  .map((name) => join(dir, name));

const rows = await runCode("this checkout", ".", corpus);
if (values.before) rows.push(...(await runCode("before", values.before, corpus)));
rows.sort((a, b) => a.attack.localeCompare(b.attack) || a.code.localeCompare(b.code));
const ms = (n: number) => (Number.isNaN(n) ? "n/a" : `${Math.round(n)} ms`);
console.log(
  `\n${days} days x 100 papers on SQLite; a fresh server per attack\n\n| attack | code | server RSS before / peak | /health p50 / p99 during it | outcome |\n|---|---|---|---|---|`,
);
for (const r of rows) {
  console.log(
    `| ${r.attack} | ${r.code} | ${r.m.rssBeforeMb} / ${r.m.peakRssMb} MB | ${ms(r.m.health.p50)} / ${ms(r.m.health.p99)} | ${r.outcome} |`,
  );
}

// Items 5 and 6 have their own runners (their set-up differs: thousands of subscribers, a second
// process ingesting).
const before = values.before ? resolve(values.before) : undefined;
const runners: [string, string[]][] = [
  ["subscriptions", ["bench/subscriptions.ts", ...(before ? ["--checkout", before] : [])]],
  ["locks", ["bench/abuse/sqlite-locks.ts", ...(before ? ["--before", before] : [])]],
];
for (const [name, args] of runners) {
  if (!only.has(name)) continue;
  console.log(`\n## ${name}: npx tsx ${args.join(" ")}\n`);
  spawnSync(process.execPath, ["--import", "tsx", ...args], { stdio: "inherit", timeout: 900_000 });
}
