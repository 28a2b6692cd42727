/** Documents in the schema the `extensions.code` values that errors of this API carry. */
import { builder } from "../builder.ts";
import { ERROR_CODES } from "../errors.ts";

builder.enumType("ErrorCode", {
  description:
    'The `extensions.code` of an error this API returns. Any other failure is reported as `INTERNAL_SERVER_ERROR` with the message "Unexpected error." and no details.',
  values: {
    ...Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, description]) => [code, { description }]),
    ),
    INTERNAL_SERVER_ERROR: {
      description: "Something failed on the server; details are logged, not returned.",
    },
  },
});
