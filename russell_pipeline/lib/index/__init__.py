"""The 90/10 index: weights, daily levels, the checks that recompute them a second way, the report.

Its other rooms (docs/code_layout.md, Domains): the `report` and `pro-forma` verbs in `cli/index.py`, a
fund's trade in `cli/trades.py`; the assets in `defs/index/`; what is out of date in
`planning/stale.py:reviews_out_of_date`; the lake's readers in `lake/index_tables.py` and
`lake/market_tables.py:pro_forma_market_data`."""
