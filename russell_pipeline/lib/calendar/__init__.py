"""The reconstitution calendar: rules by era, published schedules, iCalendar output.

Its other rooms (docs/code_layout.md, Domains): the `calendar` verb in `cli/documents.py`; the assets in
`defs/calendar/`; what is out of date in `planning/stale.py:years_out_of_date` (with the documents); the
review dates read back by `lake/document_tables.py:stored_review_dates`."""
