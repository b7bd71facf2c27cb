"""russell-pipeline: turn FTSE Russell's published index documents into tables and a 90/10 index series.

The lake is RUSSELL_DATA_LAKE (default ./data_lake); `build` fills it, the other verbs read it or
one document. Every error is one line naming the file, date or value and the problem."""

from __future__ import annotations

import argparse
import io
import os
import sys
import warnings
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from russell_pipeline.lib.errors import InputError, LakeError
from russell_pipeline.settings import Settings

if TYPE_CHECKING:
    from russell_pipeline.lake.store import Lake

# Each verb imports what it uses when it runs (the lake, DuckDB, Dagster, the calendar): `parse` of
# one document starts in about the time it takes to import polars.


def _lake(settings: Settings) -> Lake:
    from russell_pipeline.lake.store import Lake

    return Lake.from_settings(settings)


class UsageError(ValueError):
    """A request the command cannot answer as asked; str() is the one line shown."""


def _emit(df: pl.DataFrame, fmt: str) -> None:
    if fmt == "parquet" and sys.stdout.isatty():
        raise UsageError("--format parquet writes binary: redirect it to a file (... --format parquet > rows.parquet)")
    if fmt == "parquet":
        buf = io.BytesIO()
        df.write_parquet(buf)
        sys.stdout.buffer.write(buf.getvalue())
    elif fmt == "json":
        sys.stdout.write(df.write_json() + "\n")
    else:
        sys.stdout.write(df.write_csv())


def _say_synthetic(labels: pl.Series, what: str) -> None:
    """One line on stderr when any of `labels` (a `price_source` column) is the synthetic feed."""
    from russell_pipeline.lib.market import provenance

    if labels.eq(provenance.SYNTHETIC).any():
        print(provenance.synthetic_note(what), file=sys.stderr)


def _warn_contradictions(contradictions: pl.DataFrame) -> None:
    for c in contradictions.iter_rows(named=True):
        other = f"{c['other_line']} ({c['other_date'] or 'footnote'})"
        print(f"warning: {c['path']}: {c['review']} {c['event']}: {c['line']} ({c['date']}) contradicts {other}; "
              "dropped, the projection stands", file=sys.stderr)


def cmd_parse(args, settings: Settings) -> int:
    from russell_pipeline.lib.documents.corrections import ready_entry
    from russell_pipeline.lib.documents.ingest import read_one

    path = Path(args.file)
    doc = read_one(path, settings.limits)
    if doc.doc_type == "schedule":  # only a schedule needs the calendar rules (and NYSE sessions)
        from russell_pipeline.lib.calendar.published import read_schedule

        schedule = read_schedule(doc, str(path))
        _warn_contradictions(schedule.contradictions)
        _emit(schedule.rows, args.format)
        print(f"{path}: schedule, {doc.index_name or '-'}, {schedule.rows.height} calendar rows", file=sys.stderr)
        return 0
    # A data line the parser could not read is an error, as in the pipeline; each is followed by the
    # raw/<year>/corrections.csv entry that settles it, on a line of its own, ready to paste.
    if doc.unread_problem():
        print(f"error: {InputError(path, doc.unread_problem())}", file=sys.stderr)
        for page, line, _ in doc.unread.iter_rows():
            print(ready_entry(path.name, page, line), file=sys.stderr)
        return 1
    # Under raw/<year>/ the folder names the reconstitution year; elsewhere the document's date does.
    year = int(path.parent.name) if path.parent.name.isdigit() else (
        doc.as_of_date.year if doc.as_of_date else None)
    rows = doc.rows.with_columns(recon_year=pl.lit(year, pl.Int64)).select(["recon_year", *doc.rows.columns])
    _emit(rows, args.format)
    dated = f"dated {doc.as_of_date} ({doc.date_source})" if doc.as_of_date else f"no date ({doc.date_source or '-'})"
    print(f"{path}: {doc.doc_type}, {doc.index_name or '-'}, {doc.stage or '-'}, {rows.height} rows, {dated}",
          file=sys.stderr)
    return 0


def cmd_calendar(args, settings: Settings) -> int:
    from russell_pipeline.lib.calendar.ics import to_ics
    from russell_pipeline.lib.calendar.published import year_calendar
    from russell_pipeline.lib.calendar.rules import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= args.year <= LAST_YEAR:
        raise UsageError(f"calendar {args.year}: the reconstitution calendar covers {FIRST_YEAR}..{LAST_YEAR} "
                         "(projected by rule, with the published schedules under raw/<year>/ applied)")

    found = year_calendar(_lake(settings).raw, args.year, settings.limits)
    for err in found.errors:
        print(f"warning: {err} (projected dates kept)", file=sys.stderr)
    _warn_contradictions(found.contradictions)
    if args.format == "ics":
        sys.stdout.buffer.write(to_ics(found.calendar))
    else:
        _emit(found.calendar, args.format)
    return 0


def cmd_report(args, settings: Settings) -> int:
    from russell_pipeline.lib.index.report import chart_png, summary_html, summary_table, summary_text

    lake = _lake(settings)
    levels = lake.published("index_levels")
    if levels is None or not levels.height:
        raise InputError(lake.tables / "index_levels", "no index levels stored: run `russell-pipeline build` first")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"report --out {out}: cannot create the folder ({err.strerror})") from None
    levels = levels.sort("date")
    source = lake.published("market_source")
    note = f"market data: {source['source'][0]}" if source is not None and source.height else ""
    chart_png(levels, out / "index_levels.png", note)
    summary = summary_table(levels)
    labels = levels["price_source"] if "price_source" in levels.columns else pl.Series([None], dtype=pl.String)
    summary.with_columns(price_source=pl.lit(", ".join(sorted(labels.drop_nulls().unique())) or None, pl.String)
                         ).write_csv(out / "summary.csv")
    text = summary_text(summary, note)
    (out / "summary.txt").write_text(text)
    (out / "report.html").write_text(summary_html(summary, "index_levels.png", note))
    print(text, end="")
    print(f"wrote {out / 'report.html'} (chart and table), {out / 'index_levels.png'}, {out / 'summary.csv'}, "
          f"{out / 'summary.txt'}")
    _say_synthetic(labels, "the index levels of this report")
    return 0


def cmd_query(args, settings: Settings) -> int:
    """The statement's rows as it selects them (a priced table's `price_source` column is there to select);
    a note on stderr names the tables it reads whose rows rest on the synthetic feed."""
    lake = _lake(settings)
    result = lake.query(args.sql)
    if args.format != "table":
        _emit(result, args.format)
    else:
        with pl.Config(tbl_rows=args.max_rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
            print(result)
    if synthetic := _synthetic_tables(lake, args.sql):
        from russell_pipeline.lib.market.provenance import synthetic_note

        print(synthetic_note(f"the rows of {', '.join(synthetic)}"), file=sys.stderr)
    return 0


def _synthetic_tables(lake: Lake, sql: str) -> list[str]:
    """The published tables `sql` names (its identifiers, by DuckDB's tokenizer) holding rows that rest on
    the synthetic feed."""
    import duckdb

    from russell_pipeline.lake.tables import on_synthetic_prices

    tokens = duckdb.tokenize(sql)
    ends = [start for start, _ in tokens[1:]] + [len(sql)]
    named = {sql[start:end].strip().strip('"').lower() for (start, kind), end in zip(tokens, ends, strict=True)
             if kind == duckdb.token_type.identifier}
    return on_synthetic_prices(lake, named)


def cmd_build(args, settings: Settings) -> int:
    from russell_pipeline.planning.build import build

    lake = _lake(settings)
    if lake.location is None and not lake.root.is_dir():
        if not (args.init or not settings.data_lake_named):
            raise LakeError(f"{lake.root}: the lake folder (RUSSELL_DATA_LAKE) does not exist; create it, or run "
                            "`russell-pipeline build --init` to start a new lake there")
        lake.root.mkdir(parents=True)
        print(f"created the lake folder {lake.root}")
    return build(settings, verbose=args.verbose)


def cmd_fetch(args, settings: Settings) -> int:
    from russell_pipeline.lake.tables import fetch_years
    from russell_pipeline.lib.fetch.download import Client
    from russell_pipeline.lib.fetch.fetcher import MANIFEST
    from russell_pipeline.lib.fetch.registry import load_registry, parse_years

    years = parse_years(args.years)
    registry = load_registry(args.sources)
    mirror = args.mirror if args.mirror is not None else settings.mirror
    client = Client(mirror=mirror, timeout=args.timeout, max_bytes=settings.limits.pdf_bytes)
    lake = _lake(settings)
    print(f"fetch {args.years}: {sum(d.recon_year in years for d in registry)} documents in the source registry"
          + (f", read through the mirror {mirror}" if mirror else ""), flush=True)

    def report(outcome) -> None:
        print(outcome.line, flush=True)
        if outcome.status == "failed":
            print(f"error: {outcome.failure_line}", file=sys.stderr, flush=True)

    outcomes = fetch_years(lake, years, registry, client, report)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("fetched", "present", "failed")}
    print(f"fetch: {counts['fetched']} fetched, {counts['present']} already present, {counts['failed']} failed; "
          f"files in {lake.raw}, listed in the {MANIFEST} table")
    return 1 if counts["failed"] else 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _stored(lake: Lake, table: str) -> None:
    """The table must be in the published snapshot (what the views and `Lake.published` read)."""
    if table not in lake.published_versions():
        raise LakeError(f"{lake.tables / table}: not built yet: run `russell-pipeline build` first")


def cmd_members(args, settings: Settings) -> int:
    """The members of each index on a date, from a complete base only (docs/methodology.md §2.8): an
    index the lake cannot count whole that day is one clause of the error line, and the exit code is 1."""
    from russell_pipeline.lib.calendar.sessions import is_session
    from russell_pipeline.lib.membership.in_force import DERIVED, coverage
    from russell_pipeline.lib.membership.on_date import answer

    lake = _lake(settings)
    for table in ("membership_in_force", "membership_reconciliation_summary"):
        _stored(lake, table)
    spans = coverage(lake.published("membership_in_force"))
    known = list(dict.fromkeys([*spans["index_name"].to_list(), *DERIVED]))
    index = _index_name(args.index, known, "membership_in_force")
    on_day = lake.query("SELECT * FROM members_on(?, index := ?)", [args.date, index])
    asked = [index] if index else on_day["index_name"].unique(maintain_order=True).to_list()
    if not asked:
        raise LakeError(f"{lake.tables / 'membership_in_force'}: members {args.date}: no stored document covers "
                        f"that date for any index ({_known_whole(spans)})")
    found = answer(args.date, asked, on_day, spans, lake.published("membership_reconciliation_summary"))
    if found.members.height:
        _emit(found.members, args.format)
    if _in_calendar(args.date) and not is_session(args.date):
        print(f"note: {args.date} ({args.date:%A}) is not an NYSE session: the members in force that day",
              file=sys.stderr)
    for line in found.notes:
        print(line, file=sys.stderr)
    if found.uncounted:
        raise LakeError(found.error(args.date))
    return 0


def _known_whole(spans: pl.DataFrame) -> str:
    whole = spans.filter(pl.col("complete"))
    if not whole.height:
        return "no index's membership is stored whole: it needs a membership list"
    return "known whole: " + "; ".join(
        f"{name} [{a}, {b or 'no later document'})" for name, a, b in whole.select("index_name", "valid_from",
                                                                                  "valid_to").iter_rows())


def _in_calendar(day: date) -> bool:
    from russell_pipeline.lib.calendar.sessions import FIRST_DAY, LAST_DAY

    return FIRST_DAY <= day <= LAST_DAY


def _index_name(asked: str | None, known: list[str], table: str) -> str | None:
    """The stored index name `--index` means, in any letter case; one line naming the known ones if none."""
    if asked is None:
        return None
    match = [name for name in known if name.casefold() == " ".join(asked.split()).casefold()]
    if not match:
        raise UsageError(f"--index {asked}: no such index in {table} (indexes: {', '.join(known) or 'none'})")
    return match[0]


def _year_not_built(lake: Lake, year: int, answered: bool) -> str | None:
    """Why the year's stored tables are not those of its files (planning/stale.py), or None; when the
    verb still answers (from the tables an earlier build left), a warning says so."""
    from russell_pipeline.planning.stale import year_not_built

    why = year_not_built(lake, year)
    if why and answered:
        print(f"warning: {why}; this answer rests on the tables an earlier build of {year} left", file=sys.stderr)
    return why


def cmd_diff(args, settings: Settings) -> int:
    """Who entered or left between consecutive versions of a year's change lists; with nothing to
    compare (no list with two versions stored, or the year's build failed) one line and exit code 1."""
    from russell_pipeline.lib.documents.reading import CONSTITUENT_COLUMNS
    from russell_pipeline.lib.membership.placement import placed_lists
    from russell_pipeline.lib.membership.revisions import version_pairs

    lake = _lake(settings)
    for table in ("list_revisions", "constituent_changes", "source_documents", "recon_calendar"):
        _stored(lake, table)
    stored = lake.published("list_revisions")
    changes = lake.published("constituent_changes")
    index = _index_name(args.index, changes["index_name"].drop_nulls().unique(maintain_order=True).to_list(),
                        "constituent_changes")
    changes = changes.filter(pl.col("recon_year") == args.year, *([pl.col("index_name") == index] if index else []))
    _, placed, _ = placed_lists(pl.DataFrame(schema=CONSTITUENT_COLUMNS), changes, lake.published("source_documents"),
                                lake.published("recon_calendar"))
    pairs = version_pairs(placed).sort("review", "index_name", "kind", "version")
    unbuilt = _year_not_built(lake, args.year, pairs.height > 0)
    if not pairs.height:
        lists = placed.filter(pl.col("kind") != "membership").height
        raise LakeError(f"diff {args.year}: nothing to compare: " + (unbuilt or (
            f"each of the {lists} addition and deletion lists stored for {args.year} has one version" if lists
            else f"no addition or deletion list is stored for {args.year}")))
    revisions = stored.filter(pl.col("recon_year") == args.year, *([pl.col("index_name") == index] if index else []))
    revisions = revisions.sort("review", "index_name", "change", "version", "revision", "symbol")
    _emit(revisions, args.format)
    counts = revisions.group_by("review", "index_name", "change", "version").agg(
        (pl.col("revision") == "entered").sum().alias("entered"), (pl.col("revision") == "left").sum().alias("left"))
    steps = pairs.join(counts, left_on=["review", "index_name", "kind", "version"],
                       right_on=["review", "index_name", "change", "version"], how="left")
    for r in steps.iter_rows(named=True):
        print(f"{r['review']} {r['index_name']} {r['kind']}s: {r['previous_stage']} {r['previous_as_of_date'] or '-'}"
              f" -> {r['stage']} {r['as_of_date'] or '-'}: {r['entered'] or 0} entered, {r['left'] or 0} left",
              file=sys.stderr)
    return 0


def cmd_pro_forma(args, settings: Settings) -> int:
    """A review's trade list: weight now, pro-forma weight, change and shares per $1 billion per symbol, and
    the prices it rests on; the totals on stderr, and a note when those prices are the synthetic feed
    (docs/methodology.md §1.10). Nothing is printed on stdout unless the whole answer is."""
    from russell_pipeline.lib.index.pro_forma import TRADE_COLUMNS, totals
    from russell_pipeline.lib.market.provenance import COLUMN

    lake = _lake(settings)
    _stored(lake, "pro_forma_weights")
    stored = lake.published("pro_forma_weights")
    rows = stored.filter(pl.col("review") == args.review).sort("symbol")
    if not rows.height:
        held = sorted(stored["review"].unique().to_list())
        raise UsageError(f"pro-forma {args.review}: no pro-forma weights for this review (reviews with them: "
                         + (f"{held[0]}..{held[-1]}" if held else "none") + "; a review needs its members in the "
                         "market data and the weights of the review before it)")
    _emit(rows.select(*TRADE_COLUMNS, COLUMN), args.format)
    head, summary = rows.row(0, named=True), totals(rows)
    print(summary.line(args.review, head["as_of_date"], head["stand_in"]), file=sys.stderr)
    if head["members_carried"]:
        print(f"members carried: the market data holds no members for {args.review} yet, so these are the members of "
              f"{head['members_review']} (its latest review with members; {summary.names_out} without a close "
              f"within the stale limit left out); when the data gives {args.review} its own, build uses them",
              file=sys.stderr)
    _say_synthetic(rows[COLUMN], f"the weights and trades of pro-forma {args.review}")
    return 0


def cmd_verify(args, settings: Settings) -> int:
    """Every byte of every table's current files against its commit's checksum; a damaged file is one
    line, and its partition is marked out of date so the next `build` rebuilds it from its inputs."""
    from russell_pipeline.lake import checksums

    lake = _lake(settings)
    if not lake.table_names():
        raise LakeError(f"{lake.tables}: no tables yet: run `russell-pipeline build` first")
    with lake.locked():
        damage, unrecorded, count = checksums.check(lake, every_byte=True)
        lines = checksums.forget(lake, damage)
    for line in lines:
        print(f"{line} by the next `russell-pipeline build`", file=sys.stderr)
    for table in unrecorded:
        print(f"note: {lake.tables / table}: files with no checksum yet (written before checksums were kept, or by "
              "`fetch`); the next build records them", file=sys.stderr)
    print(f"verify: {count} files checked, {len(damage)} damaged")
    return 1 if damage else 0


def _latest_session():
    from datetime import UTC, datetime

    from russell_pipeline.lib.calendar.sessions import last_completed_session

    return last_completed_session(datetime.now(UTC))


def cmd_import_prices(args, settings: Settings) -> int:
    """Validate a price file and store it as `research_prices` (what `reconstitution_effect` reads)."""
    from russell_pipeline.defs.research.assets import RESEARCH_PRICES
    from russell_pipeline.lake.commit import Staged, write_and_publish
    from russell_pipeline.lib.research.prices import read_price_file

    found = read_price_file(args.file, _latest_session())
    lake = _lake(settings)
    write_and_publish(lake, Staged(RESEARCH_PRICES, found.prices.with_columns(source=pl.lit(Path(args.file).name))))
    p = found.prices
    print(f"{args.file}: {found.layout} layout, {p.height} closes of {p['symbol'].n_unique()} symbols, "
          f"{p['date'].min()}..{p['date'].max()}: stored as {RESEARCH_PRICES} (replacing any earlier import); "
          "the next `build` reruns reconstitution_effect with them")
    return 0


def cmd_event_study(args, settings: Settings) -> int:
    from russell_pipeline.lib.market.provenance import imported_file, stamped
    from russell_pipeline.lib.research.event import event_days, group_paths, listed_symbols, normalized_paths
    from russell_pipeline.lib.research.prices import read_price_file

    found = read_price_file(args.prices, _latest_session())  # a bad file is refused before the lake is read
    lake = _lake(settings)
    for table in ("constituent_changes", "recon_calendar"):
        _stored(lake, table)
    changes = lake.published("constituent_changes").filter(pl.col("recon_year") == args.year)
    calendar = lake.published("recon_calendar")
    # The year's lists placed on its reviews as the asset places them: the annual reconstitution's only.
    listed = listed_symbols(changes, args.year, calendar.filter(pl.col("recon_year") == args.year))
    unbuilt = _year_not_built(lake, args.year, listed.height > 0)
    if not listed.height:
        raise LakeError(f"{lake.tables / 'constituent_changes'}: no final addition or deletion list for "
                        f"{args.year}: " + (unbuilt or f"put its lists under raw/{args.year}/ and run "
                                                      "`russell-pipeline build`"))
    days = event_days(calendar, args.year)
    paths = normalized_paths(found.prices, listed, days)
    effect = group_paths(paths).filter(pl.col("list_group").is_in(["addition", "deletion"]))
    _emit(stamped(effect, imported_file(Path(args.prices).name)), args.format)  # the user's file: never synthetic
    window = days.window["date"]
    print(f"{args.year}: rank day {days.rank_day}, recon_close {days.recon_close} (session_offset 0), window "
          f"{window[0]}..{window[-1]} (session offsets {days.window['session_offset'][0]}..{days.window['session_offset'][-1]})",
          file=sys.stderr)
    for (group,), rows in listed.group_by("list_group", maintain_order=True):
        priced = paths.filter(pl.col("list_group") == group)["symbol"].n_unique()
        print(f"{group}s: {priced} of {rows.height} listed symbols have a close on or before rank day in "
              f"{args.prices}", file=sys.stderr)
    return 0


VERBS = {
    "build": ("materialize every out-of-date partition of every asset (the main job)",
              "russell-pipeline build\n  RUSSELL_DATA_LAKE=/data/lake russell-pipeline build --init"),
    "parse": ("parse one document and print its rows (a list) or its calendar rows (a schedule)",
              "russell-pipeline parse data_lake/raw/2024/additions.pdf --format json"),
    "calendar": (("one reconstitution year's events (1989..2035), each with its rule or source (`basis`): "
                  "projected by rule, published schedules applied"),
                 "russell-pipeline calendar 1995\n  russell-pipeline calendar 2025 --format ics > recon-2025.ics"),
    "report": ("the index chart and a summary table of annual returns, volatility and drawdown",
               "russell-pipeline report --out report/"),
    "query": ("one read-only SQL statement over the lake's tables",
              'russell-pipeline query "SELECT * FROM index_levels ORDER BY date DESC LIMIT 5"'),
    "fetch": ("download the published documents of reconstitution years into raw/<year>/",
              "russell-pipeline fetch 2024\n  russell-pipeline fetch 2010..2026 --mirror http://cache.internal/"),
    "members": ("the constituents in force on a date, with the documents behind them",
                'russell-pipeline members 2023-01-03 --index "Russell 3000"'),
    "verify": ("read every data file of the lake and compare it with the checksum its commit recorded",
               "russell-pipeline verify"),
    "pro-forma": ("a review's weights as the method sets them and the trade from the weights in force",
                  "russell-pipeline pro-forma 2024-06 --format json"),
    "import-prices": ("validate a price file (long, wide or yfinance CSV) and store it for reconstitution_effect",
                      "russell-pipeline import-prices prices.csv"),
    "event-study": ("median and mean price paths of a year's added and deleted symbols around its reconstitution",
                    "russell-pipeline event-study 2025 --prices prices.csv --format json"),
    "diff": ("names entering or leaving between versions (preliminary, updates, final) of a year's change lists",
             "russell-pipeline diff 2023 --index \"russell 2000\""),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A wrong argument is one line too (and exit code 2, as argparse gives)."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="russell-pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str) -> argparse.ArgumentParser:
        text, example = VERBS[name]
        return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".",
                              epilog="example:\n  " + example, formatter_class=argparse.RawDescriptionHelpFormatter)

    def output(p: argparse.ArgumentParser, formats: list[str], default: str) -> None:
        p.add_argument("--format", choices=formats, default=default,
                       help=f"output format (default {default}; parquet only into a file or pipe)")

    p = verb("build")
    p.add_argument("--init", action="store_true", help="create the lake folder named by RUSSELL_DATA_LAKE if missing")
    p.add_argument("--verbose", action="store_true", help="show Dagster's full log and stack traces")
    p = verb("parse")
    p.add_argument("file", help="a membership, additions or deletions list, or a schedule (PDF or text)")
    output(p, ["csv", "json", "parquet"], "csv")
    p = verb("calendar")
    p.add_argument("year", type=int, help="a reconstitution year, 1989..2035")
    output(p, ["csv", "json", "ics"], "csv")
    p = verb("report")
    p.add_argument("--out", default="report", help="folder for index_levels.png and the summary (default report/)")
    p = verb("query")
    p.add_argument("sql", help="one SELECT (or EXPLAIN) over the tables, e.g. index_levels, quarterly_weights")
    p.add_argument("--max-rows", type=int, default=50, help="rows shown in the table format (default 50)")
    output(p, ["table", "csv", "json", "parquet"], "table")
    p = verb("fetch")
    p.add_argument("years", help="a year (2024) or a range (2010..2026)")
    p.add_argument("--mirror", default=None,
                   help="read https://host/path from MIRROR/host/path (default: $RUSSELL_MIRROR, else the publishers)")
    p.add_argument("--sources", default=None, help="a source registry CSV (default: the packaged sources.csv)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a download fails")
    p = verb("members")
    p.add_argument("date", type=_iso_date, help="the day, YYYY-MM-DD")
    p.add_argument("--index", default=None, help='one index, any letter case, e.g. "Russell 3000" (default: all)')
    output(p, ["csv", "json", "parquet"], "csv")
    p = verb("diff")
    p.add_argument("year", type=int, help="a reconstitution year")
    p.add_argument("--index", default=None, help='one index, any letter case, e.g. "Russell 2000" (default: all)')
    output(p, ["csv", "json", "parquet"], "csv")
    p = verb("pro-forma")
    p.add_argument("review", help="a review, YYYY-MM (March, June, September or December)")
    output(p, ["csv", "json", "parquet"], "csv")
    verb("verify")
    p = verb("import-prices")
    p.add_argument("file", help="CSV: long (Date, Ticker, Close, ...), wide (Date, one column per ticker) or yfinance's")
    p = verb("event-study")
    p.add_argument("year", type=int, help="a reconstitution year with final lists in the lake")
    p.add_argument("--prices", required=True, help="a price file, as import-prices reads it")
    output(p, ["csv", "json"], "csv")
    return parser


def _duckdb_error(err: Exception) -> bool:
    """A DuckDB error (DuckDB is imported only by the verbs that use it)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(err, duckdb.Error)


def _one_line(err: Exception) -> str:
    """The error as the user's one line: no exception class names."""
    if isinstance(err, OSError) and err.strerror:
        text = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    elif _duckdb_error(err):
        text = f"query: {err}"
    else:
        text = str(err)
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    # Dagster's notes on beta and superseded APIs are for developers; a user sees results and errors.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is currently in preview|superseded)")
    args = _parser().parse_args(argv)
    handler = {"build": cmd_build, "parse": cmd_parse, "calendar": cmd_calendar, "report": cmd_report,
               "query": cmd_query, "fetch": cmd_fetch, "members": cmd_members, "diff": cmd_diff,
               "verify": cmd_verify, "import-prices": cmd_import_prices, "event-study": cmd_event_study,
               "pro-forma": cmd_pro_forma}[args.verb]
    try:
        return handler(args, Settings.from_env())
    except Exception as err:
        if not isinstance(err, (InputError, LakeError, ValueError, OSError)) and not _duckdb_error(err):
            raise
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
