/**
 * Reads the trusted-documents manifest (TRUSTED_DOCUMENTS, src/http/persisted.ts) once, at start:
 * a JSON object `{ "<hash>": "<document>" }` as Relay or graphql-codegen's client preset write
 * it. A wrong file stops the start with a message saying what is wrong with it (src/config.ts);
 * whether each document parses is checked when the server is created (src/http/persisted.ts), so
 * that the command line, which reads the same settings, never loads graphql for it.
 */
import { readFileSync } from "node:fs";

/** Reads a trusted-documents manifest; throws an Error saying what is wrong with it. */
export function readTrustedDocuments(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new Error(`${path} is not an object of { "<hash>": "<document>" }`);
  }
  const documents = new Map<string, string>();
  for (const [key, document] of Object.entries(manifest)) {
    if (typeof document !== "string") {
      throw new Error(`${path}: the entry "${key}" is not a GraphQL document (a string)`);
    }
    documents.set(key, document);
  }
  if (documents.size === 0) throw new Error(`${path} holds no documents`);
  return documents;
}
