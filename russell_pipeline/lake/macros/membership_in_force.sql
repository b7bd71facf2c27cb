-- members_on(d [, index := 'Russell 3000']): who was in each index (or in one) on date d, as the
-- documents in force that day print them (company, sector and the row they come from), with the
-- interval each member is in and the row that opened it. `complete` says whether the rows are the
-- whole index that day: true when a membership list is in force and every final change list since
-- is stored; false when the lake holds only part of it (change lists without a list in force), so
-- a count over rows with complete = false is not the index's. No row: nothing stored covers d.
-- `derived_from` names the two indexes a derived one comes from (Russell 1000 = Russell 3000 minus
-- Russell 2000 of the same date).
CREATE MACRO members_on(d, index := NULL) AS TABLE
SELECT index_name, symbol, company, start_date, end_date, start_review, opened_by,
       open_sha256, open_path, open_page, open_line, member, sector, classification, complete, derived_from,
       base_review, base_path, source_sha256, source_path, source_page, source_line
FROM membership_in_force
WHERE valid_from <= CAST(d AS DATE)
  AND (valid_to IS NULL OR valid_to > CAST(d AS DATE))
  AND (index IS NULL OR index_name = index)
ORDER BY index_name, symbol;
