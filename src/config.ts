/** Configuration from the environment, validated once, with a clear message for each wrong value. */
import { type DatabaseTarget, DEFAULT_DATABASE_URL, parseDatabaseUrl } from "./db/target.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Config {
  database: DatabaseTarget;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  let database: DatabaseTarget | undefined;
  try {
    database = parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0 || !database) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return { database };
}
