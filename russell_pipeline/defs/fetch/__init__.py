"""Dagster definitions of the fetch domain."""
