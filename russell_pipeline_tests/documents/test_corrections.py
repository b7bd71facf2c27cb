"""raw/<year>/corrections.csv settles what the parser could not read, and a refused document does not
hide the year's other documents: per-document states, the ready entries, `corrected_by`."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import resource
import stat
import time

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.documents.corrections import HEADER, read_corrections
from russell_pipeline.lib.documents.ingest import CORRECTIONS_FACT, DOCUMENTS_FACT, UNREAD_FACT, read_year
from russell_pipeline.lib.documents.raw_files import list_year
from russell_pipeline.planning import digests
from russell_pipeline.runner.runs import document_lines, failure_lines
from russell_pipeline_tests.helpers import cli, materialize, run_main
from russell_pipeline_tests.lakes import lake_folder

SEED = "001_24f06aff5129bbda.txt"  # the committed 2023 sample: 161 Microcap additions
BAD = (
    "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "BETA INDUSTRIES\tBE TA\tTechnology\nGAMMA HOLDINGS\tGAMM\tEnergy\n"
)
HEAD = ",".join(HEADER) + "\n"


@pytest.fixture
def year(tmp_lake):
    """raw/2023/ holding the committed sample and a list whose line 5 cannot be read."""
    (tmp_lake.root / "raw" / "2023" / "adds.txt").write_text(BAD)
    return tmp_lake.root / "raw"


def test_a_refused_document_leaves_every_document_of_its_year_listed_with_its_state(year):
    got = read_year(year, 2023)
    assert [d.line() for d in got.documents] == [
        (
            f"raw/2023/{SEED}: read, 161 rows (additions, Russell Microcap, preliminary, no date: the "
            "folder's year)"
        ),
        (
            "raw/2023/adds.txt: refused: 1 line(s) hold data no row was read from (not company, symbol and "
            "sector in their columns): page 1 line 5: 'BETA INDUSTRIES BE TA Technology'"
        ),
    ]
    assert got.refusal == f"raw/2023/adds.txt: {got.documents[1].refused}"
    assert got.documents[1].unread == ("adds.txt,1,5,not_a_row,,,",)  # the entry, ready to paste
    assert got.constituent_changes.height == 163  # the rows of both, for the checks; nothing is written


@pytest.mark.parametrize(
    ("entry", "rows", "corrected"),
    [
        ("adds.txt,1,5,not_a_row,,,", ["ACME", "GAMM"], []),
        (
            "adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology",
            ["ACME", "BETA", "GAMM"],
            [("BETA", "raw/2023/corrections.csv:2")],
        ),
        (
            'adds.txt,1,5,row,"BETA INDUSTRIES, INC.",BE.TA,Technology',
            ["ACME", "BE.TA", "GAMM"],
            [("BE.TA", "raw/2023/corrections.csv:2")],
        ),
    ],
    ids=["not-a-row", "row", "quoted-row"],
)
def test_a_pasted_correction_settles_the_line_and_its_row_says_so(year, entry, rows, corrected):
    (year / "2023" / "corrections.csv").write_text(HEAD + entry + "\n")
    got = read_year(year, 2023)
    assert got.refusal is None and got.corrections == 1
    mine = got.constituent_changes.filter(
        pl.col("source_sha256") != got.constituent_changes["source_sha256"][0]
    )
    assert mine["symbol"].to_list() == rows
    assert (
        mine.filter(pl.col("corrected_by").is_not_null()).select("symbol", "corrected_by").rows() == corrected
    )
    assert mine.filter(pl.col("symbol") == "BETA")["source_line"].to_list() == ([5] if "BETA" in rows else [])
    assert got.unread.is_empty()
    stats = got.page_stats.filter(pl.col("source_sha256") == mine["source_sha256"][0])
    assert stats.select("candidate_lines", "rows").rows() == [(len(rows), len(rows))]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "document,page,line,action\n",
            "line 1: the header must be `document,page,line,action,company,symbol,sector`",
        ),
        ("", "line 1: the header must be `document,page,line,action,company,symbol,sector`"),
        (
            HEAD + "adds.txt,1,6,not_a_row,,,\n",
            (
                "line 2: adds.txt page 1 line 6 is not a line the parser could not read "
                "(its unread lines: page 1 line 5); nothing changed"
            ),
        ),
        (
            HEAD + "other.txt,1,5,not_a_row,,,\n",
            "line 2: other.txt is not a document under raw/2023/; nothing changed",
        ),
        (
            HEAD + "\nadds.txt,1,5,not_a_row\n",
            "line 3: 4 fields, the header has 7 (a line cut short, or a field left out)",
        ),
        (HEAD + "adds.txt,1,5,drop,,,\n", "line 2: action 'drop' is not one of not_a_row, row"),
        (
            HEAD + "adds.txt,1,5,not_a_row,BETA,,\n",
            "line 2: not_a_row leaves company, symbol and sector empty",
        ),
        (
            HEAD + "adds.txt,one,5,not_a_row,,,\n",
            "line 2: page 'one' is not a number from 1 (as the refusal prints it)",
        ),
        (
            HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,be ta,Technology\n",
            "line 2: symbol 'be ta' is not a symbol",
        ),
        (
            HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,BETA,\n",
            "line 2: adds.txt prints a sector column: the row needs",
        ),
        (
            HEAD + "adds.txt,1,5,not_a_row,,,\nadds.txt,1,5,not_a_row,,,\n",
            "line 3: adds.txt page 1 line 5 is settled twice",
        ),
        (
            HEAD + "adds.txt,1,5,not_a_row,,\n",
            "line 2: 6 fields, the header has 7 (a line cut short, or a field left out)",
        ),
        (
            HEAD + "adds.txt,\u00b2,5,not_a_row,,,\n",
            "line 2: page '\u00b2' is not a number from 1 (as the refusal prints it)",
        ),
        (
            HEAD + "adds.txt,1,0,not_a_row,,,\n",
            "line 2: line '0' is not a number from 1 (as the refusal prints it)",
        ),
        (
            HEAD + "2023/adds.txt,1,5,not_a_row,,,\n",
            "line 2: document '2023/adds.txt': the file name under the year's folder",
        ),
        (
            HEAD + "..\\adds.txt,1,5,not_a_row,,,\n",
            "line 2: document '..\\\\adds.txt': the file name under the year's folder",
        ),
        (HEAD + ",1,5,not_a_row,,,\n", "line 2: document '': the file name under the year's folder"),
        (
            HEAD + "adds.txt,1,5,not_a_row,,BETA,\n",
            "line 2: not_a_row leaves company, symbol and sector empty",
        ),
        (
            HEAD + "adds.txt,1,5,not_a_row,,,Technology\n",
            "line 2: not_a_row leaves company, symbol and sector empty",
        ),
        (HEAD + "adds.txt,1,5,row,,BETA,Technology\n", "line 2: a row needs its company"),
        (
            HEAD.encode() + b"adds.txt,1,5,row,B\xc9TA INDUSTRIES,BETA,Technology\n",  # Latin-1, not UTF-8
            "line 2: not UTF-8 text (byte 0xc9)",
        ),
        (
            HEAD + "adds.txt,1,5,row,BETA\u200bINDUSTRIES,BETA,Technology\n",
            "line 2: company 'BETA\\u200bINDUSTRIES' holds U+200B ZERO WIDTH SPACE: a name is printable text",
        ),
        (
            HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,BETA,Tech\u202eology\n",
            "line 2: sector 'Tech\\u202eology' holds U+202E RIGHT-TO-LEFT OVERRIDE",
        ),
        (
            HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,\u0392ETA,Technology\n",
            "line 2: symbol '\u0392ETA' is not a symbol",
        ),
        (
            HEAD + f"{SEED},1,4,not_a_row,,,\n",
            (
                f"line 2: {SEED} page 1 line 4 is not a line the parser could not read (its unread lines: "
                "none); nothing changed"
            ),
        ),
        (  # a quoted symbol holding a Windows line break: quoted as the file holds it, on one line
            (HEAD + 'adds.txt,1,5,row,BETA INDUSTRIES,"BE\r\nTA",Technology\n').encode(),
            "line 2: symbol 'BE\\r\\nTA' is not a symbol as the lists print them",
        ),
    ],
    ids=[
        "header",
        "empty-file",
        "no-such-line",
        "no-such-document",
        "a-short-line-after-an-empty-one",
        "action",
        "not-a-row-with-values",
        "page",
        "symbol",
        "sector",
        "twice",
        "fields",
        "superscript-page",
        "line",
        "document-in-a-folder",
        "document-behind-a-backslash",
        "no-document",
        "not-a-row-with-a-symbol",
        "not-a-row-with-a-sector",
        "row-without-company",
        "not-utf-8",
        "zero-width-space-in-a-company",
        "bidi-override-in-a-sector",
        "greek-letter-in-a-symbol",
        "a-document-with-no-unread-line",
        "symbol-over-two-lines",
    ],
)
def test_a_wrong_correction_is_one_line_naming_the_file_and_its_line(year, text, problem):
    """(A page number with a superscript digit ended in `invalid literal for int()` without the file or
    the line, from `parse` and `build` alike.)"""
    path = year / "2023" / "corrections.csv"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    got = read_year(year, 2023)
    assert got.refusal.startswith(f"raw/2023/corrections.csv: {problem}"), got.refusal
    assert "\n" not in got.refusal


def test_parse_prints_a_superscript_page_as_one_line_naming_the_file(year):
    """The superscript page of the cases above as a user meets it, from `parse`."""
    (year / "2023" / "corrections.csv").write_text(HEAD + "adds.txt,\u00b2,5,not_a_row,,,\n")
    done = run_main("parse", str(year / "2023" / "adds.txt"))
    assert done.returncode == 1
    problem = "line 2: page '\u00b2' is not a number from 1 (as the refusal prints it)"
    assert done.stderr.splitlines() == [f"error: raw/2023/corrections.csv: {problem}"]


def test_corrections_csv_is_an_input_of_its_year_not_a_document(year):
    before = digests.documents_inputs(digests.year_files(year, 2023))
    (year / "2023" / "corrections.csv").write_text(HEAD)
    folder = list_year(year, 2023)
    assert (folder.corrections, folder.skipped) == (year / "2023" / "corrections.csv", [])
    assert [p.name for p in folder.documents] == [SEED, "adds.txt"]
    middle = digests.documents_inputs(digests.year_files(year, 2023))
    (year / "2023" / "corrections.csv").write_text(HEAD + "adds.txt,1,5,not_a_row,,,\n")
    assert len({before, middle, digests.documents_inputs(digests.year_files(year, 2023))}) == 3
    assert read_corrections(year / "2023" / "corrections.csv")[0].at == 2


def test_the_documents_asset_refuses_the_year_whole_and_lists_each_document(year):
    root = year.parent
    with dg.instance_for_test() as instance:
        (year / "2023" / "adds.txt").rename(year / "adds.txt")
        assert materialize([documents], lake_folder(root).resources(), instance, "2023").success
        before = Lake(root).tables.read("constituent_changes")
        (year / "adds.txt").rename(year / "2023" / "adds.txt")
        refused = materialize([documents], lake_folder(root).resources(), instance, "2023")
        assert not refused.success
        entry = "adds.txt,1,5,not_a_row,,,"
        assert document_lines(refused) == [
            (
                f"  raw/2023/{SEED}: read, 161 rows (additions, Russell Microcap, preliminary, no date: the "
                "folder's year)"
            ),
            "  raw/2023/adds.txt: refused",  # why: the run's failure line
            (
                "  settle each line above that the parser could not read in raw/2023/corrections.csv: paste "
                "its entry (or edit it into `row` with the company, symbol and sector the line holds):"
            ),
            entry,
        ]
        (reason,) = failure_lines(refused)
        assert reason.startswith("documents: raw/2023/adds.txt: 1 line(s) hold data no row was read from")
        seen = {
            e.asset_key.to_user_string(): e.asset_observation_data.asset_observation.metadata
            for e in refused.all_events
            if e.event_type_value == "ASSET_OBSERVATION"
        }
        assert seen["constituent_changes"][UNREAD_FACT].value == entry
        assert (
            Lake(root).tables.read("constituent_changes").equals(before)
        )  # the year is atomic: nothing written
        # A wrong correction: one line naming the file and its line, and the lake does not change.
        (year / "2023" / "corrections.csv").write_text(HEAD + "adds.txt,1,4,not_a_row,,,\n")
        wrong = materialize([documents], lake_folder(root).resources(), instance, "2023")
        assert failure_lines(wrong) == [
            (
                "documents: raw/2023/corrections.csv: line 2: adds.txt page 1 line 4 is not "
                "a line the parser could not read (its unread lines: page 1 line 5); "
                "nothing changed"
            )
        ]
        assert Lake(root).tables.read("constituent_changes").equals(before)
        (year / "2023" / "corrections.csv").write_text(
            HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology\n"
        )
        settled = materialize([documents], lake_folder(root).resources(), instance, "2023")
        assert settled.success
    meta = {
        (e.asset_key.to_user_string()): e.step_materialization_data.materialization.metadata
        for e in settled.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert meta["constituent_changes"][CORRECTIONS_FACT].value == 1
    assert meta["source_documents"][DOCUMENTS_FACT].value == (
        f"- raw/2023/{SEED}: read, 161 rows (additions, Russell Microcap, preliminary, no date: "
        "the folder's year)\n"
        "- raw/2023/adds.txt: read, 3 rows (additions, Russell 2000, final, no date: the folder's year)"
    )
    stored = Lake(root).tables.read("constituent_changes")
    assert stored.filter(pl.col("corrected_by").is_not_null()).select(
        "symbol", "source_line", "corrected_by"
    ).rows() == [("BETA", 5, "raw/2023/corrections.csv:2")]
    assert stored.height == 164 and stored["corrected_by"].null_count() == 163


def test_parse_prints_the_ready_entry_then_reads_the_settled_document(year):
    path = year / "2023" / "adds.txt"
    done = run_main("parse", str(path))  # in this process, as the command runs it
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[1:] == ["adds.txt,1,5,not_a_row,,,"]
    assert run_main("parse", str(year / "2023" / SEED)).returncode == 0  # the good document still parses
    (year / "2023" / "corrections.csv").write_text(
        HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology\n"
    )
    done = run_main("parse", str(path))
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(done.stdout.encode())
    assert rows.select("symbol", "corrected_by").rows() == [
        ("ACME", None),
        ("BETA", "raw/2023/corrections.csv:2"),
        ("GAMM", None),
    ]


def test_rows_of_side_by_side_tables_are_stored_in_reading_order(tmp_path):
    """Page by page, the left table's rows top to bottom, then the right one's; page and line exact."""
    from russell_pipeline_tests.documents.layouts import draw, render

    data, expected, _, _ = render(draw(87))  # a two-up Russell 3000 membership list over several pages
    root = tmp_path / "lake"
    (root / "raw" / "2025").mkdir(parents=True)
    (root / "raw" / "2025" / "membership.pdf").write_bytes(data)
    with dg.instance_for_test() as instance:
        assert materialize([documents], lake_folder(root).resources(), instance, "2025").success
    stored = Lake(root).tables.read("constituents")
    assert stored.select("source_page", "company", "symbol").rows() == [(p, c, s) for p, c, s, _ in expected]
    assert len({p for p, *_ in expected}) > 1
    lines = stored.filter(pl.col("source_page") == 1)["source_line"].to_list()
    assert lines != sorted(lines)  # the right table's first row shares a line with the left one's


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        (
            [f"adds.txt,1,5,row,INVENTED {i},INV{i},Technology" for i in range(300)],
            "line 3: adds.txt page 1 line 5 is settled twice: line 2 already settles it; nothing changed",
        ),
        (
            ["adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology", "adds.txt,1,5,row,BETA TWO,BETB,Technology"],
            "line 3: adds.txt page 1 line 5 is settled twice: line 2 already settles it; nothing changed",
        ),
        (
            ["adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology", "adds.txt,1,5,not_a_row,,,"],
            "line 3: adds.txt page 1 line 5 is settled twice: line 2 already settles it; nothing changed",
        ),
        (
            ["adds.txt,1,4,row,ACME CORP,ACME,Technology"],
            (
                "line 2: adds.txt page 1 line 4 is not a line the parser could not read (its unread lines: "
                "page 1 line 5); nothing changed"
            ),
        ),
        (
            ["adds.txt,1,5,row,BETA INDUSTRIES,ACME,Technology"],
            (
                "line 2: symbol ACME is already on adds.txt page 1 line 4: a list names a symbol once; "
                "nothing changed"
            ),
        ),
    ],
    ids=["300-rows-for-one-line", "two-rows-for-one-line", "row-then-not-a-row", "a-read-line", "dup-symbol"],
)
def test_a_correction_settles_one_unread_line_once_or_the_year_is_refused(year, entries, problem):
    """Before: 300 `row` entries for one unread line added 300 rows, two entries two rows, and a
    correction repeating a symbol was written (failing a check afterwards)."""
    (year / "2023" / "corrections.csv").write_text(HEAD + "\n".join(entries) + "\n")
    got = read_year(year, 2023)
    assert got.refusal == f"raw/2023/corrections.csv: {problem}"
    assert got.corrections == 0


def _hostile_corrections(kind: str, path, tmp_path) -> str:
    """Make raw/2023/corrections.csv the hostile `kind`; the problem its one line must name."""
    if kind == "link-out-of-raw":
        outside = tmp_path / "outside.csv"
        outside.write_text(HEAD + "adds.txt,1,5,row,BETA INDUSTRIES,BETA,Technology\n")
        path.symlink_to(outside)
        return f"is a symbolic link to {outside}; put the file itself in raw/<year>/"
    if kind == "fifo":
        os.mkfifo(path)
        return "is not a regular file (a device, pipe or socket)"
    if kind == "device":
        try:  # /dev/zero's numbers, made inside raw/ (not a link)
            os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        except PermissionError:
            pytest.skip("mknod of a character device needs CAP_MKNOD, which this process lacks")
        return "is not a regular file (a device, pipe or socket)"
    with open(path, "wb") as f:  # 2 GB, sparse: no disk, but its size says 2 GB
        f.truncate(2_000_000_000)
    return "2,000,000,000 bytes, over the 1,000,000 of a file of corrections"


@pytest.mark.parametrize("kind", ["link-out-of-raw", "fifo", "device", "two-gigabytes"])
def test_a_hostile_corrections_file_is_refused_like_a_document(year, tmp_path, kind):
    """Before: the link was followed and applied, the FIFO hung `build`, /dev/zero took 4 GB and a 2 GB
    file was read whole before its size was refused. Read for `build` (and by `parse`, below)."""
    problem = _hostile_corrections(kind, year / "2023" / "corrections.csv", tmp_path)
    started = time.monotonic()
    got = read_year(year, 2023)
    assert got.refusal == f"raw/2023/corrections.csv: {problem}"
    assert time.monotonic() - started < 30  # never blocked, never read what it refuses
    if kind == "two-gigabytes":
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_000_000  # KB: not 2 GB read


@pytest.mark.parametrize("kind", ["link-out-of-raw", "fifo", "device", "two-gigabytes"])
def test_parse_prints_the_refusal_of_a_hostile_corrections_file(year, tmp_path, kind):
    """The same refusal as a user meets it: `parse` prints one line and exits 1, never blocked."""
    problem = _hostile_corrections(kind, year / "2023" / "corrections.csv", tmp_path)
    started = time.monotonic()
    done = cli("parse", str(year / "2023" / "adds.txt"), text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"error: raw/2023/corrections.csv: {problem}"]
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_a_build_refuses_300_invented_rows_for_one_unread_line(tmp_path, lakes):
    """The attack through the CLI on a built lake: a new year holding one unread line and 300 `row` entries
    for it. Before: exit 0 and 300 invented symbols published. Now: the year is refused naming the entry,
    and no invented symbol reaches the warehouse (the build's other tables are published as before)."""
    built = lakes.copy(tmp_path)  # the samples built over the small feed: only the new year is to build
    (built.root / "raw" / "2021").mkdir()
    (built.root / "raw" / "2021" / "adds.txt").write_text(BAD)
    (built.root / "raw" / "2021" / "corrections.csv").write_text(
        HEAD + "".join(f"adds.txt,1,5,row,INVENTED {i},INV{i},Technology\n" for i in range(300))
    )
    done = built.build()
    assert done.returncode == 1
    assert (
        "documents 2021: FAILED: documents: raw/2021/corrections.csv: line 3: adds.txt page 1 line 5 "
        "is settled twice: line 2 already settles it; nothing changed"
    ) in done.stderr, done.stderr
    published = Lake(built.root).warehouse.read("SELECT symbol FROM constituent_changes")
    assert published.height and not published.filter(pl.col("symbol").str.starts_with("INV")).height


# Three unread lines on one page (5, 7, 9: a split symbol each), then a page with a fourth (page 2 line 3).
MANY = (
    "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "BETA INDUSTRIES\tBE TA\tTechnology\nDELTA CO\tDLT\tEnergy\nEPSILON INC\tEP SI\tUtilities\n"
    "ZETA GROUP\tZET\tEnergy\nETA HOLDINGS\tE TA\tHealth Care\nTHETA CORP\tTHT\tEnergy\n"
    "\fCompany\tSymbol\tSector\nIOTA INC\tIOT\tEnergy\nKAPPA CO\tKA PA\tEnergy\nLAMBDA INC\tLMB\tEnergy\n"
)
FIXES = {  # each unread line's entry, as a user writes it
    (1, 5): "many.txt,1,5,row,BETA INDUSTRIES,BETA,Technology",
    (1, 7): "many.txt,1,7,not_a_row,,,",
    (1, 9): "many.txt,1,9,row,ETA HOLDINGS,ETA,Health Care",
    (2, 3): "many.txt,2,3,row,KAPPA CO,KAPA,Energy",
}


def _settle(tmp_path, name: str, text: str, entries) -> tuple:
    """The document `name` holding `text`, and it with `entries` (lines of corrections.csv) settled."""
    from russell_pipeline.lib.documents.corrections import settle
    from russell_pipeline.lib.documents.reading import read_document

    doc = read_document(_write(tmp_path / name, text))
    (tmp_path / "corrections.csv").write_text(HEAD + "".join(e + "\n" for e in entries))
    return doc, settle(doc, read_corrections(tmp_path / "corrections.csv"), "raw/2023/corrections.csv")


def _settled(tmp_path, keys) -> tuple:
    doc, fixed = _settle(tmp_path, "many.txt", MANY, [FIXES[k] for k in keys])
    assert [(p, n) for p, n, _ in doc.unread.iter_rows()] == list(FIXES)
    return doc, fixed


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations(FIXES))[::5],  # the entries in every order (a spread of the 24)
    ids=lambda o: "-".join(f"{p}.{n}" for p, n in o),
)
def test_several_unread_lines_of_a_page_each_settle_their_own_line_in_any_order(tmp_path, order):
    doc, fixed = _settled(tmp_path, order)
    at = {key: k + 2 for k, key in enumerate(order)}  # the entry's line in corrections.csv
    assert fixed.rows.select("source_page", "source_line", "symbol", "corrected_by").rows() == [
        (1, 4, "ACME", None),
        (1, 5, "BETA", f"raw/2023/corrections.csv:{at[(1, 5)]}"),
        (1, 6, "DLT", None),
        (1, 8, "ZET", None),
        (1, 9, "ETA", f"raw/2023/corrections.csv:{at[(1, 9)]}"),
        (1, 10, "THT", None),
        (2, 2, "IOT", None),
        (2, 3, "KAPA", f"raw/2023/corrections.csv:{at[(2, 3)]}"),
        (2, 4, "LMB", None),
    ]
    assert fixed.rows.filter(pl.col("symbol") == "ETA")["company"].to_list() == ["ETA HOLDINGS"]
    assert fixed.unread.is_empty() and fixed.corrections == 4
    assert fixed.page_stats.rows() == [(1, 6, 6), (2, 3, 3)]
    assert doc.page_stats.rows() == [(1, 7, 4), (2, 3, 2)]  # the document itself is left as it was


@pytest.mark.parametrize(
    "keys",
    [[k] for k in FIXES] + [[(1, 5), (1, 7)], [(2, 3), (1, 9)]],
    ids=lambda keys: "+".join(f"{p}.{n}" for p, n in keys),
)
def test_some_of_several_unread_lines_settled_leave_exactly_the_others(tmp_path, keys):
    _, fixed = _settled(tmp_path, keys)
    assert [(p, n) for p, n, _ in fixed.unread.iter_rows()] == [k for k in FIXES if k not in keys]
    corrected = fixed.rows.filter(pl.col("corrected_by").is_not_null())
    want = sorted(k for k in keys if "not_a_row" not in FIXES[k])
    assert corrected.select("source_page", "source_line").rows() == want
    data, rows = {1: 7, 2: 3}, {1: 4, 2: 2}  # (rows + unread lines, rows) of each page before
    gone = [p for p, n in keys if (p, n) not in want]  # the page of each line settled as not a row
    assert fixed.page_stats.rows() == [
        (p, data[p] - gone.count(p), rows[p] + sum(q == p for q, _ in want)) for p in (1, 2)
    ]


TWO_UP = (  # a membership list of side-by-side tables; line 5 is unread in both
    "Russell 3000 Index\nMembership list\nCompany\tSymbol\tCompany\tSymbol\n"
    "ALPHA CORP\tALP\tOMEGA INC\tOMG\nBETA INC\tBE TA\tPSI CORP\tP SI\nGAMMA CO\tGAM\tRHO INC\tRHO\n"
)
TWO_UP_NAME = "ru3000_membershiplist_20250627.txt"


def test_two_rows_settled_on_one_line_of_side_by_side_tables_go_left_then_right(tmp_path):
    entries = [f"{TWO_UP_NAME},1,5,row,BETA INC,BETA,", f"{TWO_UP_NAME},1,5,row,PSI CORP,PSI,"]
    doc, fixed = _settle(tmp_path, TWO_UP_NAME, TWO_UP, entries)
    assert doc.unread.rows() == [(1, 5, "BETA INC BE TA | PSI CORP P SI")]
    assert fixed.rows.select("source_line", "symbol").rows() == [
        (4, "ALP"),
        (5, "BETA"),
        (6, "GAM"),
        (4, "OMG"),
        (5, "PSI"),
        (6, "RHO"),
    ]
    assert fixed.row_tables == (0, 0, 0, 1, 1, 1) and fixed.page_stats.rows() == [(1, 6, 6)]


# A line crossing two tables settled again: the entries that settled it already.
TWICE = (
    f"{TWO_UP_NAME} page 1 line 5 is settled twice: line {{lines}} already settles it (it holds 2 rows, one "
    "per table it crosses)"
)


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        (["row,BETA INC,BETA,", "not_a_row,,,"], "line 3: " + TWICE.format(lines="2")),
        (["not_a_row,,,", "row,PSI CORP,PSI,"], "line 3: " + TWICE.format(lines="2")),
        (
            ["row,BETA INC,BETA,", "row,PSI CORP,PSI,", "row,INVENTED,INV,"],
            "line 4: " + TWICE.format(lines="2, 3"),
        ),
        (
            ["row,BETA INC,BETA,", "row,PSI CORP,BETA,"],
            f"line 3: symbol BETA is already on {TWO_UP_NAME} page 1 line 5: a list names a symbol once",
        ),
        (["row,BETA INC,BETA,Technology"], f"line 2: {TWO_UP_NAME} has no sector column: leave sector empty"),
    ],
    ids=["row-then-not-a-row", "not-a-row-then-row", "three-rows", "one-symbol-twice", "a-sector"],
)
def test_a_line_across_two_tables_holds_two_rows_named_once_and_nothing_else(tmp_path, entries, problem):
    """A line crossing two tables settles as two rows or as not a row, never both; without a sector."""
    from russell_pipeline.lib.errors import InputError

    with pytest.raises(InputError) as refused:
        _settle(tmp_path, TWO_UP_NAME, TWO_UP, [f"{TWO_UP_NAME},1,5,{e}" for e in entries])
    assert str(refused.value) == f"raw/2023/corrections.csv: {problem}; nothing changed"


def test_an_entry_for_a_line_the_parser_read_names_every_unread_line_of_its_document(tmp_path):
    from russell_pipeline.lib.errors import InputError

    with pytest.raises(InputError) as refused:
        _settle(tmp_path, "many.txt", MANY, ["many.txt,1,4,not_a_row,,,"])
    assert str(refused.value) == (
        "raw/2023/corrections.csv: line 2: many.txt page 1 line 4 is not a line the parser could not read "
        "(its unread lines: page 1 line 5, page 1 line 7, page 1 line 9, page 2 line 3); nothing changed"
    )


# A list with its date, stage and sector column (RGS); line 6 is unread.
DATED = (
    "Russell 2000 Index - Additions\nFinal\nAs of June 23, 2023\nCompany\tSymbol\tSector\n"
    "ACME CORP\tACME\tTechnology\nBETA INDUSTRIES\tBE TA\tHealth Care\nDELTA CO\tDLT\tEnergy\n"
)


def test_a_corrected_row_carries_its_document_s_columns_as_the_rows_read_beside_it_do(tmp_path):
    name = "ru2000_additions_20230623.txt"
    doc, fixed = _settle(tmp_path, name, DATED, [f"{name},1,6,row,BETA INDUSTRIES,BETA,  Health   Care "])
    common = ("source_sha256", "index_name", "change", "stage", "classification", "as_of_date")
    assert fixed.rows.select(common).unique().rows() == [
        (doc.sha256, "Russell 2000", "addition", "final", "RGS", dt.date(2023, 6, 23))
    ]
    assert fixed.rows.select("symbol", "sector", "corrected_by").rows() == [
        ("ACME", "Technology", None),
        ("BETA", "Health Care", "raw/2023/corrections.csv:2"),
        ("DLT", "Energy", None),
    ]


# A second page whose one data line is unread: once settled, the page holds no row.
EMPTIED = (
    "Russell 2000 Index - Additions\n\nCompany\tSymbol\tSector\nACME CORP\tACME\tTechnology\n"
    "DELTA CO\tDLT\tEnergy\n\fCompany\tSymbol\tSector\nKAPPA CO\tKA PA\tEnergy\n"
)


@pytest.mark.parametrize(
    ("entry", "stats"),
    [("not_a_row,,,", [(1, 2, 2), (2, 0, 0)]), ("row,KAPPA CO,KAPA,Energy", [(1, 2, 2), (2, 1, 1)])],
    ids=["not-a-row", "row"],
)
def test_a_page_whose_only_data_line_is_settled_counts_what_it_holds(tmp_path, entry, stats):
    doc, fixed = _settle(tmp_path, "emptied.txt", EMPTIED, [f"emptied.txt,2,2,{entry}"])
    assert doc.page_stats.rows() == [(1, 2, 2), (2, 1, 0)]
    assert fixed.page_stats.rows() == stats and fixed.unread.is_empty()


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_corrections_file_reads_the_same_entries_whatever_its_line_ends(tmp_path, end):
    """Windows ends lines with CR LF, and Excel for Mac's "CSV (Macintosh)" with a lone CR: each entry is
    still read on its own line, numbered as the file's lines are (a blank line skipped, not renumbered)."""
    from russell_pipeline.lib.documents.corrections import Correction

    lines = [HEAD.strip(), "many.txt,1,5,row,BETA INC,BETA,Technology", "", "many.txt,1,7,not_a_row,,,"]
    path = tmp_path / "corrections.csv"
    path.write_bytes((end.join(lines) + end).encode())
    assert read_corrections(path, "raw/2023/corrections.csv") == (
        Correction(2, "many.txt", 1, 5, "row", "BETA INC", "BETA", "Technology"),
        Correction(4, "many.txt", 1, 7, "not_a_row", "", "", ""),
    )


def test_a_wrong_entry_read_without_a_name_to_show_names_the_file_by_its_path(tmp_path):
    from russell_pipeline.lib.errors import InputError

    path = _write(tmp_path / "corrections.csv", HEAD + "adds.txt,1,5,drop,,,\n")
    with pytest.raises(InputError) as refused:
        read_corrections(path)
    assert str(refused.value) == f"{path}: line 2: action 'drop' is not one of not_a_row, row"
