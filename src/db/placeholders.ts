/** Positional parameters for raw SQL sent through Prisma: `?` on SQLite, `$n` on PostgreSQL. */
import type { Provider } from "./target.ts";

/** The placeholder of the `index`-th parameter (1-based). */
export function placeholder(provider: Provider, index: number): string {
  return provider === "sqlite" ? "?" : `$${index}`;
}

/** `count` placeholders, numbered from `offset + 1`, comma separated. */
export function placeholders(provider: Provider, count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => placeholder(provider, offset + i + 1)).join(", ");
}
