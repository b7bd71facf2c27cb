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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import polars as pl

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import price_label
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
    rows = lake.tables.read(table, "recon_year", years) if years is not None else lake.tables.read(table)
    return rows.select(list(schema)).cast(schema) if rows is not None else pl.DataFrame(schema=schema)


def _real(label: str | None) -> bool:
    """Whether the stored market data (its price label) is a user's, not the synthetic feed or none."""
    return label is not None and not provenance.is_synthetic(label)


@dataclass(frozen=True)
class _Tables:
    """The lake's tables the forecast's inputs are read from: those of the years asked for, and the
    whole of those a year reads before its own (the members in force, the lists, the SEC maps)."""

    calendar: inputs.Calendar  # recon_calendar of the years
    universe: pl.DataFrame  # universe_securities of the years
    sec: pl.DataFrame
    holdings: pl.DataFrame
    documents: pl.DataFrame  # source_documents of the years
    every_document: pl.DataFrame
    changes: pl.DataFrame
    in_force: pl.DataFrame
    every_calendar: inputs.Calendar
    vendor: pl.DataFrame  # market_memberships
    days: pl.DataFrame | None  # market_days
    label: str | None  # the market data's price label

    # Planning asks of every year, most of which hold nothing: each year's rows are found once.
    @cached_property
    def universe_by_year(self) -> dict[int, pl.DataFrame]:
        return _by_year(self.universe)

    @cached_property
    def changes_by_year(self) -> dict[int, pl.DataFrame]:
        return _by_year(self.changes)

    @cached_property
    def vendor_by_review(self) -> dict[str, pl.DataFrame]:
        return inputs.vendor_reviews(self.vendor)

    @cached_property
    def window(self) -> Callable[[date | None], int]:
        return digests.window_digests(self.days)

    @cached_property
    def closed(self) -> frozenset[date]:
        """The days the market data holds closes on."""
        return frozenset(self.days["day"].to_list()) if self.days is not None else frozenset()

    def market_closes(self, day: date) -> tuple[bool, object]:
        """Whether the market data holds closes on `day`, and what identifies them (its price label and
        running digest)."""
        if day not in self.closed:
            return False, None
        return True, (self.label, self.window(day))


def _by_year(rows: pl.DataFrame) -> dict[int, pl.DataFrame]:
    return {key[0]: part for key, part in rows.partition_by("recon_year", as_dict=True).items()}


def _tables(lake: Lake, years: list[int]) -> _Tables:
    return _Tables(
        calendar=inputs.Calendar(_read(lake, "recon_calendar", CALENDAR_SCHEMA, years)),
        universe=_read(lake, "universe_securities", UNIVERSE_COLUMNS, years),
        sec=_read(lake, "sec_tickers", SEC_COLUMNS),
        holdings=_read(lake, "fund_holdings", HOLDINGS_COLUMNS),
        documents=_read(lake, "source_documents", SOURCE_COLUMNS, years),
        every_document=_read(lake, "source_documents", SOURCE_COLUMNS),
        changes=_read(lake, "constituent_changes", CHANGE_COLUMNS),
        in_force=_read(lake, "membership_in_force", IN_FORCE_COLUMNS),
        every_calendar=inputs.Calendar(_read(lake, "recon_calendar", CALENDAR_SCHEMA)),
        vendor=_read(
            lake, "market_memberships", {"review": pl.String, "index": pl.String, "symbol": pl.String}
        ),
        days=lake.tables.read("market_days"),
        label=price_label(lake),
    )


def year_inputs(lake: Lake, years: list[int]) -> dict[int, YearInputs]:
    """Each year's `YearInputs`, read from the lake as it is."""
    tables = _tables(lake, years)
    return {year: _year(tables, year) for year in years}


def _year(t: _Tables, year: int) -> YearInputs:
    """The year's reviews that have a universe, why the others have none, and the digest of it all."""
    year_reviews = inputs.reviews(t.calendar, year)
    mine = t.universe_by_year.get(year, t.universe.clear())
    files = inputs.placed_files(mine, t.documents, year_reviews)
    refusal = _refusal(files, year) if files.height else None
    done, parts, why = [], [], []
    for review in year_reviews:
        got = _review(t, review, mine, files)
        if isinstance(got, str):
            why.append(got)
            continue
        done.append(got[0])
        parts.append(got[1])
    if not year_reviews:
        why.append(f"recon_calendar dates no reconstitution in {year}")
    year_changes = t.changes_by_year.get(year, t.changes.clear())
    return YearInputs(
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
        digests.digest(digests.CODE_VERSIONS[ASSET], parts, why, refusal, digests.frame_digest(year_changes))
        if done or refusal
        else digests.NO_INPUT,
        tuple(why) if done else (),
    )


def _refusal(files: pl.DataFrame, year: int) -> str | None:
    """One line naming the first universe file of the year dated on no rank day (`placed_files` gave it
    no role), None when every one is placed."""
    stray = files.filter(pl.col("role").is_null())
    if not stray.height:
        return None
    r = stray.row(0, named=True)
    return (
        f"{r['path']}: a universe file dated {r['as_of_date']}, which is not a rank day of the "
        "calendar "
        + (
            f"nor within the {inputs.HISTORY_DAYS} days before one: the nearest rank day is "
            f"{r['nearest']} (review {r['review']})"
            if r["nearest"]
            else f"(recon_calendar dates no reconstitution in {year})"
        )
    )


def _review(
    t: _Tables, review: inputs.Review, mine: pl.DataFrame, files: pl.DataFrame
) -> tuple[ReviewInputs, list] | str:
    """The review's inputs and the parts of the year's digest they make, or why it has none: no universe
    file dated on its rank day and no market-data close on it."""
    on_day = (
        files.filter((pl.col("role") == "universe") & (pl.col("review") == review.review))
        if files.height
        else files
    )
    closes, state = t.market_closes(review.rank_day)
    if not (on_day.height or closes):  # nothing to forecast from: the review's members are not read
        return (
            f"{review.review}: no universe file dated on its rank day {review.rank_day}, and no "
            "market-data close on it"
        )
    before = files.filter((pl.col("role") == "history") & (pl.col("review") == review.review))
    history = mine.filter(pl.col("source_sha256").is_in(before["source_sha256"].implode())).select(
        "symbol", pl.col("as_of_date").alias("date"), pl.col("price").alias("close")
    )
    members, notes, evidence = _members_before(t, review)
    if on_day.height:
        got, part = _from_universe_file(t, review, mine, on_day, history, members, notes, evidence)
    else:
        got = ReviewInputs(review, None, state[0] or "market data", history, members, tuple(notes))
        part = [review.review, "market", state]
    part += [review.rank_day, review.effective_open, digests.frame_digest(got.members), notes]
    part.append(digests.volume_digest(t.days, review.rank_day))  # its demand's volumes
    return got, part


def _members_before(t: _Tables, review: inputs.Review) -> tuple[pl.DataFrame, list[str], inputs.Evidence]:
    """The members in force on the rank day (none published: the market data's memberships, if any),
    the notes on what the lake lacks, and the evidence that places members beyond the lists."""
    members = inputs.members_on(t.in_force, review.rank_day, t.every_document)
    base = inputs.base_date(t.in_force, t.every_calendar, review.rank_day)
    ipo = inputs.ipo_reviews(t.every_calendar, t.changes, base, review.rank_day)
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
        inputs.previous_rank_day(t.every_calendar, review.rank_day),
        ipo,
        t.holdings.filter(pl.col("as_of_date").is_between(base or date.min, review.rank_day)),
    )
    if not members.height:  # no published list in force: the market data's memberships, if any
        members, of = inputs.vendor_members(t.vendor_by_review, review.review)
        if of is not None:
            notes.append(
                "no published Russell list is in force on rank day: the members before are the "
                f"market data's memberships of {of} (Small Cap Completeness in the Russell 3000, "
                "Russell 2000 Growth in the Russell 2000); a Russell 3000 member in neither counts "
                "as new"
            )
    return members, notes, evidence


def _from_universe_file(
    t: _Tables,
    review: inputs.Review,
    mine: pl.DataFrame,
    on_day: pl.DataFrame,
    history: pl.DataFrame,
    members: pl.DataFrame,
    notes: list[str],
    evidence: inputs.Evidence,
) -> tuple[ReviewInputs, list]:
    """The review's inputs from the universe file dated on its rank day (`on_day`), and their parts of
    the digest. Each line's company as the SEC maps saved by rank day give it, and each member under
    the ticker its company carries that day (lib/securities/on_day.py)."""
    known = maps_until(t.sec, review.rank_day)
    resolver = resolver_on(known)
    rows = mine.filter(pl.col("source_sha256") == on_day["source_sha256"][0])
    rows = identify(rows, known, review.rank_day, resolver)
    members = carried(members, rows, resolver)
    source = f"universe file {on_day['path'][0]}"
    got = ReviewInputs(review, rows, source, history, members, tuple(notes), evidence)
    part = [
        review.review,
        "file",
        digests.frame_digest(rows),
        digests.frame_digest(history),
        digests.frame_digest(known),
        evidence.previous_rank_day,
        digests.frame_digest(evidence.ipo_reviews),
        digests.frame_digest(evidence.holdings),
        # a user's market data's closes before rank day give a member's 30-day average
        t.market_closes(review.rank_day) if _real(t.label) else None,
    ]
    return got, part


def years_out_of_date(lake: Lake) -> tuple[list[str], dict[str, str], list[str]]:
    """(every year key, the digest each year would record now, the years whose recorded digest differs)."""
    years = keys.year_keys()
    now = {str(y): i.digest for y, i in year_inputs(lake, [int(y) for y in years]).items()}
    return years, now, digests.out_of_date(now, lake.lineage.digests(ASSET))
