"""The reconstitution forecast: which companies enter and leave the Russell 3000, and which cross
between the Russell 1000 and 2000, at a review, from a rank-day universe and the members in force,
by FTSE Russell's published construction rules (rules.py, the table; predict.py, the engine;
score.py, the forecast against the lists FTSE Russell then published).

Its other rooms (docs/code_layout.md, Domains): the `forecast` verb in `cli/forecast.py` (`--demand` sized
in `cli/trades.py`); the assets in `defs/forecast/`; each year's inputs and what is out of date in
`planning/forecast_years.py`; the forecast read back by `lake/index_tables.py:forecast_rows`, the volumes by
`lake/market_tables.py:window_volumes`."""
