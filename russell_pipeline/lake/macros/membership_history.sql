-- members_on(d [, index := 'Russell 3000']): who was in each index (or in one) on date d, with the
-- document row that opened each member's interval. Intervals are [start_date, end_date): a member
-- from the effective open of start_date to the last session before end_date; one whose start is
-- unknown (a deletion no earlier list shows) is never counted.
CREATE MACRO members_on(d, index := NULL) AS TABLE
SELECT index_name, symbol, company, start_date, end_date, start_review, opened_by,
       open_sha256, open_path, open_page, open_line
FROM membership_history
WHERE start_date <= CAST(d AS DATE)
  AND (end_date IS NULL OR end_date > CAST(d AS DATE))
  AND (index IS NULL OR index_name = index)
ORDER BY index_name, symbol;
