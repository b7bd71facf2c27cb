"""Shared shape of asset-check results."""

import dagster as dg
import polars as pl


def frame_check(
    asset: str, name: str, bad: pl.DataFrame, what: str, severity=dg.AssetCheckSeverity.ERROR
) -> dg.AssetCheckResult:
    """A check that passes when `bad` (the offending rows) is empty; shows the first ones."""
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=bad.height == 0,
        severity=severity,
        metadata={
            "failures": bad.height,
            "examples": dg.MetadataValue.md(f"```\n{bad.head(10)}\n```" if bad.height else f"no {what}"),
        },
    )
