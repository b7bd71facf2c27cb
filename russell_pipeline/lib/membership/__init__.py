"""Membership history from the lists, its reconciliation with the change lists, list revisions.

Its other rooms (docs/code_layout.md, Domains): the `members` and `diff` verbs in `cli/membership.py`; the
assets in `defs/membership/`; what is out of date in `planning/stale.py:membership_stale`; the lists read
back by `lake/document_tables.py:ingested_lists`."""
