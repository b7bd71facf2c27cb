"""The security master: which company and which security each ticker a document prints stands for, on
its date, the tickers each security carried and when, and the evidence of each fact.

Its other rooms (docs/code_layout.md, Domains): the `reconcile` verb in `cli/membership.py`; the security
master's tables are assets of `defs/membership/`, planned with the membership's inputs
(`planning/stale.py:membership_inputs`)."""
