-- Written by hand (not from the models). A paper's row holds its abstract (~1.2 KB) inline, so
-- three rows fill a page: counting the papers a search finds in most of the table reads most of
-- its pages (20,000 of 38,600 for 68,000 of 100,000 papers), 100-350 ms. Past 512 bytes a row's
-- longest values (the abstract, an AI summary) are now stored out of line, as "searchVector"
-- already is: about ten rows a page, and such a count reads 5,000 (30 ms). Reading a paper's
-- abstract costs a lookup in the TOAST table. Rows are stored so as they are written: new and
-- updated papers at once; for the stored ones, run `VACUUM FULL "Paper"` once (it rewrites the
-- table, holding its lock for about half a minute per 100,000 papers).
ALTER TABLE "Paper" SET (toast_tuple_target = 512);
