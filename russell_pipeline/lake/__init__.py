"""The lake: Delta tables and the DuckDB warehouse (`Lake`, lake_root.py), the one write path (staged.py)."""
