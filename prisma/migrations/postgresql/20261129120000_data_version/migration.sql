-- The data version (src/db/data-version.ts): bumped after every committed write, read by the
-- response cache before each request. Not a Prisma model: a sequence, non-transactional and cheap.
CREATE SEQUENCE "papergraph_data_version";
