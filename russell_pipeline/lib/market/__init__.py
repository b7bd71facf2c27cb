"""The market-data contract (validation) and the synthetic feed.

Its other rooms (docs/code_layout.md, Domains): `build` in `cli/lake.py` reads it; the assets in
`defs/market/`; what is out of date in `planning/stale.py:market_stale` and the run's plan in
`planning/market_update.py`; the stored tables read back by `lake/market_tables.py`."""
