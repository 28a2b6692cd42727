/**
 * Errors of the domain rooms (papers, search), free of any transport: the GraphQL layer turns an
 * `ArgumentError` into a `BAD_USER_INPUT` error naming the argument (src/graphql/errors.ts).
 */

/** An argument a caller got wrong: which one (`filter.search`, `first`), and why. */
export class ArgumentError extends Error {
  override name = "ArgumentError";
  constructor(
    readonly argument: string,
    readonly problem: string,
  ) {
    super(`${argument}: ${problem}`);
  }
}
