"""What each year of `reconstitution_forecast` reads, and which years are out of date.

A year forecasts each of its reconstitutions (June, and from 2026 December) whose rank day has a
universe: a universe file dated on the rank day (`universe_securities`), else the market data's
closes on it. It reads the members in force on the rank day (`membership_in_force`), the universe
files of the 30 days before (a member's average price), the year's Russell 3000 addition and deletion
lists (the score) and which quarterly IPO addition lists the lake lacks. Its digest is made of those
(the market data by its running digest up to the rank day, as planning/research_years.py does), so a new
document, list or close before the rank day plans it again, and a later close does not.
Nothing here imports Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from russell_pipeline.lake.market_tables import price_label
from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.calendar.projection import CALENDAR_SCHEMA
from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS
from russell_pipeline.lib.documents.ingest import SOURCE_COLUMNS
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.lib.forecast import inputs
from russell_pipeline.lib.market import provenance
from russell_pipeline.lib.membership.in_force import IN_FORCE_COLUMNS
from russell_pipeline.lib.securities.on_day import carried, identify, maps_until, resolver_on
from russell_pipeline.planning import digests, keys

ASSET = "reconstitution_forecast"
JOB = "forecast_job"  # the forecast tables of a range of years (defs/forecast/jobs.py)


@dataclass(frozen=True)
class ReviewInputs:
    """One review's forecast inputs: its universe file's rows (None: the market data's closes on the
    rank day), the closes before it, the members in force and the published lists of the year."""

    review: inputs.Review
    universe: pl.DataFrame | None
    universe_source: str  # `universe file raw/2023/x.csv`, or the market data's price label
    history: pl.DataFrame  # symbol, date, close: the earlier universe files' closes
    members: pl.DataFrame  # symbol (the rank day's), listed_symbol, company, index_name, ...
    notes: tuple[str, ...]
    evidence: inputs.Evidence | None = None  # what places members beyond the lists (a universe file's)


@dataclass(frozen=True)
class YearInputs:
    """A year's reviews to forecast (none: `why` says why), a refusal (a universe file dated on no
    rank day: one line naming it) and the digest of everything read."""

    reviews: tuple[ReviewInputs, ...]
    why: str | None
    refusal: str | None
    changes: pl.DataFrame
    digest: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def _read(lake: Lake, table: str, schema: dict, years: list[int] | None = None) -> pl.DataFrame:
    rows = lake.read(table, "recon_year", years) if years is not None else lake.read(table)
    return rows.select(list(schema)).cast(schema) if rows is not None else pl.DataFrame(schema=schema)


def _real(label: str | None) -> bool:
    """Whether the stored market data (its price label) is a user's, not the synthetic feed or none."""
    return label is not None and not provenance.is_synthetic(label)


def _market_closes(days: pl.DataFrame | None, label: str | None, day: date) -> tuple[bool, object]:
    """Whether the market data (`days`: `market_days`; `label`: its price source) holds closes on `day`,
    and what identifies them (its running digest)."""
    if days is None or not days.filter(pl.col("day") == day).height:
        return False, None
    return True, (label, digests.window_digest(days, day))


def year_inputs(lake: Lake, years: list[int]) -> dict[int, YearInputs]:
    """Each year's `YearInputs`, read from the lake as it is."""
    calendar = _read(lake, "recon_calendar", CALENDAR_SCHEMA, years)
    universe = _read(lake, "universe_securities", UNIVERSE_COLUMNS, years)
    sec = _read(lake, "sec_tickers", SEC_COLUMNS)
    holdings = _read(lake, "fund_holdings", HOLDINGS_COLUMNS)
    documents = _read(lake, "source_documents", SOURCE_COLUMNS, years)
    every_document = _read(lake, "source_documents", SOURCE_COLUMNS)
    changes = _read(lake, "constituent_changes", CHANGE_COLUMNS)
    in_force = _read(lake, "membership_in_force", IN_FORCE_COLUMNS)
    every_calendar = _read(lake, "recon_calendar", CALENDAR_SCHEMA)
    vendor = _read(lake, "market_memberships", {"review": pl.String, "index": pl.String, "symbol": pl.String})
    days, label = lake.read("market_days"), price_label(lake)
    code = digests.CODE_VERSIONS[ASSET]
    out = {}
    for year in years:
        year_reviews = inputs.reviews(calendar, year)
        mine = universe.filter(pl.col("recon_year") == year)
        files = inputs.placed_files(mine, documents, year_reviews)
        stray = files.filter(pl.col("role").is_null())
        refusal = None
        if stray.height:
            r = stray.row(0, named=True)
            refusal = (
                f"{r['path']}: a universe file dated {r['as_of_date']}, which is not a rank day of the "
                "calendar "
                + (
                    f"nor within the {inputs.HISTORY_DAYS} days before one: the nearest rank day is "
                    f"{r['nearest']} (review {r['review']})"
                    if r["nearest"]
                    else f"(recon_calendar dates no reconstitution in {year})"
                )
            )
        done, parts, why = [], [], []
        for review in year_reviews:
            on_day = files.filter((pl.col("role") == "universe") & (pl.col("review") == review.review))
            closes, state = _market_closes(days, label, review.rank_day)
            if not (on_day.height or closes):  # nothing to forecast from: the review's members are not read
                why.append(
                    f"{review.review}: no universe file dated on its rank day {review.rank_day}, and no "
                    "market-data close on it"
                )
                continue
            before = files.filter((pl.col("role") == "history") & (pl.col("review") == review.review))
            history = mine.filter(pl.col("source_sha256").is_in(before["source_sha256"].implode())).select(
                "symbol", pl.col("as_of_date").alias("date"), pl.col("price").alias("close")
            )
            members = inputs.members_on(in_force, review.rank_day, every_document)
            base = inputs.base_date(in_force, every_calendar, review.rank_day)
            ipo = inputs.ipo_reviews(every_calendar, changes, base, review.rank_day)
            gaps = ipo.filter("list_missing")["review"].to_list() if members.height else []
            notes = (
                [
                    (
                        f"the quarterly IPO addition lists of {', '.join(gaps)} are not in the lake: "
                        "companies they added count as new here unless other evidence places them "
                        "(an ETF holdings file, the SEC maps, the IPO review rule)"
                    )
                ]
                if gaps
                else []
            )
            evidence = inputs.Evidence(
                inputs.previous_rank_day(every_calendar, review.rank_day),
                ipo,
                holdings.filter(pl.col("as_of_date").is_between(base or date.min, review.rank_day)),
            )
            if not members.height:  # no published list in force: the market data's memberships, if any
                members, of = inputs.vendor_members(vendor, review.review)
                if of is not None:
                    notes.append(
                        "no published Russell list is in force on rank day: the members before are the "
                        f"market data's memberships of {of} (Small Cap Completeness in the Russell 3000, "
                        "Russell 2000 Growth in the Russell 2000); a Russell 3000 member in neither counts "
                        "as new"
                    )
            if on_day.height:
                path = on_day["path"][0]
                # Each line's company as the SEC maps saved by rank day give it, and each member under the
                # ticker its company carries that day (lib/securities/on_day.py).
                known = maps_until(sec, review.rank_day)
                resolver = resolver_on(known)
                rows = mine.filter(pl.col("source_sha256") == on_day["source_sha256"][0])
                rows = identify(rows, known, review.rank_day, resolver)
                members = carried(members, rows, resolver)
                done.append(
                    ReviewInputs(
                        review, rows, f"universe file {path}", history, members, tuple(notes), evidence
                    )
                )
                parts.append(
                    [
                        review.review,
                        "file",
                        digests.frame_digest(rows),
                        digests.frame_digest(history),
                        digests.frame_digest(known),
                        evidence.previous_rank_day,
                        digests.frame_digest(evidence.ipo_reviews),
                        digests.frame_digest(evidence.holdings),
                        # a user's market data's closes before rank day give a member's 30-day average
                        (closes, state) if _real(label) else None,
                    ]
                )
            else:
                done.append(
                    ReviewInputs(review, None, state[0] or "market data", history, members, tuple(notes))
                )
                parts.append([review.review, "market", state])
            parts[-1] += [review.rank_day, review.effective_open, digests.frame_digest(members), notes]
            parts[-1].append(digests.volume_digest(days, review.rank_day))  # its demand's volumes
        if not year_reviews:
            why.append(f"recon_calendar dates no reconstitution in {year}")
        year_changes = changes.filter(pl.col("recon_year") == year)
        out[year] = YearInputs(
            tuple(done),
            (
                f"no universe file dated on a rank day under raw/{year}/, and no market-data close on one"
                if year_reviews
                else why[0]
            )
            if not done
            else None,
            refusal,
            year_changes,
            # Nothing to forecast and nothing to refuse: no rows, whatever the code.
            digests.digest(code, parts, why, refusal, digests.frame_digest(year_changes))
            if done or refusal
            else digests.NO_INPUT,
            tuple(why) if done else (),
        )
    return out


def years_out_of_date(lake: Lake) -> tuple[list[str], dict[str, str], list[str]]:
    """(every year key, the digest each year would record now, the years whose recorded digest differs)."""
    years = keys.year_keys()
    now = {str(y): i.digest for y, i in year_inputs(lake, [int(y) for y in years]).items()}
    return years, now, digests.out_of_date(now, lake.lineage(ASSET))
