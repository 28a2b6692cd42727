/**
 * Typed documents for the tests (and any TypeScript client): `npm run codegen` reads the printed
 * schema and every `graphql(...)` document under test/, and writes test/graphql/.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["test/**/*.ts", "!test/graphql/**"],
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    "test/graphql/": {
      preset: "client",
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Date: "string", DateTime: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
