"""The lake: Delta tables and the DuckDB warehouse (`Lake`, store.py), the one write path (commit.py)."""
