"""The stages of `build`, in the order it runs them: one table, each stage with its job, its partitions,
the tables it reads and writes, and one question, `out_of_date(lake, settings) -> Plan`.

`build` (runner/runs.py) loops over `STAGES`: it asks each stage in turn, after the one before has
run (a stage plans on what the stages before it wrote), prints its line and runs what it found out of
date; its "nothing to do" (runner/build.py) asks every stage up front and launches nothing when none
has work. The Dagster jobs (defs/*/jobs.py) take their names from here, so a job's name is written
once. Nothing here imports Dagster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from russell_pipeline.lake.document_tables import ingested_lists
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.market_tables import MARKET_TABLES as MARKET_CONTRACT
from russell_pipeline.planning import digests, forecast_years, keys, research_years, stale
from russell_pipeline.settings import Settings


@dataclass(frozen=True)
class Plan:
    """What a stage would run now. `todo`: for each of its targets (in run order), the partitions out
    of date; `inputs`: for each target, the input digest of every partition (what a run records, and
    its attempt: planning/attempts.py); `every`: the stage's partition keys, in order (none for an
    unpartitioned stage, whose one partition is `ALL`)."""

    every: tuple[str, ...]
    todo: dict[str, list[str]]
    inputs: dict[str, dict[str, str]]

    @property
    def keys(self) -> list[str]:
        """Every partition some target has to run, in partition order."""
        out = set().union(*self.todo.values()) if self.todo else set()
        return [k for k in self.every if k in out] if self.every else sorted(out)

    @property
    def empty(self) -> bool:
        return not any(self.todo.values())


ALL = "all"  # the one partition of an unpartitioned stage (market data, membership)


@dataclass(frozen=True)
class Stage:
    """One stage of `build`. `targets`: what its runs target, in order (the name its runs are labelled
    and attempted by: planning/attempts.py); `select`: which assets of its job a run materializes: the
    whole job (None), the stage's own tables (`writes`: stages that share a job) or each target alone;
    `said`: its line (`{n}` partitions out of date of `{m}`), printed before its runs (an unpartitioned
    stage's only when it has nothing to do); `retry_alone`: a range that fails on its input is split
    until its failing partitions run alone; `records`: the name each target's runs record what they were
    built from under (`Lake.lineage.digests`), where it is not the target's own."""

    name: str
    job: str
    partitions: Literal["years", "reviews"] | None
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    plan: Callable[[Lake, Settings], Plan]
    targets: tuple[str, ...]
    said: str
    select: Literal["writes", "target"] | None = None
    retry_alone: bool = False
    records: tuple[str, ...] = ()

    def out_of_date(self, lake: Lake, settings: Settings) -> Plan:
        return self.plan(lake, settings)

    def lineage(self, target: str) -> str:
        """The name `target`'s runs record what each partition was built from under."""
        return self.records[self.targets.index(target)] if self.records else target

    def assets(self, target: str) -> list[str] | None:
        """The assets a run of `target` materializes (None: its whole job)."""
        return {"writes": list(self.writes), "target": [target], None: None}[self.select]

    def line(self, plan: Plan) -> str | None:
        if self.partitions is None:
            return self.said if plan.empty else None
        todo = plan.keys
        return self.said.format(n=len(todo), m=len(plan.every)) + (
            f" ({spans(todo, list(plan.every))})" if todo else ""
        )


def busy(plan: Plan, target: str) -> list[str]:
    """The partitions of `target` a run may cover, in order: all but those with no input that have nothing
    to do (digests.NO_INPUT), so one run spans the gaps between partitions out of date (a year without
    documents between two with them is run with them, and holds no rows), where each gap would cost a
    run of its own."""
    todo, inputs = set(plan.todo[target]), plan.inputs[target]
    return [k for k in plan.every if k in todo or inputs.get(k) != digests.NO_INPUT]


def spans(keys: list[str], every: list[str]) -> str:
    """The keys as runs of consecutive partitions: `1989..2018, 2021, 2025..2030`."""
    return ", ".join(a if a == b else f"{a}..{b}" for a, b in digests.ranges(keys, every))


def _one(target: str, digest: str, stale_now: bool) -> Plan:
    """The plan of an unpartitioned stage: its one partition when `stale_now`."""
    return Plan((), {target: [ALL] if stale_now else []}, {target: {ALL: digest}})


def _year(asset: str) -> Callable[[Lake, Settings], Plan]:
    """The years of `asset` (documents, recon_calendar) whose files or code changed."""

    def plan(lake: Lake, settings: Settings) -> Plan:
        years = keys.year_keys()
        now = stale.year_digests(lake, years)[asset]
        return Plan(
            tuple(years), {asset: digests.out_of_date(now, lake.lineage.digests(asset))}, {asset: now}
        )

    return plan


def _market(lake: Lake, settings: Settings) -> Plan:
    fingerprint = stale.market_fingerprint(settings, ingested_lists(lake))
    return _one("market_data", digests.market_inputs(fingerprint), stale.market_stale(lake, fingerprint))


def _reviews(*assets: str) -> Callable[[Lake, Settings], Plan]:
    def plan(lake: Lake, settings: Settings) -> Plan:
        expected, out = stale.reviews_out_of_date(lake)
        return Plan(tuple(keys.review_keys()), {a: out[a] for a in assets}, {a: expected[a] for a in assets})

    return plan


def _membership(lake: Lake, settings: Settings) -> Plan:
    digest = stale.membership_inputs(lake)[1]
    return _one("membership", digest, lake.lineage.digests("membership").get(stale.MEMBERSHIP_KEY) != digest)


def _by_year(stage) -> Callable[[Lake, Settings], Plan]:
    """A stage over years whose planning module gives `years_out_of_date` (research, forecast)."""

    def plan(lake: Lake, settings: Settings) -> Plan:
        years, now, todo = stage.years_out_of_date(lake)
        return Plan(tuple(years), {stage.JOB: todo}, {stage.JOB: now})

    return plan


# The market data's tables: the contract's, where they came from, and their running day digests.
MARKET_TABLES = (*(f"market_{t}" for t in MARKET_CONTRACT), "market_source", "market_days")
LISTS = ("source_documents", "constituents", "constituent_changes")

# A year's documents: only the years with files under raw/<year>/ (and those built before).
DOCUMENTS = Stage(
    "years",
    stale.YEAR_JOB,
    "years",
    reads=("raw",),
    writes=(*LISTS, "universe_securities", "sec_tickers", "fund_holdings"),
    plan=_year("documents"),
    targets=("documents",),
    said="years: {n} of {m} out of date",
    select="writes",
    retry_alone=True,
)
# A year's calendar: projected by rule for every year (each has rows), published schedules applied.
CALENDAR = Stage(
    "recon_calendar",
    stale.YEAR_JOB,
    "years",
    reads=("raw", "source_documents"),
    writes=("recon_calendar",),
    plan=_year("recon_calendar"),
    targets=("recon_calendar",),
    said="recon_calendar: {n} of {m} years out of date",
    select="writes",
    retry_alone=True,
)
MARKET = Stage(
    "market_data",
    "market_job",
    None,
    reads=("constituents", "constituent_changes"),
    writes=MARKET_TABLES,
    plan=_market,
    targets=("market_data",),
    said="market_data: up to date",
)
REVIEWS_JOB = "reviews_job"  # weights, levels and pro-forma weights of a range of reviews
# Each asset over its own stale reviews: a moved rebalance recomputes that review's weights and the
# levels from the period before it on (each period starts from the one before).
REVIEWS = Stage(
    "reviews",
    REVIEWS_JOB,
    "reviews",
    reads=("recon_calendar", *MARKET_TABLES),
    writes=stale.INDEX_ASSETS,
    plan=_reviews(*stale.INDEX_ASSETS),
    targets=stale.INDEX_ASSETS,
    said="reviews: {n} out of date",
    select="target",
)
MEMBERSHIP = Stage(
    "membership",
    "membership_job",
    None,
    reads=(
        *LISTS,
        "universe_securities",
        "sec_tickers",
        "fund_holdings",
        "recon_calendar",
        "market_source",
        "market_memberships",
    ),
    writes=(
        "membership_history",
        "membership_in_force",
        "membership_reconciliation",
        "membership_reconciliation_summary",
        "list_revisions",
        "securities",
        "ticker_changes",
        "holdings_reconciliation",
    ),
    plan=_membership,
    targets=("membership",),
    said="membership: up to date",
)
# After the levels (a year's index path reads them) and the membership tables (the members in force on
# each rank day): the years whose inputs moved.
RESEARCH = Stage(
    research_years.ASSET,
    research_years.JOB,
    "years",
    reads=("constituent_changes", "recon_calendar", "index_levels", "research_prices", *MARKET_TABLES),
    writes=("reconstitution_paths", research_years.ASSET),
    plan=_by_year(research_years),
    targets=(research_years.JOB,),
    records=(research_years.ASSET,),
    said=research_years.ASSET + ": {n} of {m} years out of date",
    retry_alone=True,
)
FORECAST = Stage(
    forecast_years.ASSET,
    forecast_years.JOB,
    "years",
    reads=(
        "universe_securities",
        "sec_tickers",
        "fund_holdings",
        "source_documents",
        "constituent_changes",
        "recon_calendar",
        "membership_in_force",
        "market_memberships",
        "market_days",
        "market_source",
    ),
    writes=(
        forecast_years.ASSET,
        "forecast_breaks",
        "forecast_score",
        "forecast_misses",
        "reconstitution_demand",
    ),
    plan=_by_year(forecast_years),
    targets=(forecast_years.JOB,),
    records=(forecast_years.ASSET,),
    said=forecast_years.ASSET + ": {n} of {m} years out of date",
    retry_alone=True,
)
# Last: after the weights they trade from and are checked against, and after the forecast that changes
# the upcoming review's carried members (planned now, on the forecast just written).
PRO_FORMA = Stage(
    stale.PRO_FORMA,
    REVIEWS_JOB,
    "reviews",
    reads=("recon_calendar", "quarterly_weights", forecast_years.ASSET, *MARKET_TABLES),
    writes=(stale.PRO_FORMA,),
    plan=_reviews(stale.PRO_FORMA),
    targets=(stale.PRO_FORMA,),
    said=stale.PRO_FORMA + ": {n} out of date",
    select="target",
)
STAGES = (DOCUMENTS, CALENDAR, MARKET, REVIEWS, MEMBERSHIP, RESEARCH, FORECAST, PRO_FORMA)
