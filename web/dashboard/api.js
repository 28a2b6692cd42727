/**
 * The dashboard's GraphQL operations and how they are sent: POST /graphql with a JSON body, as
 * any client would. A typed error of the API (`extensions.code`, e.g. QUERY_TOO_COMPLEX for a
 * range too long) becomes an ApiError carrying its code and message, for the page to show.
 */

const ENDPOINT = "/graphql";

/** How many authors and papers the top lists show. */
export const TOP = 10;

/**
 * The default range: the digests' days, at most this many up to the newest. The API prices the
 * range fields by the day (src/graphql/builder.ts): the page's first load costs about 17,000
 * points of the 100,000 a client may spend a minute (QUERY_BUDGET_PER_MINUTE), so a visitor can
 * load it a few times a minute. Ranges of up to about 660 days fit the limit of one operation.
 */
export const DEFAULT_SPAN_DAYS = 180;

/** The newest and the oldest digest day (days are listed newest first). */
export const EXTENT = `query DashboardExtent {
  newest: days(first: 1) { nodes { date } }
  oldest: days(last: 1) { nodes { date } }
}`;

export const SERIES = `query DashboardSeries($from: Date!, $to: Date!, $bucket: Bucket!) {
  timeSeries(from: $from, to: $to, bucket: $bucket) { bucket start end papers upvotes }
}`;

export const TOP_AUTHORS = `query DashboardTopAuthors($from: Date!, $to: Date!, $first: Int!) {
  topAuthors(from: $from, to: $to, first: $first) { author { id name } papers upvotes }
}`;

export const TOP_PAPERS = `query DashboardTopPapers($from: Date!, $to: Date!, $first: Int!) {
  topPapers(from: $from, to: $to, first: $first) { id title arxivId arxivUrl upvotes }
}`;

export const HISTORY = `query DashboardHistory($id: ID!) {
  node(id: $id) {
    ... on Paper { id title arxivId upvotes upvoteHistory { date upvotes } }
  }
}`;

/** An error the API answered with: its code (`extensions.code`) and its message. */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }
}

/** Runs an operation; resolves to its data, or rejects with an ApiError (or the abort). */
export async function request(query, variables, signal) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `the server answered HTTP ${response.status}`);
  }
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.extensions?.code ?? "ERROR", error.message);
  if (!body.data) throw new ApiError(`HTTP_${response.status}`, "the answer has no data");
  return body.data;
}
