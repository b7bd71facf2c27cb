"""Shared shape of asset-check results."""

import dagster as dg
import polars as pl

NO_NULLS = "No null in a non-nullable contract column (blocks the write)."


def frame_check(
    asset: str, name: str, bad: pl.DataFrame, what: str, severity=dg.AssetCheckSeverity.ERROR, **facts
) -> dg.AssetCheckResult:
    """A check that passes when `bad` (the offending rows) is empty; shows the first ones whole, and `facts`."""
    with pl.Config(tbl_cols=-1, tbl_width_chars=1000, fmt_str_lengths=1000, tbl_hide_dataframe_shape=True):
        shown = f"```\n{bad.head(10)}\n```" if bad.height else f"no {what}"
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=bad.height == 0,
        severity=severity,
        metadata={
            "failures": bad.height,
            "examples": dg.MetadataValue.md(shown),
            **facts,
        },
    )
