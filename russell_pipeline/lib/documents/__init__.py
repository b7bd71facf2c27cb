"""Reading published documents: PDF text layer, list parser, document kind, raw-file rules, a year's
tables.

Its other rooms (docs/code_layout.md, Domains): the `parse` verb in `cli/documents.py`; the assets in
`defs/documents/`; what is out of date in `planning/stale.py:years_out_of_date` from
`planning/digests.py:year_files`; the lake's readers in `lake/document_tables.py`."""
