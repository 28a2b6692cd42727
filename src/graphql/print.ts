/**
 * `npm run schema` writes schema/schema.graphql; `npm run schema -- --check` fails when the
 * committed file differs from what the code defines (CI runs it).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./schema.ts";

const FILE = "schema/schema.graphql";
const printed = `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(FILE, "utf8");
  } catch {}
  if (committed !== printed) {
    console.error(`${FILE} is stale: run \`npm run schema\` and commit the result`);
    process.exitCode = 1;
  } else {
    console.log(`${FILE} is up to date`);
  }
} else {
  mkdirSync("schema", { recursive: true });
  writeFileSync(FILE, printed);
  console.log(`wrote ${FILE}`);
}
