"""Standard Dagster metadata for the lake's tables: contracts on the definitions; on each materialization,
the partition's own facts (labelled as such) and the whole table's."""

from __future__ import annotations

import dagster as dg
import polars as pl

from russell_pipeline.defs.columns import COLUMNS
from russell_pipeline.defs.commit import STATUS, Check
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.staged import Staged

OWNERS = ["team:index-data"]
KINDS = {"polars", "parquet", "duckdb"}
# The documents' kind. Dagster 1.13 draws a kind it knows as its icon and label, one it does not as
# its label; `pdf` (like `csv`, `yaml`) it draws as a bare icon with no text (ui-core OpTags.tsx),
# so the published documents and the tables read from them carry a kind that shows as a word.
PDF = "PDFs"
CSV = "CSVs"  # the rank-day universe files


def table_definition(table: str, schema: dict[str, pl.DataType], description: str, **extra) -> dict:
    """AssetSpec/asset keyword arguments for a lake table: its contract as the column schema, each
    column with its type and its one-line meaning (defs/columns.py)."""
    meaning = COLUMNS.get(table, {})
    columns = [
        dg.TableColumn(name, str(dtype), description=meaning.get(name)) for name, dtype in schema.items()
    ]
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


def _holds(rows: pl.DataFrame, date_column: str | None, facts: dict) -> dict:
    out: dict = {"rows": rows.height}
    if date_column is not None and rows.height:
        out |= {"first_date": str(rows[date_column].min()), "last_date": str(rows[date_column].max())}
    if not rows.height:
        out[STATUS] = facts.get("empty_because", "empty")
    return out | {k: v for k, v in facts.items() if k != "empty_because"}


def table_facts(lake: Lake, table: str, rows: pl.DataFrame, date_column: str | None = None, **facts) -> dict:
    """What an unpartitioned table holds, for its materialization: rows, date range and where it came from."""
    own = _holds(rows, date_column, facts)
    return {"dagster/row_count": own.pop("rows"), "dagster/uri": lake.tables.uri(table)} | own


def partition_facts(key: str, rows: pl.DataFrame, date_column: str | None = None, **facts) -> dict:
    """What one partition holds, labelled as the partition's: `partition` first, then its rows, date range
    and where it came from, each as `partition_<fact>`; an empty one's `status` (`empty_because`, which
    defs/commit.py puts on its observation) says why."""
    own = _holds(rows, date_column, facts)
    return {"partition": key} | {k if k == STATUS else f"partition_{k}": v for k, v in own.items()}


def with_table_facts(
    lake: Lake, staged: Staged, partitions: dict[str, dict], date_column: str | None = None
) -> dict[str, dict]:
    """Each partition's facts followed by the whole table's as writing `staged` leaves it.

    The asset's overview shows its latest materialization, whichever partition that was: its headline
    `dagster/row_count` is the table's, beside the partitions holding rows and the date range over all of
    them (`table_*`). Read under the writer lock, before the write: the stored partitions the write keeps
    plus the staged rows, which is what the write leaves (it replaces exactly `staged.keys`)."""
    column, keys = staged.partition_column, list(staged.keys or [])
    wanted = [column, *([date_column] if date_column else [])]
    parts = [staged.rows.lazy().select(wanted)]
    if (stored := lake.tables.scan(staged.table)) is not None:
        parts.append(stored.filter(~pl.col(column).is_in(keys)).select(wanted))
    whole = (
        pl.concat(parts, how="vertical_relaxed")
        .select(
            rows=pl.len(),
            partitions=pl.col(column).n_unique(),
            first=pl.col(column).min(),
            last=pl.col(column).max(),
            **(
                {"first_date": pl.col(date_column).min(), "last_date": pl.col(date_column).max()}
                if date_column
                else {}
            ),
        )
        .collect()
        .row(0, named=True)
    )
    table = {
        "dagster/row_count": whole["rows"],
        "dagster/uri": lake.tables.uri(staged.table),
        "table_partitions_with_rows": whole["partitions"],
        "table_partition_range": f"{whole['first']}..{whole['last']}" if whole["rows"] else "none",
    }
    if date_column and whole["rows"]:
        table |= {"table_first_date": str(whole["first_date"]), "table_last_date": str(whole["last_date"])}
    return {key: meta | table for key, meta in partitions.items()}


def no_nulls(asset: str) -> Check:
    """The contract's non-nullable columns hold no null (`lib/table_checks.REQUIRED_COLUMNS`)."""
    return Check(asset, "no_null_contract_columns", "No null in a non-nullable contract column.", "block")
