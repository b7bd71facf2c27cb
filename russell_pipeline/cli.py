"""`russell-pipeline`: build the lake, read documents, and query what it holds."""

from __future__ import annotations

import argparse
import io
import os
import sys
import warnings
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from russell_pipeline.lake.store import Lake, LakeError
from russell_pipeline.lib.errors import InputError
from russell_pipeline.settings import Settings, SettingsError


def _emit(df: pl.DataFrame, fmt: str) -> None:
    if fmt == "parquet":
        buf = io.BytesIO()
        df.write_parquet(buf)
        sys.stdout.buffer.write(buf.getvalue())
    elif fmt == "json":
        sys.stdout.write(df.write_json() + "\n")
    else:
        sys.stdout.write(df.write_csv())


def _warn_contradictions(contradictions: pl.DataFrame) -> None:
    for c in contradictions.iter_rows(named=True):
        other = f"{c['other_line']} ({c['other_date'] or 'footnote'})"
        print(f"warning: {c['path']}: {c['review']} {c['event']}: {c['line']} ({c['date']}) contradicts {other}; "
              "dropped, the projection stands", file=sys.stderr)


def cmd_parse(args, settings: Settings) -> int:
    from russell_pipeline.lib.calendar.published import read_schedule
    from russell_pipeline.lib.documents.reading import read_document

    path = Path(args.file)
    doc = read_document(path, settings.limits)
    if doc.doc_type == "schedule":
        schedule = read_schedule(doc, str(path))
        _warn_contradictions(schedule.contradictions)
        _emit(schedule.rows, args.format)
        print(f"{path}: schedule, {doc.index_name or '-'}, {schedule.rows.height} calendar rows", file=sys.stderr)
        return 0
    # A data line the parser could not read is an error, as in the pipeline (rows_match_pages blocks).
    dropped = doc.page_stats.filter(pl.col("candidate_lines") != pl.col("rows"))
    if dropped.height:
        page, lines, rows = dropped.row(0)
        raise InputError(path, f"page {page}: {lines} data lines but {rows} rows read (a line the parser could "
                               "not read as company, symbol and sector)")
    # Under raw/<year>/ the folder names the reconstitution year; elsewhere the document's date does.
    year = int(path.parent.name) if path.parent.name.isdigit() else (
        doc.as_of_date.year if doc.as_of_date else None)
    rows = doc.rows.with_columns(recon_year=pl.lit(year, pl.Int64)).select(["recon_year", *doc.rows.columns])
    _emit(rows, args.format)
    print(f"{path}: {doc.doc_type}, {doc.index_name or '-'}, {doc.stage or '-'}, {rows.height} rows",
          file=sys.stderr)
    return 0


def cmd_calendar(args, settings: Settings) -> int:
    from russell_pipeline.lib.calendar.ics import to_ics
    from russell_pipeline.lib.calendar.published import year_calendar

    found = year_calendar(Lake.from_settings(settings).raw, args.year, settings.limits)
    for err in found.errors:
        print(f"warning: {err} (projected dates kept)", file=sys.stderr)
    _warn_contradictions(found.contradictions)
    if args.format == "ics":
        sys.stdout.buffer.write(to_ics(found.calendar))
    else:
        _emit(found.calendar, args.format)
    return 0


def cmd_report(args, settings: Settings) -> int:
    from russell_pipeline.lib.index.report import chart_png, summary_table

    lake = Lake.from_settings(settings)
    levels = lake.read("index_levels")
    if levels is None or not levels.height:
        raise InputError(lake.tables / "index_levels", "no index levels stored: run `russell-pipeline build` first")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    levels = levels.sort("date")
    source = lake.read("market_source")
    note = f"market data: {source['source'][0]}" if source is not None and source.height else ""
    chart_png(levels, out / "index_levels.png", note)
    summary = summary_table(levels)
    summary.write_csv(out / "summary.csv")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=4):
        (out / "summary.txt").write_text(str(summary) + "\n")
        print(summary)
    if note:
        print(note)
    print(f"wrote {out / 'index_levels.png'}, {out / 'summary.csv'}, {out / 'summary.txt'}")
    return 0


def cmd_query(args, settings: Settings) -> int:
    result = Lake.from_settings(settings).query(args.sql)
    if args.format != "table":
        _emit(result, args.format)
        return 0
    with pl.Config(tbl_rows=args.max_rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        print(result)
    return 0


def cmd_build(args, settings: Settings) -> int:
    from russell_pipeline.planning.runs import build

    lake = Lake.from_settings(settings)
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
    client = Client(mirror=mirror, timeout=args.timeout)
    lake = Lake.from_settings(settings)
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
    if table not in lake.table_names():
        raise LakeError(f"{lake.tables / table}: not built yet: run `russell-pipeline build` first")


def cmd_members(args, settings: Settings) -> int:
    from russell_pipeline.lib.membership.history import coverage

    lake = Lake.from_settings(settings)
    _stored(lake, "membership_history")
    spans = coverage(lake.read("membership_history"))
    if args.index is not None and args.index not in spans["index_name"].to_list():
        known = ", ".join(spans["index_name"].unique(maintain_order=True).to_list()) or "none"
        raise LakeError(f"--index {args.index}: no member of such an index in membership_history (indexes: {known})")
    members = lake.query("SELECT * FROM members_on(?, index := ?)", [args.date, args.index])
    _emit(members, args.format)
    counts = dict(members.group_by("index_name").len().iter_rows())
    for (name,), group in spans.group_by("index_name", maintain_order=True):
        if args.index in (None, name):
            covered = ", ".join(f"[{a}, {b or 'no later document'})" for a, b in group.select("start_date", "end_date")
                                .iter_rows())
            print(f"{name} on {args.date}: {counts.get(name, 0)} members; the documents cover {covered}",
                  file=sys.stderr)
    return 0


def cmd_diff(args, settings: Settings) -> int:
    lake = Lake.from_settings(settings)
    _stored(lake, "list_revisions")
    revisions = lake.read("list_revisions").filter(pl.col("recon_year") == args.year)
    if args.index is not None:
        revisions = revisions.filter(pl.col("index_name") == args.index)
    revisions = revisions.sort("review", "index_name", "change", "version", "revision", "symbol")
    _emit(revisions, args.format)
    steps = revisions.group_by("review", "index_name", "change", "version", "previous_stage", "previous_as_of_date",
                               "stage", "as_of_date", maintain_order=True).agg(
        (pl.col("revision") == "entered").sum().alias("entered"), (pl.col("revision") == "left").sum().alias("left"))
    for r in steps.iter_rows(named=True):
        print(f"{r['review']} {r['index_name']} {r['change']}s: {r['previous_stage']} {r['previous_as_of_date'] or '-'}"
              f" -> {r['stage']} {r['as_of_date'] or '-'}: {r['entered']} entered, {r['left']} left", file=sys.stderr)
    if not steps.height:
        print(f"{args.year}: no addition or deletion list with more than one version", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    # Dagster's notes on beta and superseded APIs are for developers; a user sees results and errors.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is currently in preview|superseded)")
    parser = argparse.ArgumentParser(prog="russell-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("build", help="materialize every out-of-date partition of every asset")
    p.add_argument("--init", action="store_true", help="create the lake folder if it does not exist")
    p.add_argument("--verbose", action="store_true", help="show Dagster's full log and stack traces")
    p = sub.add_parser("parse", help="parse one document and print its rows")
    p.add_argument("file")
    p.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    p = sub.add_parser("calendar", help="one reconstitution year's events")
    p.add_argument("year", type=int)
    p.add_argument("--format", choices=["csv", "json", "ics"], default="csv")
    p = sub.add_parser("report", help="index chart and summary table")
    p.add_argument("--out", default="report")
    p = sub.add_parser("query", help="run SQL against warehouse.duckdb")
    p.add_argument("sql")
    p.add_argument("--max-rows", type=int, default=50)
    p.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    p = sub.add_parser("fetch", help="download the published documents of reconstitution years into raw/<year>/")
    p.add_argument("years", help="a year (2024) or a range (2010..2026)")
    p.add_argument("--mirror", default=None,
                   help="read https://host/path from MIRROR/host/path (default: $RUSSELL_MIRROR, else the publishers)")
    p.add_argument("--sources", default=None, help="a source registry CSV (default: the packaged sources.csv)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a download fails")
    p = sub.add_parser("members", help="the constituents in force on a date, with the documents behind them")
    p.add_argument("date", type=_iso_date, help="YYYY-MM-DD")
    p.add_argument("--index", default=None, help='one index, e.g. "Russell 3000" (default: every index)')
    p.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    p = sub.add_parser("diff", help="names entering or leaving between versions of a year's change lists")
    p.add_argument("year", type=int)
    p.add_argument("--index", default=None, help='one index, e.g. "Russell 2000" (default: every index)')
    p.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    args = parser.parse_args(argv)
    handler = {"build": cmd_build, "parse": cmd_parse, "calendar": cmd_calendar, "report": cmd_report,
               "query": cmd_query, "fetch": cmd_fetch, "members": cmd_members, "diff": cmd_diff}[args.verb]
    try:
        return handler(args, Settings.from_env())
    except (InputError, LakeError, ValueError, OSError, duckdb.Error) as err:
        text = str(err) if isinstance(err, (InputError, LakeError, SettingsError)) else f"{type(err).__name__}: {err}"
        print(f"error: {' '.join(text.split())}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
