"""Standard Dagster metadata for the lake's tables: contracts on the definitions, truths per partition."""

from __future__ import annotations

import dagster as dg
import polars as pl

from russell_pipeline.lake.commit import Check
from russell_pipeline.lake.store import Lake

OWNERS = ["team:index-data"]
KINDS = {"polars", "parquet", "duckdb"}


def table_definition(table: str, schema: dict[str, pl.DataType], description: str, **extra) -> dict:
    """AssetSpec/asset keyword arguments for a lake table: its contract as the column schema."""
    columns = [dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()]
    return {
        "description": description,
        "owners": OWNERS,
        "kinds": KINDS | extra.pop("kinds", set()),
        "metadata": {
            "dagster/column_schema": dg.TableSchema(columns=columns),
            "dagster/table_name": f"warehouse.main.{table}",
        },
        **extra,
    }


def partition_facts(store: Lake, table: str, rows: pl.DataFrame, date_column: str | None = None, **facts) -> dict:
    """What one partition holds, for its own materialization: rows, date range and where it came from."""
    out: dict = {"dagster/row_count": rows.height, "dagster/uri": store.uri(table)}
    if date_column is not None and rows.height:
        out |= {"first_date": str(rows[date_column].min()), "last_date": str(rows[date_column].max())}
    if not rows.height:
        out["status"] = facts.pop("empty_because", "empty")
    return out | {k: v for k, v in facts.items() if k != "empty_because"}


def add_partition_facts(context: dg.AssetExecutionContext, asset: str, facts: dict[str, dict]) -> None:
    """Attach each partition's own facts to its materialization (a ranged run records one per partition)."""
    for key, meta in facts.items():
        context.add_asset_metadata(meta, asset_key=asset, partition_key=key)


def no_nulls(asset: str) -> Check:
    """The contract's non-nullable columns hold no null (`lib/table_checks.REQUIRED_COLUMNS`)."""
    return Check(asset, "no_null_contract_columns", "No null in a non-nullable contract column.", "block")
