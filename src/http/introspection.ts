/**
 * INTROSPECTION=off: `__schema` and `__type` are refused before anything runs, by Yoga's own
 * plugin (@graphql-yoga/plugin-disable-introspection: graphql-js's NoSchemaIntrospectionCustomRule
 * added to validation), and the refusal carries this API's code, INTROSPECTION_DISABLED, like
 * every other error a client can get. `__typename` stays allowed (clients rely on it).
 */
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { GraphQLError, Kind } from "graphql";
import type { Plugin } from "graphql-yoga";
import { IntrospectionDisabledError } from "./errors.ts";

/** The fields through which introspection starts: the rule also reports every field below them. */
const INTROSPECTION_ROOTS = new Set(["__schema", "__type"]);

/** The field graphql-js's rule refused in this validation error, or undefined for other errors. */
function refusedField(error: Error): string | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const node = error.nodes?.[0];
  if (node?.kind !== Kind.FIELD) return undefined;
  return /^GraphQL introspection has been disabled/.test(error.message)
    ? node.name.value
    : undefined;
}

/**
 * The plugins that refuse introspection: one typed error per `__schema` or `__type` selected
 * (the rule's reports of the fields inside them say nothing more and are left out).
 */
export function disableIntrospection(): Plugin[] {
  const typed: Plugin = {
    onValidate() {
      return ({ result, setResult }) => {
        if (!result.some((error) => refusedField(error) !== undefined)) return;
        const errors: Error[] = [];
        for (const error of result) {
          const field = refusedField(error);
          if (field === undefined) errors.push(error);
          else if (INTROSPECTION_ROOTS.has(field)) {
            errors.push(new IntrospectionDisabledError(field, error as GraphQLError));
          }
        }
        setResult(errors);
      };
    },
  };
  return [useDisableIntrospection(), typed];
}
