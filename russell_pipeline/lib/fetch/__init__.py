"""Fetching published documents: the source registry, the HTTP client, verified downloads.

Its other rooms (docs/code_layout.md, Domains): the `fetch` verb in `cli/lake.py`; the asset in
`defs/fetch/` (run when asked); the years to fetch read by `lake/document_tables.py:fetch_years`."""
