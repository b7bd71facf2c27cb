"""`russell-pipeline` as a user runs it: a subprocess, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import dagster as dg
import icalendar
import polars as pl
import pytest

from russell_pipeline.cli import main
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.staged import Staged, write_staged
from russell_pipeline_tests.helpers import COMMAND, RAW, cli, flip_bytes, up_to_date_lines
from russell_pipeline_tests.lakes import lake_folder

pytestmark = pytest.mark.cpu(45)

LAST_YEAR = datetime.now(UTC).year + 4  # the last reconstitution year a lake holds (planning/keys.py)

SEED_DELETIONS = next((RAW / "2020").glob("000_*.txt"))


@pytest.mark.parametrize(
    "args",
    [
        ("members", "2020-01-02", "--format", "parquet"),  # bytes
        ("members", "2020-02-30"),  # a one-line error, exit 1
        ("pro-forma", "2020"),  # argparse's usage error, exit 2
        ("calendar", "2020", "--format", "json"),
        ("diff", "2020"),
        ("parse", str(SEED_DELETIONS)),  # a document read in an isolated child
        ("query", "SELECT count(*) AS n FROM constituents", "--format", "csv"),
        ("--help",),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_verb_run_in_the_tests_process_answers_as_the_command_does(lakes, args):
    """What tests read of a verb's answer in their own process (`run_main`, `LakeFolder.run`) is what the
    command prints in a process of its own: the same exit code, stdout and stderr, byte for byte."""
    built = lakes.built()
    in_process, command = built.run(*args, text=False), built.cli(*args, text=False)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        command.returncode,
        command.stdout,
        command.stderr,
    )
    assert command.stdout or command.stderr  # each says something


def test_an_answer_piped_through_stops_and_continues_arrives_whole(lakes):
    """`query ... --format csv | ...` stopped and continued while it writes (Ctrl-Z then `fg`, a debugger or
    profiler attaching): every byte arrives. Python's stdout wrote a large answer with one write(2), which a
    stop interrupts part-way; the rest was dropped and the command still exited 0 (2 MB of CSV arrived as
    96-160 KB)."""
    import os
    import signal
    import subprocess
    import threading
    import time

    built = lakes.built()
    args = ("query", "SELECT * FROM market_prices ORDER BY ALL", "--format", "csv")
    whole = built.run(*args, text=False).stdout
    assert len(whole) > 1_000_000  # many times what a pipe holds (64 KB)
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=os.environ | built.env(),
    )

    def stop_and_continue() -> None:
        while process.poll() is None:
            process.send_signal(signal.SIGSTOP)
            time.sleep(0.001)
            process.send_signal(signal.SIGCONT)
            time.sleep(0.002)

    poker = threading.Thread(target=stop_and_continue)
    poker.start()
    try:
        read = []
        while chunk := process.stdout.read1(32768):  # read slowly: the pipe stays full, the writer blocks
            read.append(chunk)
            time.sleep(0.0005)
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()  # a stopped process is killed too (SIGKILL needs no SIGCONT)
        process.wait()
        process.stdout.close()
        poker.join()
    got = b"".join(read)
    assert (len(got), got) == (len(whole), whole)


def test_rows_go_to_a_text_only_stdout_as_text(lakes, monkeypatch):
    """`main` called where stdout is a text stream with no bytes beneath it (a notebook's): the same rows."""
    import contextlib

    built = lakes.built()
    args = ["calendar", "2020", "--format", "csv"]
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    with contextlib.redirect_stdout(io.StringIO()) as text_only:
        assert main(args) == 0
    assert text_only.getvalue() == built.run(*args).stdout != ""


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_parse_prints_every_row_in_each_format(fmt):
    done = cli("parse", str(SEED_DELETIONS), "--format", fmt)
    assert done.returncode == 0, done.stderr.decode()
    if fmt == "csv":
        rows = pl.read_csv(io.BytesIO(done.stdout))
    elif fmt == "json":
        rows = pl.DataFrame(json.loads(done.stdout))
    else:
        rows = pl.read_parquet(io.BytesIO(done.stdout))
    assert rows.height == 256
    assert rows["recon_year"].unique().to_list() == [2020]
    assert {"company", "symbol", "change", "source_sha256", "source_page", "source_line"} <= set(rows.columns)
    assert rows.row(0, named=True)["symbol"] == "XXII"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.pdf", b"", "empty file"),
        (
            "error.pdf",
            b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
            "is an HTML page, not a PDF (a failed download saved as .pdf?)",
        ),
        ("cut.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "truncated PDF (no %%EOF marker at the end)"),
    ],
)
def test_parse_bad_file_is_one_line_naming_the_file(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    done = cli("parse", str(path))
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode() == f"error: {path}: {problem}\n"


@pytest.mark.parametrize("year", ["2024", "2030"])
def test_calendar_ics_imports_with_one_event_per_date_stamped_at_its_export(year):
    before = datetime.now(UTC).replace(microsecond=0)
    done = cli("calendar", year, "--format", "ics")
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr.decode()
    cal = icalendar.Calendar.from_ical(done.stdout)
    events = list(cal.walk("VEVENT"))
    starts = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events}
    if year == "2024":
        assert starts["Russell 2024-06 annual reconstitution: recon close (projected)"] == date(2024, 6, 28)
    assert len({str(e["UID"]) for e in events}) == len(events)
    # DTSTAMP is when the file was made (RFC 5545), never a date of the calendar: the 2030 calendar's
    # events lie years ahead, its stamps do not.
    stamps = {e.decoded("DTSTAMP") for e in events}
    assert len(stamps) == 1 and before <= stamps.pop() <= after


@pytest.mark.slow
def test_build_query_and_report_on_a_market_data_folder(lakes, tmp_path):
    first = lakes.build()  # `russell-pipeline build` of the samples on a new lake and a market-data folder
    out = first.stdout
    assert "recon_calendar 1989..2030: ok" in out and "market_data: ok" in out
    assert "index_levels 2019-03..2020-03: ok" in out
    built = first.folder.copy(tmp_path)
    root, env = built.root, built.env()
    # Each run line names its run by the full id the UI opens at /runs/<id>, not a prefix of it.
    printed = re.findall(r": ok in [0-9.]+s \(run ([^)]+)\)", out)
    with dg.DagsterInstance.from_config(str(built.home)) as instance:
        assert sorted(printed) == sorted(r.run_id for r in instance.get_runs())

    # Nothing new: the second build plans nothing, runs nothing and touches no file of the lake.
    # (The lock file names its holder: each build writes its pid there.)
    def files() -> dict:
        return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and p.name != ".lake.lock"}

    lake_files = files()
    again = cli("build", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    lines = again.stdout.decode().splitlines()
    assert lines[:4] == up_to_date_lines()[:4]
    assert files() == lake_files
    sql = "SELECT count(*) AS n, min(date) AS first, max(date) AS last FROM index_levels"
    query = cli("query", sql, "--format", "csv", env=env, cwd=tmp_path)
    # One row per NYSE session from the base T (2019-03-15) to the feed's end: 2019 had 252 sessions,
    # 50 of them before 15 March (21 + 19 + 10); 2020's first quarter had 21 + 19 + 22 = 62.
    assert (query.returncode, query.stdout.decode()) == (0, "n,first,last\n264,2019-03-15,2020-03-31\n")
    report = cli("report", "--out", str(tmp_path / "report"), env=env, cwd=tmp_path)
    assert report.returncode == 0, report.stderr.decode()
    # An SVG of 1000 x 500 pixels with a line each for the total and the price return.
    svg = ET.parse(tmp_path / "report" / "index_levels.svg").getroot()
    assert (svg.tag, svg.get("width"), svg.get("height")) == (
        "{http://www.w3.org/2000/svg}svg",
        "1000",
        "500",
    )
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    assert "index_levels.svg" in report.stdout.decode()
    summary = pl.read_csv(tmp_path / "report" / "summary.csv")
    assert summary["period"].to_list() == ["2019", "2020", "overall"]
    text = (tmp_path / "report" / "summary.txt").read_text()
    assert (
        "Total return (%)" in text
        and "shape:" not in text
        and (tmp_path / "report" / "report.html").is_file()
    )
    bad = cli("query", "SELECT * FROM no_such_table", env=env, cwd=tmp_path)
    assert (bad.returncode, bad.stdout) == (1, b"")
    assert len(bad.stderr.decode().strip().splitlines()) == 1 and "no_such_table" in bad.stderr.decode()


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (
            ("calendar", "1988"),
            1,
            (
                "error: calendar 1988: the reconstitution calendar covers 1989..2035 (projected by "
                "rule, with the published schedules under raw/<year>/ applied)"
            ),
        ),
        (
            ("calendar", "2036"),
            1,
            (
                "error: calendar 2036: the reconstitution calendar covers 1989..2035 (projected by "
                "rule, with the published schedules under raw/<year>/ applied)"
            ),
        ),
        (
            ("fetch", "2026..2010"),
            1,
            "error: years '2026..2010': expected a year (2024) or a range (2010..2026)",
        ),
        # A year no partition holds (before: "put a universe file under raw/2036/"), past the calendar or
        # before it.
        *(
            (
                ("forecast", year),
                1,
                (
                    f"error: forecast {year}: the reconstitution years are 1989..{LAST_YEAR} (the "
                    "calendar's, to four years past this one)"
                ),
            )
            for year in (str(LAST_YEAR + 6), "-1")
        ),
        (  # before: "stopped after -5 s"
            ("query", "SELECT 1", "--timeout", "-5"),
            2,
            (
                "error: russell-pipeline query: argument --timeout: '-5' is not a number of seconds, 0 or "
                "more (0: no limit) (see russell-pipeline query --help)"
            ),
        ),
        (  # before: "no pro-forma weights for this review (reviews with them: ...)"
            ("pro-forma", "2024-05"),
            2,
            (
                "error: russell-pipeline pro-forma: argument review: 2024-05: May is no review month (the "
                "reviews are March, June, September and December: 2024-03, 2024-06, 2024-09, 2024-12) (see "
                "russell-pipeline pro-forma --help)"
            ),
        ),
        (
            ("members", "2024-13-01"),
            2,
            (
                "error: russell-pipeline members: argument date: not a date (YYYY-MM-DD): "
                "'2024-13-01' (see russell-pipeline members --help)"
            ),
        ),
        (
            ("calendar", "2024", "--format", "xml"),
            2,
            (
                "error: russell-pipeline calendar: argument --format: invalid "
                "choice: 'xml' (choose from 'csv', 'json', 'ics') (see "
                "russell-pipeline calendar --help)"
            ),
        ),
        (
            ("report", "--out", "/proc/nope"),
            1,
            ("error: report --out /proc/nope: cannot create the folder (No such file or directory)"),
        ),
        (
            ("parse", "/nonexistent/list.pdf"),
            1,
            ("error: /nonexistent/list.pdf: cannot read file (No such file or directory)"),
        ),
        (
            ("forecast", "2026", "--demand", "--tracked", "Russell 2000=1e12,Russell 5000=1e12"),
            2,
            (
                "error: russell-pipeline forecast: argument --tracked: 'Russell 5000' is not an index whose "
                "trackers are sized: one of Russell 1000, Russell 2000, Russell 3000 (see russell-pipeline "
                "forecast --help)"
            ),
        ),
        (
            ("forecast", "2026", "--demand"),
            2,
            (
                "error: forecast --demand: no assets tracking each index given: pass --tracked 'Russell "
                "2000=1e12,Russell 1000=1e13' (US dollars) or set RUSSELL_TRACKED_ASSETS; the figures per $1 "
                "billion are in the table reconstitution_demand"
            ),
        ),
        (
            ("forecast", "2026", "--tracked", "Russell 2000=1e12"),
            2,
            (
                "error: russell-pipeline forecast: --tracked sizes --demand: give --demand too (see "
                "russell-pipeline forecast --help)"
            ),
        ),
        (
            ("pro-forma", "2026-12", "--aum", "0"),
            2,
            (
                "error: russell-pipeline pro-forma: argument --aum: '0': expected a positive number of US "
                "dollars (1e9, 250000000) (see russell-pipeline pro-forma --help)"
            ),
        ),
        (
            ("pro-forma", "2026-12", "--aum", "-500000000"),
            2,
            (
                "error: russell-pipeline pro-forma: argument --aum: '-500000000': expected a positive number "
                "of US dollars (1e9, 250000000) (see russell-pipeline pro-forma --help)"
            ),
        ),
        (
            ("pro-forma", "2026-12", "--aum", "1e9", "--participation", "1.5"),
            2,
            (
                "error: russell-pipeline pro-forma: argument --participation: '1.5': expected the share of "
                "each session's volume a fund trades, in (0, 1] (0.2 is 20%) (see russell-pipeline pro-forma "
                "--help)"
            ),
        ),
        (
            ("pro-forma", "2026-12", "--participation", "0.1"),
            2,
            (
                "error: russell-pipeline pro-forma: --participation is a fund's: give its --aum too (see "
                "russell-pipeline pro-forma --help)"
            ),
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v),
)
def test_every_error_is_one_line_without_an_exception_name(tmp_path, args, code, line):
    if args[0] == "report":  # stored levels, so the report gets as far as its folder
        Lake(tmp_path).tables.write(
            "index_levels",
            pl.DataFrame({"date": [date(2024, 1, 2)], "price_return": [1000.0], "total_return": [1000.0]}),
        )
    done = cli(*args, text=True, env=lake_folder(tmp_path).env())
    assert (done.returncode, done.stderr, done.stdout) == (code, line + "\n", "")
    assert "Error:" not in done.stderr and "Traceback" not in done.stderr


def test_parquet_is_not_written_to_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["parse", str(SEED_DELETIONS), "--format", "parquet"]) == 1
    assert capsys.readouterr().err == (
        "error: --format parquet writes binary: redirect it to a file (... --format parquet > rows.parquet)\n"
    )


def test_help_teaches_each_verb_with_an_example():
    for verb in (
        "build",
        "parse",
        "calendar",
        "report",
        "query",
        "fetch",
        "members",
        "diff",
        "import-prices",
        "event-study",
    ):
        done = cli(verb, "--help", text=True)
        assert done.returncode == 0
        assert "\nexample:\n  russell-pipeline " + verb in done.stdout, verb
    top = cli("--help", text=True).stdout
    assert "thin command line" not in top and re.search(
        r"\n    members +the constituents in force on a date", top
    )


def _priced_lake(root, label: str) -> None:
    """A lake holding one review's pro-forma rows, its levels and the market source, each labelled `label`."""
    from russell_pipeline.lib.index.pro_forma import PRO_FORMA_COLUMNS

    lake = Lake(root)
    day = date(2024, 6, 5)
    rows = {
        "review": "2024-06",
        "cutoff_date": date(2024, 6, 12),
        "effective_date": date(2024, 6, 28),
        "prices_date": day,
        "stand_in": True,
        "as_of_date": day,
        "previous_review": "2024-03",
        "move": "stay",
        "weight_now": 0.5,
        "weight_pro_forma": 0.5,
        "change": 0.0,
        "price": 10.0,
        "fx": 1.0,
        "shares_per_billion": 0.0,
    }
    lake.tables.write(
        "pro_forma_weights",
        pl.DataFrame([rows | {"symbol": s} for s in ("AAA", "BBB")], schema=PRO_FORMA_COLUMNS).with_columns(
            price_source=pl.lit(label)
        ),
        "review",
    )
    lake.tables.write(
        "index_levels",
        pl.DataFrame(
            {
                "date": [date(2024, 1, 2), date(2024, 1, 3)],
                "price_return": [1000.0, 1001.0],
                "total_return": [1000.0, 1001.5],
                "price_source": [label, label],
            }
        ),
    )
    lake.tables.write(
        "market_source",
        pl.DataFrame(
            {
                "source": ["x"],
                "synthetic": [label == "synthetic"],
                "last_price_date": [day],
                "price_source": [label],
            }
        ),
    )


@pytest.mark.parametrize("label", ["synthetic", "market file prices.parquet"])
def test_an_answer_resting_on_synthetic_prices_says_so_and_a_real_one_does_not(tmp_path, label, capsys):
    _priced_lake(tmp_path, label)
    folder = lake_folder(tmp_path)  # each verb run in this process, as the command runs it
    synthetic = label == "synthetic"
    note = "rest on SYNTHETIC prices (the built-in feed, not market data)"
    as_json = folder.run("pro-forma", "2024-06", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert [r["price_source"] for r in json.loads(as_json.stdout)] == [label, label]
    assert (f"note: the weights and trades of pro-forma 2024-06 {note}" in as_json.stderr) is synthetic
    assert len(as_json.stderr.splitlines()) == 1 + synthetic  # the totals line, and the note
    report = folder.run("report", "--out", str(tmp_path / "report"))
    assert report.returncode == 0, report.stderr
    assert (note in report.stderr) is synthetic
    assert pl.read_csv(tmp_path / "report" / "summary.csv")["price_source"].to_list() == [
        label,
        label,
    ]  # 2024, all
    query = folder.run("query", "SELECT count(*) AS n FROM index_levels", "--format", "csv")
    assert (query.returncode, query.stdout) == (0, "n\n2\n")
    assert (f"note: the rows of index_levels {note}" in query.stderr) is synthetic
    plain = folder.run("query", "SELECT 1 AS index_levels_count")  # names no table
    assert plain.returncode == 0 and plain.stderr == ""
    # `build` ends with the tables and, on the synthetic feed, the note.
    from russell_pipeline.runner.build import _summary

    _summary(Lake(tmp_path))
    said = capsys.readouterr()
    assert "index_levels" in said.out and (note in said.err) is synthetic


def test_pro_forma_writes_parquet_and_an_error_writes_nothing(tmp_path):
    _priced_lake(tmp_path, "synthetic")
    folder = lake_folder(tmp_path)  # each verb run in this process, its output bytes as the command's
    done = folder.run("pro-forma", "2024-06", "--format", "parquet", text=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = pl.read_parquet(io.BytesIO(done.stdout))
    as_csv = pl.read_csv(io.BytesIO(folder.run("pro-forma", "2024-06", text=False).stdout))
    assert rows.columns == as_csv.columns and rows["symbol"].to_list() == ["AAA", "BBB"]
    assert rows.columns[-1] == "price_source" and set(rows["price_source"]) == {"synthetic"}
    # A review without rows: one line and exit 1 before anything reaches stdout, so `> file` gets no bytes.
    for fmt in ("parquet", "json", "csv"):
        missing = folder.run("pro-forma", "2030-03", "--format", fmt)
        assert (missing.returncode, missing.stdout) == (1, "")
        assert missing.stderr.startswith("error: pro-forma 2030-03: no pro-forma weights for this review")


def _verified_lake(root) -> Lake:
    """A lake whose one table (two partitions of asset `a`) went through the write path, checksums and all."""
    lake = Lake(root)
    rows = pl.DataFrame({"recon_year": [2023, 2024], "v": [1.5, 2.5]})
    write_staged(lake, [Staged("t", rows, "recon_year", [2023, 2024])], {"a": {"2023": "d3", "2024": "d4"}})
    return lake


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("flipped", "its content differs from what its commit wrote (sha256 mismatch)"),
        ("truncated", "bytes, but its commit wrote"),
        ("deleted", "missing: the table's log names it but the file is gone"),
    ],
)
def test_verify_exits_1_naming_each_damaged_file_and_0_on_a_sound_lake(
    tmp_path, monkeypatch, capsys, damage, problem
):
    lake = _verified_lake(tmp_path)
    monkeypatch.setenv("RUSSELL_DATA_LAKE", str(tmp_path))
    assert main(["verify"]) == 0
    files = 4  # t's two partitions, asset a's lineage and the versions it wrote
    assert capsys.readouterr() == (f"verify: {files} files checked, 0 damaged\n", "")
    (path,) = (tmp_path / "lake" / "t" / "recon_year=2024").glob("*.parquet")
    if damage == "flipped":
        flip_bytes(path, restore_time=True)  # only reading every byte finds it
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-10])
    else:
        path.unlink()
    assert main(["verify"]) == 1
    out, err = capsys.readouterr()
    assert out == f"verify: {files} files checked, 1 damaged\n"
    assert err.startswith(f"{path}: ") and problem in err and err.count("\n") == 1
    assert err.endswith(": a 2024 is rebuilt from its inputs by the next `russell-pipeline build`\n")
    assert lake.lineage.digests("a") == {"2023": "d3"}  # the damaged partition is out of date now


def test_verify_of_a_lake_without_tables_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RUSSELL_DATA_LAKE", str(tmp_path))
    assert main(["verify"]) == 1
    assert capsys.readouterr() == (
        "",
        f"error: {tmp_path / 'lake'}: no tables yet: run `russell-pipeline build` first\n",
    )


def test_verify_notes_a_table_written_without_checksums_and_passes(tmp_path, monkeypatch, capsys):
    _verified_lake(tmp_path).tables.write(
        "fetched", pl.DataFrame({"url": ["u"]}), publish=False
    )  # past the path
    monkeypatch.setenv("RUSSELL_DATA_LAKE", str(tmp_path))
    assert main(["verify"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("verify: ") and out.endswith(" files checked, 0 damaged\n")
    assert err == (
        f"note: {tmp_path / 'lake' / 'fetched'}: files with no checksum yet (written before checksums were "
        "kept, or by `fetch`); the next build records them\n"
    )
