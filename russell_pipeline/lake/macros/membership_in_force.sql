-- members_on(d [, index := 'Russell 3000']): who was in each index (or in one) on date d, as the
-- documents in force that day print them (company, sector and the row they come from), with the
-- interval each member is in and the row that opened it. `symbol` is the ticker the member is known by on
-- d (the security master, `securities`: a member renamed since its document carries its new ticker),
-- `listed_symbol` the one its document prints, `security_id` the security both stand for. `complete` says
-- whether the rows are the whole index that day: true when a membership list is in force, every final
-- change list and quarterly IPO addition list since is stored and every deletion is placed among the
-- members; false when the lake holds only part of it, and `gaps` says what is missing, so a count over
-- rows with complete = false is not the index's. No row: nothing stored covers d. `derived_from` names
-- the two indexes a derived one comes from (Russell 1000 = Russell 3000 minus Russell 2000 of the same
-- date).
CREATE MACRO members_on(d, index := NULL) AS TABLE
SELECT m.index_name, coalesce(s.ticker, m.symbol) AS symbol, m.symbol AS listed_symbol, m.security_id,
       m.company, m.start_date, m.end_date, m.start_review, m.opened_by,
       m.open_sha256, m.open_path, m.open_page, m.open_line, m.member, m.sector, m.classification, m.complete,
       m.gaps, m.derived_from, m.base_review, m.base_path, m.source_sha256, m.source_path, m.source_page,
       m.source_line
FROM membership_in_force m
LEFT JOIN securities s
  ON s.security_id = m.security_id
 AND (s.valid_from IS NULL OR s.valid_from <= CAST(d AS DATE))
 AND (s.valid_to IS NULL OR s.valid_to > CAST(d AS DATE))
WHERE m.valid_from <= CAST(d AS DATE)
  AND (m.valid_to IS NULL OR m.valid_to > CAST(d AS DATE))
  AND (index IS NULL OR m.index_name = index)
ORDER BY m.index_name, symbol;
