-- The directory is searched in memory (`directory_index`): the folded search columns and
-- the index that served the SQL search cost every write and were read by nobody.
DROP INDEX users_directory;
ALTER TABLE users DROP COLUMN search_text;
ALTER TABLE users DROP COLUMN search_facets;
ALTER TABLE users DROP COLUMN sort_key;
