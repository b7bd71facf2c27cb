"""Which partitions are out of date: the one answer `build`, the sensors and the schedule share.

A partition is out of date when the digest of its inputs now (planning/digests.py) differs from the
digest recorded when it was last written. Years are decided from the files under raw/<year>/;
market data from its source; reviews from the stored calendar and market data, so they are
planned after the years and the market data are current.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from russell_pipeline.lake.index_tables import forecast_rows
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lib.calendar.projection import CALENDAR_SCHEMA
from russell_pipeline.lib.calendar.reviews import rebalance_dates
from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.documents.ingest import SOURCE_COLUMNS
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.lib.index.pro_forma import carried_members
from russell_pipeline.lib.market.contract import SCHEMAS
from russell_pipeline.lib.market.synthetic import borrowed_tickers
from russell_pipeline.lib.sessions import last_completed_session
from russell_pipeline.planning import digests, keys
from russell_pipeline.settings import Settings

# Nothing here imports Dagster: `build` plans with these before it knows it has a run to launch
# (runner/build.py). The attempt keys (planning/attempts.py, which reads the Dagster instance)
# are imported by the functions that give them, which only a build with work calls.

YEAR_JOB = "recon_year_job"  # the documents or the calendar of a range of years (defs/documents/jobs.py)


def year_digests(lake: Lake, years: list[str]) -> dict[str, dict[str, str]]:
    """{"documents": {year: digest}, "recon_calendar": {year: digest}}: what each year's run would record
    now."""
    others = not_schedules(lake)
    return {
        "documents": {y: digests.year_inputs(lake.raw, int(y)) for y in years},
        "recon_calendar": {
            y: digests.calendar_inputs(digests.calendar_files(lake.raw, int(y), others)) for y in years
        },
    }


def not_schedules(lake: Lake) -> set[tuple[str, str]]:
    """(path, sha256) of every document `source_documents` read as something other than a schedule: the
    files the calendar need not read (planning/digests.py `calendar_files`)."""
    scan = lake.tables.scan("source_documents")
    if scan is None:
        return set()
    rows = scan.filter(pl.col("doc_type") != "schedule").select("path", "sha256").collect()
    return set(rows.iter_rows())


def years_out_of_date(lake: Lake) -> tuple[list[str], dict[str, dict[str, str]], list[str]]:
    """(every year key, `year_digests` of them, the years whose documents or calendar are out of date)."""
    years = keys.year_keys()
    now = year_digests(lake, years)
    out = {
        asset: digests.out_of_date(expected, lake.lineage.digests(asset)) for asset, expected in now.items()
    }
    return years, now, sorted(set(out["documents"]) | set(out["recon_calendar"]))


def stale_years(lake: Lake, years: list[str]) -> dict[str, list[str]]:
    """{"documents": [...], "recon_calendar": [...]}: years whose files changed since they were built."""
    return {
        asset: digests.out_of_date(now, lake.lineage.digests(asset))
        for asset, now in year_digests(lake, years).items()
    }


def year_attempt(year_digests: dict[str, dict[str, str]], years: list[str]) -> str:
    """The attempt (planning/attempts.py) of a run of the documents of `years` (the stage table's
    `documents` target): its inputs are the documents' digests, which cover the year's files and code."""
    from russell_pipeline.planning import attempts

    return attempts.key("documents", {y: year_digests["documents"][y] for y in years})


def year_not_built(lake: Lake, year: int) -> str | None:
    """Why the stored tables of `year` are not those of the files now under raw/<year>/, in one
    clause (a failed build of them, with its run and reason, from the record `build` and the sensors
    share); None when they are, or when the folder holds no file."""
    key = str(year)
    if key not in keys.year_keys() or not digests.year_files(lake.raw, year):
        return None
    now = year_digests(lake, [key])
    if not any(digests.out_of_date(expected, lake.lineage.digests(asset)) for asset, expected in now.items()):
        return None
    return _not_current(
        lake,
        year_attempt(now, [key]),
        str(year),
        f"the files under raw/{year}/",
        f"its files under raw/{year}/",
    )


def stage_not_built(lake: Lake, stage, year: int) -> str | None:
    """Why the stored rows of a year stage (`stage`: planning/forecast_years.py or
    planning/research_years.py) for `year` are not those of its inputs now, in one clause (its inputs
    changed since, or its run failed on them, with the run and reason); None when they are, or when the
    year has no input and was never built (`digests.NO_INPUT`: a build does not run it). The year's
    own files: `year_not_built`."""
    key = str(year)
    if key not in keys.year_keys():
        return None
    now = stage.year_inputs(lake, [year])[year].digest
    if not digests.out_of_date(
        {key: now}, lake.lineage.digests(stage.ASSET)
    ):  # built, or holds nothing to build
        return None
    from russell_pipeline.planning import attempts

    what = f"{stage.ASSET} {year}"
    return _not_current(
        lake, attempts.key(stage.JOB, {key: now}), what, f"the inputs of {what}", "its inputs"
    )


def membership_not_built(lake: Lake) -> str | None:
    """Why the stored membership tables are not those of the stored lists now, in one clause; None when
    they are."""
    if not membership_stale(lake):
        return None
    return _not_current(
        lake,
        membership_attempt(lake),
        "the membership tables",
        "the membership tables of the stored lists",
        "the stored lists",
    )


def market_not_built(lake: Lake, settings: Settings) -> str | None:
    """Why the stored market tables are not those of the market data now (its folder's files changed,
    or the feed's end moved), in one clause; None when they are, or when no build recorded what they
    were made from."""
    from russell_pipeline.lake.document_tables import ingested_lists

    if MARKET_KEY not in lake.lineage.digests("market_data"):  # tables no build recorded the inputs of
        return None
    fingerprint = market_fingerprint(settings, ingested_lists(lake))
    if not market_stale(lake, fingerprint):
        return None
    source = settings.market_data or "the synthetic feed"
    return _not_current(
        lake, market_attempt(fingerprint), "market_data", f"the market data in {source}", source
    )


def review_not_built(lake: Lake, asset: str, reviews: list[str]) -> str | None:
    """Why the stored rows of `asset` (quarterly_weights, index_levels, pro_forma_weights) of `reviews`
    are not those of their inputs now (the calendar, the market tables, the stored forecast), in one
    clause for the first such review; None when they all are (a review no build recorded aside)."""
    recorded = lake.lineage.digests(asset)
    expected, out = reviews_out_of_date(lake)
    late = [r for r in reviews if r in out[asset] and r in recorded]  # a review some build recorded
    if not late:
        return None
    from russell_pipeline.planning import attempts

    what = f"{asset} {late[0]}" + (f" (and {len(late) - 1} more reviews)" if len(late) > 1 else "")
    attempt = attempts.key(asset, {late[0]: expected[asset][late[0]]})
    return _not_current(lake, attempt, what, f"the inputs of {what}", "its inputs")


def _not_current(lake: Lake, attempt: str, what: str, inputs: str, its: str) -> str:
    """Why the stored rows of `what` are not those of `inputs` as they are now, from the record of
    `attempt` (planning/attempts.py): not built yet, being built, or failed on them (its run, reasons)."""
    from russell_pipeline.planning import attempts

    instance = attempts.recorded(lake.root)
    before = attempts.previous(instance, attempt) if instance is not None else None
    if before is None:
        return f"{inputs} are not built yet: run `russell-pipeline build`"
    if before.going:
        return f"{inputs} are being built (run {before.run_id})"
    return f"the build of {what} failed on {its} (run {before.run_id}): {'; '.join(before.reasons)}"


MARKET_KEY = "all"  # market_data is one unpartitioned table set


def last_session(settings: Settings) -> date:
    """The last NYSE session completed at `settings.now` (the clock when None): market rows dated later are
    refused."""
    return last_completed_session(settings.now or datetime.now(UTC))


def market_end(settings: Settings) -> date:
    """The last session the synthetic feed covers: `synthetic_end`, else the last completed session."""
    return settings.synthetic_end or last_session(settings)


def market_fingerprint(settings: Settings, listed: pl.DataFrame) -> object:
    """What the market data of `settings` would be made from now: the folder's files, or the synthetic
    feed's settings (its last session) and the names it borrows from the ingested lists `listed` (those
    only: other lists, and names past the feed's stock count, do not reach it, so they do not change
    its digest)."""
    if settings.market_data:
        files = sorted(p for p in Path(settings.market_data).glob("*") if p.is_file())
        return ["folder", [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]]
    stocks = settings.synthetic_stocks
    return ["synthetic", market_end(settings), stocks, digests.digest(borrowed_tickers(listed, stocks))]


def market_stale(lake: Lake, fingerprint: object) -> bool:
    return lake.lineage.digests("market_data").get(MARKET_KEY) != digests.market_inputs(fingerprint)


def market_attempt(fingerprint: object) -> str:
    from russell_pipeline.planning import attempts

    return attempts.key("market_data", {MARKET_KEY: digests.market_inputs(fingerprint)})


INDEX_ASSETS = ("quarterly_weights", "index_levels")  # the reviews stage of `build`
PRO_FORMA = "pro_forma_weights"  # its last stage: after the forecast, which it reads
REVIEW_ASSETS = (*INDEX_ASSETS, PRO_FORMA)


def review_digests(lake: Lake) -> dict[str, dict[str, str]]:
    """The digests weights, levels and pro-forma weights of every review partition would record now ({}
    per asset when the calendar or market data is not stored yet): from the members, calendar dates
    and market data of each review the market data holds members for (and, for the pro-forma, of the
    review right after the last of them, which carries its members, changed as its stored forecast
    says); every other review holds no rows, and its digest says only that (`digests.NO_INPUT`)."""
    calendar, members, days = (
        lake.tables.read(t) for t in ("recon_calendar", "market_memberships", "market_days")
    )
    if calendar is None or members is None or days is None:
        return {asset: {} for asset in REVIEW_ASSETS}
    # Only reviews that are partitions: a review outside them (a feed reaching past the upcoming
    # review) has no partition to run, so it is never planned.
    partitions = keys.review_keys()
    with_members = sorted(set(members["review"].unique().to_list()) & set(partitions))
    carried = carried_members(with_members, partitions)
    dates = rebalance_dates(calendar).filter(pl.col("review").is_in([*with_members, *carried]))
    forecasts = {r: forecast_rows(lake, r) for r in carried}
    expected = digests.review_inputs(
        dates,
        days,
        members,
        carried,
        price_label(lake),
        {r: digests.frame_digest(rows) for r, rows in forecasts.items() if rows.height},
    )
    return {
        asset: {k: expected[asset].get(k) or digests.NO_INPUT for k in partitions} for asset in REVIEW_ASSETS
    }


def reviews_out_of_date(lake: Lake) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """(`review_digests`, {"quarterly_weights": [...], "index_levels": [...], "pro_forma_weights": [...]}:
    the reviews each asset must recompute)."""
    expected = review_digests(lake)
    return expected, {
        asset: digests.out_of_date(now, lake.lineage.digests(asset)) for asset, now in expected.items()
    }


def stale_reviews(lake: Lake) -> dict[str, list[str]]:
    """{"quarterly_weights": [...], "index_levels": [...], "pro_forma_weights": [...]}: reviews to
    recompute."""
    return reviews_out_of_date(lake)[1]


MEMBERSHIP_KEY = "all"  # the membership tables are whole-table computations over every year
_TRACE = ("source_sha256", "source_line")


def _columns(schema: dict, *names: str) -> dict:
    return {k: schema[k] for k in names}


# What they read: the list tables whole, the documents' paths and the calendar's review dates; and,
# for the check of a vendor's memberships against the lists, the market data's memberships (not
# read for the synthetic feed, whose memberships are generated: a new review of it changes nothing).
MEMBERSHIP_INPUTS = {
    "constituents": (CONSTITUENT_COLUMNS, None),
    "constituent_changes": (CHANGE_COLUMNS, None),
    "source_documents": ({k: SOURCE_COLUMNS[k] for k in ("recon_year", "sha256", "path")}, None),
    "recon_calendar": (
        {k: CALENDAR_SCHEMA[k] for k in ("recon_year", "review", "review_type", "event", "date")},
        pl.col("event").is_in(["recon_close", "effective_open"]),
    ),
    "market_source": ({"synthetic": pl.Boolean}, None),
    "market_memberships": ({k: SCHEMAS["memberships"][k] for k in ("review", "index", "symbol")}, None),
    # What the security master follows companies by (lib/securities/master.py `sightings`).
    "sec_tickers": (_columns(SEC_COLUMNS, "as_of_date", "cik", "company", "ticker", *_TRACE), None),
    "universe_securities": (_columns(UNIVERSE_COLUMNS, "as_of_date", "symbol", "company", *_TRACE), None),
    "fund_holdings": (
        _columns(
            HOLDINGS_COLUMNS, "as_of_date", "fund", "index_name", "ticker", "company", "listed", *_TRACE
        ),
        None,
    ),
}


def membership_inputs(lake: Lake) -> tuple[dict[str, pl.DataFrame], str]:
    """The tables the membership tables are built from (empty where not stored yet) and their digest."""
    tables = {}
    for name, (schema, rows) in MEMBERSHIP_INPUTS.items():
        # A vendor's memberships are compared with membership lists: without one, or for the synthetic
        # feed, they are not read.
        unread = name == "market_memberships" and (
            tables["market_source"]["synthetic"].any() or tables["constituents"].is_empty()
        )
        scan = None if unread else lake.tables.scan(name)
        if scan is None:
            tables[name] = pl.DataFrame(schema=schema)
            continue
        scan = scan.select(list(schema)) if rows is None else scan.filter(rows).select(list(schema))
        tables[name] = scan.collect().cast(schema)
    return tables, digests.membership_inputs(tables)


def membership_stale(lake: Lake) -> bool:
    return lake.lineage.digests("membership").get(MEMBERSHIP_KEY) != membership_inputs(lake)[1]


def membership_attempt(lake: Lake) -> str:
    from russell_pipeline.planning import attempts

    return attempts.key("membership", {MEMBERSHIP_KEY: membership_inputs(lake)[1]})
