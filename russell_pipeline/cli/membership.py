"""The verbs of membership: members (who was in an index on a date), reconcile (an ETF's holdings
against those members) and diff (a year's list revisions)."""

from __future__ import annotations

import sys
from datetime import date

import polars as pl

from russell_pipeline.cli.common import UsageError, emit, not_built, open_lake, stored, warn_not_current
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.settings import Settings


def cmd_members(args, settings: Settings) -> int:
    """The members of each index on a date, from a complete base only (docs/methodology.md §2.8): an
    index the lake cannot count whole that day is one clause of the error line, and the exit code is 1;
    with `--partial`, its members the lake holds are printed too, marked so, and the exit code is 0."""
    from russell_pipeline.lib.membership.in_force import DERIVED, coverage
    from russell_pipeline.lib.membership.on_date import answer, before_first, known_whole
    from russell_pipeline.lib.sessions import is_session

    lake = open_lake(settings)
    for table in ("membership_in_force", "membership_reconciliation_summary"):
        stored(lake, table)
    spans = coverage(lake.warehouse.published("membership_in_force"))
    stored_names = spans["index_name"].unique(maintain_order=True).to_list()
    # A derived index is offered where the lake stores what it is derived from; asked for, it is
    # answered (or its count refused with why) either way.
    derivable = [name for name, parts in DERIVED.items() if set(parts) <= set(stored_names)]
    known = list(dict.fromkeys([*stored_names, *DERIVED]))
    index = _index_name(
        args.index, known, "membership_in_force", list(dict.fromkeys([*stored_names, *derivable]))
    )
    early = before_first(args.date, spans, index)
    if early:  # the answer first: the first date it can answer; the table it looked in after it
        raise LakeError(f"{early} (in {lake.tables.folder / 'membership_in_force'})")
    on_day = lake.warehouse.read("SELECT * FROM members_on(?, index := ?)", [args.date, index])
    asked = [index] if index else on_day["index_name"].unique(maintain_order=True).to_list()
    if not asked:
        raise LakeError(
            f"{lake.tables.folder / 'membership_in_force'}: members {args.date}: no stored document covers "
            f"that date for any index ({known_whole(spans)})"
        )
    lacking = lake.warehouse.read(
        "SELECT index_name, string_agg(DISTINCT gaps, '; ') AS gaps FROM members_on(?) "
        "WHERE gaps IS NOT NULL GROUP BY index_name",
        [args.date],
    )
    found = answer(
        args.date,
        asked,
        on_day,
        spans,
        lake.warehouse.published("membership_reconciliation_summary"),
        dict(lacking.iter_rows()),
    )
    shown = on_day.filter(pl.col("index_name").is_in(asked)) if args.partial else found.members
    if shown.height:
        emit(shown, args.format)
    if _in_calendar(args.date) and not is_session(args.date):
        print(
            f"note: {args.date} ({args.date:%A}) is not an NYSE session: the members in force that day",
            file=sys.stderr,
        )
    for line in found.notes:
        print(line, file=sys.stderr)
    _not_current(lake, args.date)
    if found.uncounted and args.partial:
        for clause in found.uncounted:
            print(f"{clause}; printed as a part, not the whole index (complete = false)", file=sys.stderr)
    elif found.uncounted:
        raise LakeError(found.error(args.date))
    return 0


def _not_current(lake, day: date) -> None:
    """A warning for each year up to `day`'s whose stored lists are not those of its files (their build
    failed, or has not run), else when the membership tables are not those of the stored lists."""
    from russell_pipeline.planning.keys import year_keys
    from russell_pipeline.planning.stale import membership_not_built, year_not_built

    whys = {
        key: why for key in year_keys() if int(key) <= day.year and (why := year_not_built(lake, int(key)))
    }
    why = next(iter(whys.values()), None) or membership_not_built(lake)
    if len(whys) > 1:  # one line: the first year's reason, the others named
        why += f" (the years {', '.join(list(whys)[1:])} too: `russell-pipeline build` says why)"
    if why:
        warn_not_current(why, "the membership tables an earlier build left")


def _in_calendar(day: date) -> bool:
    from russell_pipeline.lib.sessions import FIRST_DAY, LAST_DAY

    return FIRST_DAY <= day <= LAST_DAY


def _index_name(
    asked: str | None, known: list[str], table: str, offered: list[str] | None = None
) -> str | None:
    """The stored index name `--index` means, in any letter case; one line naming the ones it can answer
    for (`offered`, default `known`) if none."""
    if asked is None:
        return None
    match = [name for name in known if name.casefold() == " ".join(asked.split()).casefold()]
    if not match:
        shown = ", ".join(offered if offered is not None else known) or "none"
        raise UsageError(f"--index {asked}: no such index in {table} (indexes: {shown})")
    return match[0]


def cmd_reconcile(args, settings: Settings) -> int:
    """The companies the holdings files of a date and the lake's members disagree on, each with its likely
    reason (lib/membership/funds.py); stderr: per fund, what it was compared with and the counts. A date
    with no holdings file is one line naming the dates that have one, and exit code 1."""
    lake = open_lake(settings)
    stored(lake, "holdings_reconciliation")
    stored(lake, "fund_holdings")
    held = lake.warehouse.published("fund_holdings").filter(pl.col("listed"))
    funds = held.filter(pl.col("as_of_date") == args.date).select("fund", "index_name").unique().sort("fund")
    if args.fund:
        funds = funds.filter(pl.col("fund").str.to_lowercase().str.contains(args.fund.lower(), literal=True))
    if not funds.height:
        dates = ", ".join(str(d) for d in sorted(set(held["as_of_date"]))) or "none"
        which = f" of a fund named like {args.fund!r}" if args.fund else ""
        raise LakeError(
            f"reconcile {args.date}: no holdings file{which} is dated {args.date} (dates held: {dates})"
        )
    rows = lake.warehouse.published("holdings_reconciliation").filter(
        pl.col("as_of_date") == args.date, pl.col("fund").is_in(funds["fund"].implode())
    )
    emit(rows.sort("fund", "side", "symbol"), args.format)
    for fund, index in funds.iter_rows():
        mine = rows.filter(pl.col("fund") == fund)
        compared = mine["compared_with"].drop_nulls()
        against = compared[0] if compared.len() else None
        counts = dict(mine.group_by("side").len().iter_rows())
        print(
            f"{fund} ({index}) on {args.date}: "
            + (
                f"compared with the lake's {against}"
                if against
                else "the lake holds no membership to compare"
            )
            + f": {counts.get('fund_only', 0)} held by the fund only, "
            + f"{counts.get('lake_only', 0)} members it does not hold",
            file=sys.stderr,
        )
        for reason, n in mine.group_by("reason").len().sort("len", descending=True).head(5).iter_rows():
            print(f"  {n}: {reason}", file=sys.stderr)
    return 0


def cmd_diff(args, settings: Settings) -> int:
    """Who entered or left between consecutive versions of a year's change lists; with nothing to
    compare (no list with two versions stored, or the year's build failed) one line and exit code 1."""
    from russell_pipeline.lib.documents.reading import CONSTITUENT_COLUMNS
    from russell_pipeline.lib.membership.placement import placed_lists
    from russell_pipeline.lib.membership.revisions import revision_steps

    lake = open_lake(settings)
    for table in ("list_revisions", "constituent_changes", "source_documents", "recon_calendar"):
        stored(lake, table)
    changes = lake.warehouse.published("constituent_changes")
    index = _index_name(
        args.index,
        changes["index_name"].drop_nulls().unique(maintain_order=True).to_list(),
        "constituent_changes",
    )
    asked = [pl.col("recon_year") == args.year, *([pl.col("index_name") == index] if index else [])]
    _, placed, _ = placed_lists(
        pl.DataFrame(schema=CONSTITUENT_COLUMNS),
        changes.filter(*asked),
        lake.warehouse.published("source_documents"),
        lake.warehouse.published("recon_calendar"),
    )
    revisions = (
        lake.warehouse.published("list_revisions")
        .filter(*asked)
        .sort("review", "index_name", "change", "version", "revision", "symbol")
    )
    steps = revision_steps(placed, revisions)
    unbuilt = not_built(lake, args.year, steps.height > 0)
    if not steps.height:
        lists = placed.filter(pl.col("kind") != "membership").height
        raise LakeError(
            f"diff {args.year}: nothing to compare: "
            + (
                unbuilt
                or (
                    f"each of the {lists} addition and deletion lists stored for {args.year} has one version"
                    if lists
                    else f"no addition or deletion list is stored for {args.year}"
                )
            )
        )
    emit(revisions, args.format)
    for r in steps.iter_rows(named=True):
        print(
            f"{r['review']} {r['index_name']} {r['kind']}s: {r['previous_stage']} "
            f"{r['previous_as_of_date'] or '-'} -> {r['stage']} {r['as_of_date'] or '-'}: "
            f"{r['entered'] or 0} entered, {r['left'] or 0} left",
            file=sys.stderr,
        )
    return 0
