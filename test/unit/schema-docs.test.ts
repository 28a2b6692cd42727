/**
 * Every element of the schema clients see is documented: each type, field, argument, enum value
 * and input field of the built schema (src/graphql/schema.ts, what schema/schema.graphql prints)
 * has a description. The test names each undocumented one, so a new field without a description
 * fails the build.
 */
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/graphql/schema.ts";

/** A description that says something: not missing, not blank, not the element's own name. */
function documented(name: string, description: string | null | undefined): boolean {
  const text = description?.trim() ?? "";
  return text !== "" && text.toLowerCase() !== name.toLowerCase();
}

/** The schema coordinates (`Type.field(arg:)`) of every element without a description. */
function undocumented(): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, name: string, description: string | null | undefined) => {
    if (!documented(name, description)) missing.push(coordinate);
  };
  const checkArgs = (owner: string, args: readonly GraphQLArgument[]) => {
    for (const arg of args) check(`${owner}(${arg.name}:)`, arg.name, arg.description);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    // The built-in scalars and the introspection types are documented by the GraphQL spec.
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    check(type.name, type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        check(`${type.name}.${field.name}`, field.name, field.description);
        checkArgs(`${type.name}.${field.name}`, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLInputField[]) {
        check(`${type.name}.${field.name}`, field.name, field.description);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        check(`${type.name}.${value.name}`, value.name, value.description);
      }
    }
  }
  return missing.sort();
}

describe("schema documentation", () => {
  it("has a description on every type, field, argument, enum value and input field", () => {
    expect(undocumented()).toEqual([]);
  });
});
