"""What each table partition was built from, as a digest, and which partitions are out of date.

Every asset records, per partition, a digest of exactly what it read (file checksums, the
calendar dates it used, the market-data rows up to where they can reach it) and of the code that
implements its method. A partition is out of date when the digest its inputs give now differs
from the recorded one. `build`, the nightly schedule and the sensors all ask `out_of_date`, so a
build with nothing new does nothing, and one new document rebuilds its year and what it reaches.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from russell_pipeline.lib.documents.raw_files import file_sha256, junk_reason, same_bytes_elsewhere
from russell_pipeline.planning.code_versions import code_version

# Each asset's code version (planning/code_versions.py): its definitions module and every lib/
# module that reaches, plus the SQL macros shipped for its tables.
_DEFINED_IN = {
    "documents": ("documents", ()),
    "recon_calendar": ("calendar", ()),
    "market_data": ("market", ()),
    "quarterly_weights": ("index", ()),
    "index_levels": ("index", ()),
    "membership": (
        "membership",
        (
            "membership_history",
            "membership_in_force",
            "membership_reconciliation",
            "membership_reconciliation_summary",
            "list_revisions",
        ),
    ),
    "reconstitution_effect": ("research", ()),
    "reconstitution_forecast": ("forecast", ()),
}
CODE_VERSIONS = {
    asset: code_version(f"russell_pipeline.defs.{domain}.assets", tables)
    for asset, (domain, tables) in _DEFINED_IN.items()
}
CODE_VERSIONS["pro_forma_weights"] = code_version("russell_pipeline.defs.index.pro_forma_assets")


def digest(*parts: object) -> str:
    """A stable short digest of JSON-able parts (dates as ISO strings)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The digest of a partition with no input of its own (a year with no file under raw/<year>/, a review the
# market data holds no members for, a year with nothing to chart or forecast): it holds no rows whatever
# the code, so it is the same for every asset and code version. Such a partition never built is not
# run (`out_of_date`): work follows the inputs.
NO_INPUT = digest("no input")
# What a partition whose run failed on its input records (runner/runs.py): no digest of inputs is this, so it
# is out of date until a run builds it, also when its input comes back as it was built from before (its
# stored rows are then right, but the failed run is the latest Dagster shows for it).
REFUSED = "refused"


def year_files(raw: Path, year: int) -> list[tuple[str, str]]:
    """(name, sha256) of every entry under raw/<year>/ but editor and OS junk: hidden files and links
    too (not followed), so a change to any of them is noticed and its run refuses it with one line."""
    folder = raw / str(year)
    if not folder.is_dir():  # a link to nowhere (to itself) is noticed, so its run refuses it
        return [(folder.name, f"link:{os.readlink(folder)}")] if folder.is_symlink() else []
    out = []
    for p in sorted(folder.iterdir()):
        if junk_reason(p.name) is not None:
            continue
        if p.is_symlink():
            out.append((p.name, f"link:{os.readlink(p)}"))
        else:
            out.append((p.name, file_sha256(p) if p.is_file() else "folder"))
    return out


def documents_inputs(files: list[tuple[str, str]], copies: list[tuple[str, str]] = ()) -> str:
    """A year's documents: (file name, sha256) of every file under raw/<year>/ (its corrections.csv
    too), and (path, sha256) of the files under other years holding the same bytes as one of them
    (`copies`: which copy is read depends on them); `NO_INPUT` for a year without files."""
    if not files and not copies:
        return NO_INPUT
    return digest(CODE_VERSIONS["documents"], sorted(files), *([sorted(copies)] if copies else []))


def year_inputs(raw: Path, year: int) -> str:
    """`documents_inputs` of a year as it is on disk now."""
    files = year_files(raw, year)
    sizes = {
        sha: (raw / str(year) / name).stat().st_size
        for name, sha in files
        if len(sha) == 64 and not (raw / str(year) / name).is_symlink()
    }
    copies = same_bytes_elsewhere(raw, year, sizes) if sizes else []
    return documents_inputs(files, [(p.relative_to(raw).as_posix(), sha) for p, sha in copies])


def calendar_files(raw: Path, year: int, others: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, sha256) of the files under raw/<year>/ the calendar reads for published schedules: every
    one but those `source_documents` read as another kind of document (`others`: their (path,
    sha256)), so a new list changes neither what the calendar reads nor its digest."""
    return [(name, sha) for name, sha in year_files(raw, year) if (f"raw/{year}/{name}", sha) not in others]


def calendar_inputs(files: list[tuple[str, str]]) -> str:
    """A year's calendar: the rules (code) and the files it reads for schedules (`calendar_files`)."""
    return digest(CODE_VERSIONS["recon_calendar"], sorted(files))


def market_inputs(fingerprint: object) -> str:
    """Market data: the synthetic feed's settings and tickers, or the user folder's files."""
    return digest(CODE_VERSIONS["market_data"], fingerprint)


def frame_digest(df: pl.DataFrame) -> str:
    """The rows of a frame, in any order, with its column names and types."""
    hashes = df.hash_rows(seed=0).sort() if df.height else pl.Series([], dtype=pl.UInt64)
    return _rows_digest(df.schema, hashes)


def _rows_digest(schema: pl.Schema, hashes: pl.Series) -> str:
    """`frame_digest` of rows of `schema` whose `hash_rows(seed=0)` are `hashes`, sorted."""
    rows = hashlib.sha256(hashes.to_numpy().tobytes()).hexdigest() if hashes.len() else ""
    return digest(list(schema.items()), hashes.len(), rows)


def membership_inputs(tables: dict[str, pl.DataFrame]) -> str:
    """The membership tables: every year's lists, their paths, and the review dates they read."""
    return digest(CODE_VERSIONS["membership"], {name: frame_digest(df) for name, df in tables.items()})


def window_digest(days: pl.DataFrame, end: date | None, column: str = "digest") -> int:
    """The running digest (`column` of `market_days`) at the last day <= end (all days when end is None; 0
    before the first).

    By date, not by row position: a stored table can come back in any file order."""
    return window_digests(days, column)(end)


def window_digests(days: pl.DataFrame, column: str = "digest") -> Callable[[date | None], int]:
    """`window_digest` of `days` at any end, the days sorted once: planning asks at every review's
    dates, and a long history holds thousands of days."""
    ordered = days.select("day", column).sort("day")
    values = ordered[column].to_list()

    def at(end: date | None) -> int:
        upto = len(values) if end is None else int(ordered["day"].search_sorted(end, side="right"))
        return int(values[upto - 1]) if upto else 0

    return at


def volume_digest(days: pl.DataFrame | None, end: date) -> int | None:
    """What identifies the market data's volumes up to `end` (`market_days`' running `volume_digest`;
    None without market data): what the forecast's passive demand reads (lib/forecast/demand.py)."""
    if days is None or "volume_digest" not in days.columns:
        return None
    return window_digest(days, end, "volume_digest")


def members_digests(memberships: pl.DataFrame) -> dict[str, str]:
    """{review: a digest of its members (index, symbol, fraction)}: `frame_digest` of each review's rows,
    their hashes taken in one pass over the memberships and sorted within each review."""
    members = memberships.select("index", "symbol", "fraction")
    hashed = pl.DataFrame({"review": memberships["review"], "hash": members.hash_rows(seed=0)})
    by_review = hashed.group_by("review").agg(pl.col("hash").sort())
    return {
        review: _rows_digest(members.schema, rows)
        for review, rows in zip(by_review["review"].to_list(), by_review["hash"], strict=True)
    }


def weights_inputs(cutoff: date, effective: date, window: int, members: str, price_source: str | None) -> str:
    """A review's weights: its calendar dates, the market data up to its cut-off, its members, and where
    the prices come from (a switch between sources with equal values still relabels every row)."""
    return digest(CODE_VERSIONS["quarterly_weights"], cutoff, effective, window, members, price_source)


def levels_inputs(weights: str, following: tuple[str, date] | None, previous: str | None, window: int) -> str:
    """A review period's levels: its weights, where it ends (the next review in the data and its
    rebalance date), the period before it (its start state) and the market data up to its end."""
    return digest(CODE_VERSIONS["index_levels"], weights, following, previous, window)


def pro_forma_inputs(weights: str, previous: str | None, window: int) -> str:
    """A review's pro-forma weights: its weights' inputs, those of the previous review (the weights in
    force) and the market data up to its rebalance (its as-of close is the last one up to T), so a new
    close before T recomputes it and one after T does not."""
    return digest(CODE_VERSIONS["pro_forma_weights"], weights, previous, window)


def review_inputs(
    reviews: pl.DataFrame,
    days: pl.DataFrame,
    memberships: pl.DataFrame,
    carried: dict[str, str] | None = None,
    price_source: str | None = None,
    forecasts: dict[str, str] | None = None,
) -> dict[str, dict]:
    """The digests `quarterly_weights`, `index_levels` and `pro_forma_weights` of each review would record
    now.

    `reviews`: review, cutoff_date, effective_date of the reviews that have market data (and of those
    in `carried`); `days`: `market_days`; `memberships`: the market-data memberships; `carried`: {review:
    the review whose members its pro-forma takes} for reviews without members of their own (only the
    pro-forma weights are computed for those); `price_source`: the label of the stored market data
    (lib/market/provenance.py), which levels and pro-forma weights inherit through their weights' digest;
    `forecasts`: {carried review: the digest of its `reconstitution_forecast` rows}, which change its
    carried members (lib/index/pro_forma.py), so a new forecast of it recomputes its pro-forma.
    Returns {"quarterly_weights": {review: digest}, "index_levels": {review: digest},
    "pro_forma_weights": {review: digest}}.
    """
    carried, forecasts = carried or {}, forecasts or {}
    every = reviews.sort("review").rows(named=True)
    rows = [r for r in every if r["review"] not in carried]
    of = members_digests(memberships)
    window = window_digests(days)
    members = {r["review"]: of[carried.get(r["review"], r["review"])] for r in every}
    # The weights each pro-forma computes: a carried review's digest names the review its members come from
    # and the forecast that changes them.
    target = {
        r["review"]: weights_inputs(
            r["cutoff_date"],
            r["effective_date"],
            window(r["cutoff_date"]),
            members[r["review"]]
            if r["review"] not in carried
            else digest(
                carried[r["review"]],
                members[r["review"]],
                *([forecasts[r["review"]]] if r["review"] in forecasts else []),
            ),
            price_source,
        )
        for r in every
    }
    weights = {r["review"]: target[r["review"]] for r in rows}
    levels: dict[str, str] = {}
    previous = None
    for i, r in enumerate(rows):
        following = (rows[i + 1]["review"], rows[i + 1]["effective_date"]) if i + 1 < len(rows) else None
        end = following[1] if following else None
        previous = levels[r["review"]] = levels_inputs(weights[r["review"]], following, previous, window(end))
    pro_forma = {
        r["review"]: pro_forma_inputs(
            target[r["review"]],
            target[every[i - 1]["review"]] if i else None,
            window(r["effective_date"]),
        )
        for i, r in enumerate(every)
    }
    return {"quarterly_weights": weights, "index_levels": levels, "pro_forma_weights": pro_forma}


def out_of_date(expected: dict[str, str], recorded: dict[str, str]) -> list[str]:
    """Partitions whose recorded digest is missing or differs from the expected one, in key order; but
    not one with no input that was never built (`NO_INPUT`): it holds no rows, and a run would only say
    so. One built before (it may hold rows) is run, and then holds none."""
    return sorted(k for k, v in expected.items() if recorded.get(k) != v and (k in recorded or v != NO_INPUT))


def ranges(keys: list[str], all_keys: list[str]) -> list[tuple[str, str]]:
    """Runs of consecutive partition keys (in `all_keys` order) as (first, last) pairs."""
    position = {k: i for i, k in enumerate(all_keys)}
    out: list[list[str]] = []
    for k in sorted(keys, key=position.__getitem__):
        if out and position[k] == position[out[-1][1]] + 1:
            out[-1][1] = k
        else:
            out.append([k, k])
    return [(a, b) for a, b in out]
