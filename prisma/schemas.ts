/** Writes the per-engine Prisma schemas from the one model source, prisma/models.prisma. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

export const PROVIDERS = ["sqlite", "postgresql"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Pothos' types and datamodel, from one engine's client: the models are the same on both. */
const POTHOS_GENERATOR = `
generator pothos {
  provider     = "prisma-pothos-types"
  clientOutput = "../prisma/sqlite/client.ts"
  output       = "../../src/generated/pothos/prisma-types.ts"
  generateDatamodel = "true"
}
`;

const HEADER = "// Generated from prisma/models.prisma by `npm run generate`. Do not edit.\n";

/** The schema text of one engine. `legacyUrl` adds what the Prisma 6 CLI (migration authoring) needs. */
export function providerSchema(
  provider: Provider,
  options: { legacyUrl?: boolean; models?: string } = {},
): string {
  const models = options.models ?? readModels();
  const datasource = options.legacyUrl
    ? `datasource db {\n  provider = "${provider}"\n  url      = env("DATABASE_URL")\n}\n`
    : `datasource db {\n  provider = "${provider}"\n}\n`;
  const generator = options.legacyUrl
    ? `generator client {\n  provider   = "prisma-client-js"\n  engineType = "client"\n}\n`
    : `generator client {\n  provider     = "prisma-client"\n  output       = "../../src/generated/prisma/${provider}"\n  moduleFormat = "esm"\n  importFileExtension = "ts"\n  compilerBuild = "small"\n}\n${provider === "sqlite" ? POTHOS_GENERATOR : ""}`;
  return `${HEADER}\n${datasource}\n${generator}\n${models}`;
}

export function readModels(): string {
  return readFileSync(new URL("./models.prisma", import.meta.url), "utf8");
}

export function writeProviderSchemas(): Record<Provider, string> {
  const paths = {} as Record<Provider, string>;
  for (const provider of PROVIDERS) {
    mkdirSync(`prisma/${provider}`, { recursive: true });
    paths[provider] = `prisma/${provider}/schema.prisma`;
    writeFileSync(paths[provider], providerSchema(provider));
  }
  return paths;
}
