/**
 * Q1-Q5 of the peer benchmark, as each server is asked them (papergraph's GraphQL, PostGraphile's
 * generated GraphQL, the floor's operation names), and each answer read back as the same rows, so
 * that the servers can be checked to answer the same thing before they are timed.
 */

export type Kind = "papergraph" | "postgraphile" | "floor";
export const QUERY_IDS = ["Q1", "Q2", "Q3", "Q4", "Q5"] as const;
export type QueryId = (typeof QUERY_IDS)[number];

export const QUERY_TITLES: Record<QueryId, string> = {
  Q1: "Q1 first 20 papers by upvotes, with authors",
  Q2: "Q2 the same, 10,000 rows deep",
  Q3: "Q3 one paper by arXiv id, with authors",
  Q4: "Q4 one day's first 20 entries by rank",
  Q5: "Q5 selective full-text search by upvotes, first 20",
};

/** What the queries ask for, the same on every server (`after` is each server's own cursor). */
export interface Parameters {
  arxivId: string;
  date: string;
  /** The words of the search, as a user types them (papergraph's `filter.search`). */
  search: string;
  /** The tsquery papergraph builds from them (src/search/documents.ts), for PostGraphile and the floor. */
  tsquery: string;
  /** The cursor of row 10,000 in upvotes order, as this server writes it. */
  after: string;
}

/** One row of an answer, normalised: what every server must agree on. */
export interface Row {
  rank?: number;
  entryUpvotes?: number;
  arxivId: string | null;
  title: string;
  upvotes?: number;
  authors: string[];
}

const PG_PAPER = "arxivId title upvotes authors { name }";
const PG_PAGE = `edges { cursor node { ${PG_PAPER} } }`;

/** papergraph (and, as `op`, the floor): the queries of the issue. */
const PAPERGRAPH: Record<QueryId, string> = {
  Q1: `query Q1 { papers(first: 20, orderBy: { field: UPVOTES }) { ${PG_PAGE} } }`,
  Q2: `query Q2($after: String!) { papers(first: 20, after: $after, orderBy: { field: UPVOTES }) { ${PG_PAGE} } }`,
  Q3: `query Q3($arxivId: String!) { paper(arxivId: $arxivId) { ${PG_PAPER} } }`,
  Q4: `query Q4($date: Date!) { day(date: $date) { papers(first: 20) { edges { node { rank upvotes paper { arxivId title authors { name } } } } } } }`,
  Q5: `query Q5($search: String!) { papers(first: 20, filter: { search: $search }, orderBy: { field: UPVOTES }) { ${PG_PAGE} } }`,
};

/**
 * PostGraphile (Amber): its generated fields. Prisma makes `arxivId` and `date` unique through
 * unique indexes, not constraints, so PostGraphile offers no `paperByArxivId`: a condition on the
 * connection instead (it has an index). Ties in upvotes are broken by id, descending, as papergraph
 * breaks them; authors are the visible ones, by position.
 */
const AUTHORS = `paperAuthorsByPaperId(condition: { hidden: false }, orderBy: POSITION_ASC) { nodes { authorByAuthorId { name } } }`;
const PGL_PAPER = `arxivId title upvotes ${AUTHORS}`;
const PGL_PAGE = `edges { cursor node { ${PGL_PAPER} } }`;
const POSTGRAPHILE: Record<QueryId, string> = {
  Q1: `query Q1 { allPapers(first: 20, orderBy: [UPVOTES_DESC, ROW_ID_DESC]) { ${PGL_PAGE} } }`,
  Q2: `query Q2($after: Cursor!) { allPapers(first: 20, after: $after, orderBy: [UPVOTES_DESC, ROW_ID_DESC]) { ${PGL_PAGE} } }`,
  Q3: `query Q3($arxivId: String!) { allPapers(condition: { arxivId: $arxivId }, first: 1) { nodes { ${PGL_PAPER} } } }`,
  Q4: `query Q4($date: String!) { allDays(condition: { date: $date }, first: 1) { nodes { dayEntriesByDayId(first: 20, orderBy: [RANK_ASC, PAPER_ID_ASC]) { edges { node { rank upvotes paperByPaperId { arxivId title ${AUTHORS} } } } } } } }`,
  Q5: `query Q5($tsquery: String!) { searchPapers(query: $tsquery, first: 20) { ${PGL_PAGE} } }`,
};

/** The variables each query of each server takes. */
function variables(kind: Kind, id: QueryId, p: Parameters): Record<string, string> {
  switch (id) {
    case "Q1":
      return {};
    case "Q2":
      return { after: p.after };
    case "Q3":
      return { arxivId: p.arxivId };
    case "Q4":
      return { date: p.date };
    case "Q5":
      return kind === "papergraph" ? { search: p.search } : { tsquery: p.tsquery };
  }
}

/** The POST body of a query for a server. */
export function requestBody(kind: Kind, id: QueryId, p: Parameters): string {
  const vars = variables(kind, id, p);
  if (kind === "floor") return JSON.stringify({ op: id, variables: vars });
  const query = (kind === "papergraph" ? PAPERGRAPH : POSTGRAPHILE)[id];
  return JSON.stringify({ query, variables: vars });
}

/** The request that pages 100 rows at a time in upvotes order, for Q2's cursor (GraphQL servers). */
export function pagingBody(kind: "papergraph" | "postgraphile", after: string | null): string {
  const query =
    kind === "papergraph"
      ? `query Paging($after: String) { papers(first: 100, after: $after, orderBy: { field: UPVOTES }) { pageInfo { endCursor } } }`
      : `query Paging($after: Cursor) { allPapers(first: 100, after: $after, orderBy: [UPVOTES_DESC, ROW_ID_DESC]) { pageInfo { endCursor } } }`;
  return JSON.stringify({ query, variables: { after } });
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field and checked by shape
type Json = any;

const names = (list: Json[]): string[] => list.map((a) => a.name as string);
const pgAuthors = (node: Json): string[] =>
  (node.paperAuthorsByPaperId.nodes as Json[]).map((n) => n.authorByAuthorId.name as string);
const paperRow = (node: Json, authors: string[]): Row => ({
  arxivId: node.arxivId,
  title: node.title,
  upvotes: node.upvotes,
  authors,
});

/** The rows of an answer (`data` of the JSON); throws when it is not shaped as expected. */
export function answerRows(kind: Kind, id: QueryId, data: Json): Row[] {
  if (kind === "postgraphile") {
    switch (id) {
      case "Q1":
      case "Q2":
        return (data.allPapers.edges as Json[]).map((e) => paperRow(e.node, pgAuthors(e.node)));
      case "Q3":
        return (data.allPapers.nodes as Json[]).map((n) => paperRow(n, pgAuthors(n)));
      case "Q4":
        return (data.allDays.nodes as Json[]).flatMap((day) =>
          (day.dayEntriesByDayId.edges as Json[]).map((e) => ({
            rank: e.node.rank,
            entryUpvotes: e.node.upvotes,
            arxivId: e.node.paperByPaperId.arxivId,
            title: e.node.paperByPaperId.title,
            authors: pgAuthors(e.node.paperByPaperId),
          })),
        );
      case "Q5":
        return (data.searchPapers.edges as Json[]).map((e) => paperRow(e.node, pgAuthors(e.node)));
    }
  }
  // papergraph and the floor answer the same shape.
  switch (id) {
    case "Q1":
    case "Q2":
    case "Q5":
      return (data.papers.edges as Json[]).map((e) => paperRow(e.node, names(e.node.authors)));
    case "Q3":
      return data.paper ? [paperRow(data.paper, names(data.paper.authors))] : [];
    case "Q4":
      return data.day
        ? (data.day.papers.edges as Json[]).map((e) => ({
            rank: e.node.rank,
            entryUpvotes: e.node.upvotes,
            arxivId: e.node.paper.arxivId,
            title: e.node.paper.title,
            authors: names(e.node.paper.authors),
          }))
        : [];
  }
}

/** Rows each query must return: a check that no answer is trivially equal (empty). */
export const EXPECTED_ROWS: Record<QueryId, number> = { Q1: 20, Q2: 20, Q3: 1, Q4: 20, Q5: 20 };
