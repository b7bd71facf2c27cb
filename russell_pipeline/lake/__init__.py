"""The lake: Delta tables and the DuckDB warehouse (store.py), the one write path of the assets (commit.py)."""
