-- Written by hand: re-index a paper's text only when its title or abstract really changed. The
-- ingest job's upsert sets every column of a changed paper (a new upvote count, say), which fired
-- the trigger, and a delete + insert in the FTS5 index, for text that was the same.
DROP TRIGGER "Paper_search_update";
CREATE TRIGGER "Paper_search_update" AFTER UPDATE OF "title", "abstract" ON "Paper"
WHEN old."title" IS NOT new."title" OR old."abstract" IS NOT new."abstract" BEGIN
  INSERT INTO "PaperSearch" ("PaperSearch", "rowid", "title", "abstract")
    VALUES ('delete', old."id", old."title", old."abstract");
  INSERT INTO "PaperSearch" ("rowid", "title", "abstract") VALUES (new."id", new."title", new."abstract");
END;
