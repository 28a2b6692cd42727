import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module for everything: Vite would otherwise give the project's own files the
    // package's ESM build and Node give graphql-yoga the CommonJS one, and `instanceof
    // GraphQLError` checks (error masking) would fail across the two.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    env: { NODE_ENV: "test" },
    // Database suites share one SQLite directory and one PostgreSQL server: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `npm test` leaves these out (`--tags-filter='!stress'`); `npm run test:stress` runs only
    // them and `npm run test:all` (CI) everything. Each keeps its full size where it runs.
    tags: [
      {
        name: "stress",
        description:
          "Long proofs: server processes (several at once, killed, signalled), frozen databases, " +
          "search plans compared over thousands of papers, a real browser.",
      },
    ],
  },
});
