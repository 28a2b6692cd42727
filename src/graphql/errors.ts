/**
 * The errors a client can get, each with a stable `extensions.code` (documented in the schema's
 * description and the README). Anything else is masked by Yoga: "Unexpected error.", no stack.
 */
import { GraphQLError } from "graphql";

export const ERROR_CODES = {
  BAD_USER_INPUT: "an argument is invalid; `extensions.argument` names it",
  NOT_FOUND: "an id names nothing",
  QUERY_TOO_COMPLEX: "the operation exceeds the depth, breadth, cost, alias or token limits",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An argument the client got wrong: says which one and why. */
export class UserInputError extends GraphQLError {
  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`, {
      extensions: { code: "BAD_USER_INPUT" satisfies ErrorCode, argument },
    });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(what: string, id: string) {
    super(`${what} ${id} does not exist`, {
      extensions: { code: "NOT_FOUND" satisfies ErrorCode, id },
    });
  }
}
