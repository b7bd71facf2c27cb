"""russell-pipeline: turn FTSE Russell's published index documents into tables and a 90/10 index series.

The lake is RUSSELL_DATA_LAKE (default ./data_lake); `build` fills it, the other verbs read it or
one document. Every error is one line naming the file, date or value and the problem."""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import math
import re
import signal
import sys
import warnings
from datetime import date

from russell_pipeline.cli.common import duckdb_error, one_line
from russell_pipeline.lib.errors import InputError, LakeError
from russell_pipeline.lib.forecast.tracked import PARTICIPATION, parse_tracked
from russell_pipeline.settings import Settings

VERBS = {
    "build": (
        "materialize every out-of-date partition of every asset (the main job)",
        "russell-pipeline build\n  RUSSELL_DATA_LAKE=/data/lake russell-pipeline build --init",
    ),
    "parse": (
        "parse one document and print its rows (a list) or its calendar rows (a schedule)",
        "russell-pipeline parse data_lake/raw/2024/additions.pdf --format json",
    ),
    "calendar": (
        (
            "one reconstitution year's events (1989..2035), each with its rule or source (`basis`): "
            "projected by rule, published schedules applied"
        ),
        "russell-pipeline calendar 1995\n  russell-pipeline calendar 2025 --format ics > recon-2025.ics",
    ),
    "report": (
        "the index chart and a summary table of annual returns, volatility and drawdown",
        "russell-pipeline report --out report/",
    ),
    "query": (
        "one read-only SQL statement over the lake's tables",
        'russell-pipeline query "SELECT * FROM index_levels ORDER BY date DESC LIMIT 5"',
    ),
    "fetch": (
        "download the published documents of reconstitution years into raw/<year>/",
        "russell-pipeline fetch 2024\n  russell-pipeline fetch 2010..2026 --mirror http://cache.internal/",
    ),
    "members": (
        "the constituents in force on a date, with the documents behind them",
        'russell-pipeline members 2023-01-03 --index "Russell 3000"',
    ),
    "verify": (
        "read every data file of the lake and compare it with the checksum its commit recorded",
        "russell-pipeline verify",
    ),
    "pro-forma": (
        "a review's weights as the method sets them and the trade from the weights in force",
        (
            "russell-pipeline pro-forma 2024-06 --format json\n"
            "  russell-pipeline pro-forma 2026-12 --aum 1e9 --participation 0.1"
        ),
    ),
    "import-prices": (
        "validate a price file (long, wide or yfinance CSV) and store it for reconstitution_effect",
        "russell-pipeline import-prices prices.csv",
    ),
    "event-study": (
        "median and mean price paths of a year's added and deleted symbols around its reconstitution",
        "russell-pipeline event-study 2025 --prices prices.csv --format json",
    ),
    "reconcile": (
        "the companies an ETF holdings file and the lake's members disagree on, each with its likely reason",
        "russell-pipeline reconcile 2026-05-05 --format csv",
    ),
    "diff": (
        "names entering or leaving between versions (preliminary, updates, final) of a year's change lists",
        'russell-pipeline diff 2023 --index "russell 2000"',
    ),
    "forecast": (
        "the companies a year's reconstitution adds, deletes and moves, forecast from its universe",
        (
            "russell-pipeline forecast 2023 --format csv\n  russell-pipeline forecast 2023 --summary\n"
            "  russell-pipeline forecast 2023 --score\n"
            "  russell-pipeline forecast 2026 --demand --tracked 'Russell 2000=1e12,Russell 1000=1e13'"
        ),
    ),
}
# Each verb's handler, "module:function" under russell_pipeline.cli: imported when its verb runs, so a
# verb loads only what it uses (`parse` of a PDF starts reading it before polars is loaded).
HANDLERS = {
    "build": "lake:cmd_build",
    "parse": "documents:cmd_parse",
    "calendar": "documents:cmd_calendar",
    "report": "index:cmd_report",
    "query": "lake:cmd_query",
    "fetch": "lake:cmd_fetch",
    "members": "membership:cmd_members",
    "diff": "membership:cmd_diff",
    "reconcile": "membership:cmd_reconcile",
    "verify": "lake:cmd_verify",
    "import-prices": "research:cmd_import_prices",
    "event-study": "research:cmd_event_study",
    "pro-forma": "index:cmd_pro_forma",
    "forecast": "forecast:cmd_forecast",
}


def _handler(verb: str):
    module, name = HANDLERS[verb].split(":")
    return getattr(importlib.import_module(f"russell_pipeline.cli.{module}"), name)


def _tracked(text: str) -> tuple[tuple[str, float], ...]:
    try:
        return parse_tracked(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _dollars(text: str) -> float:
    try:
        value = float(text.strip().replace("_", "").removeprefix("$"))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a positive number of US dollars (1e9, 250000000)"
        )
    return value


def _participation(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected the share of each session's volume a fund trades, in (0, 1] (0.2 is 20%)"
        )
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _seconds(zero: str | None):
    """A `--timeout` value: a finite number of seconds above 0, or 0 too when `zero` says what it means."""

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and zero is None):
            said = f"0 or more (0: {zero})" if zero else "above 0"
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds, {said}")
        return value

    return seconds


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _review(text: str) -> str:
    """A review, `YYYY-MM` of March, June, September or December."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    month = int(found.group(2)) if found else 0
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a review (YYYY-MM, e.g. 2024-06)")
    if month % 3:
        year = found.group(1)
        raise argparse.ArgumentTypeError(
            f"{text}: {_MONTHS[month - 1]} is no review month (the reviews are March, June, September and "
            f"December: {year}-03, {year}-06, {year}-09, {year}-12)"
        )
    return text.strip()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A wrong argument is one line too (and exit code 2, as argparse gives)."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _output(p: argparse.ArgumentParser, formats: list[str], default: str) -> None:
    p.add_argument(
        "--format",
        choices=formats,
        default=default,
        help=f"output format (default {default}; parquet only into a file or pipe)",
    )


def _build(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--init", action="store_true", help="create the lake folder named by RUSSELL_DATA_LAKE if missing"
    )
    p.add_argument("--verbose", action="store_true", help="show Dagster's full log and stack traces")


def _parse(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a membership, additions or deletions list, or a schedule (PDF or text)")
    _output(p, ["csv", "json", "parquet"], "csv")


def _calendar(p: argparse.ArgumentParser) -> None:
    p.add_argument("year", type=int, help="a reconstitution year, 1989..2035")
    _output(p, ["csv", "json", "ics"], "csv")


def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", default="report", help="folder for index_levels.svg and the summary (default report/)"
    )
    p.add_argument(
        "--tracked",
        type=_tracked,
        default=None,
        help="US dollars tracking each index, for the forecast page (default: RUSSELL_TRACKED_ASSETS)",
    )


def _query(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sql", help="one SELECT (or EXPLAIN) over the tables, e.g. index_levels, quarterly_weights"
    )
    p.add_argument("--max-rows", type=int, default=50, help="rows shown in the table format (default 50)")
    p.add_argument(
        "--timeout",
        type=_seconds("no limit"),
        default=300.0,
        help="seconds the statement may run before it is stopped (default 300; 0: no limit)",
    )
    _output(p, ["table", "csv", "json", "parquet"], "table")


def _fetch(p: argparse.ArgumentParser) -> None:
    p.add_argument("years", help="a year (2024) or a range (2010..2026)")
    p.add_argument(
        "--mirror",
        default=None,
        help="read https://host/path from MIRROR/host/path (default: $RUSSELL_MIRROR, else the publishers)",
    )
    p.add_argument(
        "--sources", default=None, help="a source registry CSV (default: the packaged sources.csv)"
    )
    p.add_argument(
        "--timeout", type=_seconds(None), default=60.0, help="seconds without data before a download fails"
    )


def _members(p: argparse.ArgumentParser) -> None:
    p.add_argument("date", type=_iso_date, help="the day, YYYY-MM-DD")
    p.add_argument(
        "--index", default=None, help='one index, any letter case, e.g. "Russell 3000" (default: all)'
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="also print the members the lake holds of an index it cannot count whole that day (complete = "
        "false, what is missing on stderr); exit 0",
    )
    _output(p, ["csv", "json", "parquet"], "csv")


def _reconcile(p: argparse.ArgumentParser) -> None:
    p.add_argument("date", type=_iso_date, help="the date of a holdings file under raw/<year>/, YYYY-MM-DD")
    p.add_argument("--fund", default=None, help="one fund, by its name or a word of it (default: every fund)")
    _output(p, ["csv", "json", "parquet"], "csv")


def _diff(p: argparse.ArgumentParser) -> None:
    p.add_argument("year", type=int, help="a reconstitution year")
    p.add_argument(
        "--index", default=None, help='one index, any letter case, e.g. "Russell 2000" (default: all)'
    )
    _output(p, ["csv", "json", "parquet"], "csv")


def _pro_forma(p: argparse.ArgumentParser) -> None:
    p.add_argument("review", type=_review, help="a review, YYYY-MM (March, June, September or December)")
    p.add_argument(
        "--aum",
        type=_dollars,
        default=None,
        help="a fund's assets in US dollars: adds its shares, the average volume, and the days to trade each",
    )
    p.add_argument(
        "--participation",
        type=_participation,
        default=None,
        help=f"with --aum: the share of each session's volume it trades, in (0, 1] (default {PARTICIPATION})",
    )
    _output(p, ["csv", "json", "parquet"], "csv")


def _verify(p: argparse.ArgumentParser) -> None:
    """`verify` takes no argument."""


def _import_prices(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file", help="CSV: long (Date, Ticker, Close, ...), wide (Date, one column per ticker) or yfinance's"
    )


def _event_study(p: argparse.ArgumentParser) -> None:
    p.add_argument("year", type=int, help="a reconstitution year with final lists in the lake")
    p.add_argument("--prices", required=True, help="a price file, as import-prices reads it")
    _output(p, ["csv", "json"], "csv")


def _forecast(p: argparse.ArgumentParser) -> None:
    p.add_argument("year", type=int, help="a reconstitution year")
    p.add_argument("--review", default=None, help="one review of the year, YYYY-MM (default: every one)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--summary", action="store_true", help="rows per action and the breaks' market caps")
    shown.add_argument(
        "--score",
        action="store_true",
        help="precision, recall and F1 against the published lists, and the misses",
    )
    shown.add_argument(
        "--demand",
        action="store_true",
        help="what each add, delete and move makes index funds trade: shares and days of volume",
    )
    p.add_argument(
        "--tracked",
        type=_tracked,
        default=None,
        help="with --demand: US dollars tracking each index, 'Russell 2000=1e12,Russell 1000=1e13' "
        "(default: RUSSELL_TRACKED_ASSETS; none is an error)",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "json", "parquet"],
        default=None,
        help="output format (default: csv for the rows, table for --summary and --score)",
    )


# Each verb's arguments, in the order `--help` lists the verbs.
ARGUMENTS = {
    "build": _build,
    "parse": _parse,
    "calendar": _calendar,
    "report": _report,
    "query": _query,
    "fetch": _fetch,
    "members": _members,
    "reconcile": _reconcile,
    "diff": _diff,
    "pro-forma": _pro_forma,
    "verify": _verify,
    "import-prices": _import_prices,
    "event-study": _event_study,
    "forecast": _forecast,
}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="russell-pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, arguments in ARGUMENTS.items():
        text, example = VERBS[name]
        arguments(
            sub.add_parser(
                name,
                help=text,
                description=text[0].upper() + text[1:] + ".",
                epilog="example:\n  " + example,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return parser


def _needs(args: argparse.Namespace) -> str | None:
    """An option given without the one it qualifies, in words; None when they go together."""
    if args.verb == "forecast" and args.tracked and not args.demand:
        return "--tracked sizes --demand: give --demand too"
    if args.verb == "pro-forma" and args.participation is not None and args.aum is None:
        return "--participation is a fund's: give its --aum too"
    return None


def main(argv: list[str] | None = None) -> int:
    # A crash in native code (a library's segmentation fault) prints where each Python thread was, the
    # step of a build among them, before the process dies; unless something already asked (pytest does).
    if not faulthandler.is_enabled():
        faulthandler.enable()
    # Dagster's notes on beta and superseded APIs are for developers; a user sees results and errors.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is currently in preview|superseded)")
    parser = _parser()
    args = parser.parse_args(argv)
    alone = _needs(args)
    if alone:
        parser.exit(
            2, f"error: russell-pipeline {args.verb}: {alone} (see russell-pipeline {args.verb} --help)\n"
        )
    try:
        return _handler(args.verb)(args, Settings.from_env())
    except KeyboardInterrupt as err:  # SIGINT, or a SIGTERM a verb turned into one: its cleanup has run
        name = str(err) or "SIGINT"
        print(f"error: {args.verb}: stopped by {name}", file=sys.stderr)
        return 128 + getattr(signal, name, signal.SIGINT)
    except Exception as err:
        if not isinstance(err, (InputError, LakeError, ValueError, OSError)) and not duckdb_error(err):
            raise
        print(f"error: {one_line(err)}", file=sys.stderr)
        return getattr(err, "exit_code", 1)
