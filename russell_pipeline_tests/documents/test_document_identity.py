"""A document counts once, in the year it belongs to: its date from its text, file name, PDF metadata
or folder, compared; copies and conflicting versions refused. Each case asserts what would be
published (the year's tables) and what is refused."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Callable

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.documents.ingest import read_year
from russell_pipeline.planning import digests
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.documents.test_parsing import _pdf, _table
from russell_pipeline_tests.helpers import materialize, run_main
from russell_pipeline_tests.lakes import lake_folder

ROWS = (
    ("ACME CORP", "ACME", "Technology"),
    ("BETA INC", "BETA", "Energy"),
    ("GAMMA HOLDINGS", "GAMM", "Financials"),
)


@functools.cache
def _list(
    date_line: str | None = None, created: dt.datetime | None = None, stage: str = "", rows=ROWS
) -> bytes:
    """A Russell 3000 additions list; its text prints `date_line` (if any), its PDF metadata `created`."""
    page = [
        (38, 100, f"Russell 3000® Index - {stage}Additions", 12),
        (38, 150, "Company", 8),
        (242, 150, "Symbol", 8),
        (363, 150, "Industry", 8),
        *_table(165, rows),
        *([(36, 760, date_line, 7)] if date_line else []),
        (571, 760, "1", 7),
    ]
    return _pdf([page], creation=created)


def _later(*args, **kwargs) -> Callable[[], bytes]:
    """`_list(*args, **kwargs)`, made when a test writes it: every xdist worker collects this module
    (and would draw each case's PDFs), one runs its tests."""
    return functools.partial(_list, *args, **kwargs)


def _year(tmp_path, files: dict[str, bytes | Callable[[], bytes]]):
    """`files` ({path under raw/: its bytes, or what makes them}) written under tmp_path/raw."""
    raw = tmp_path / "raw"
    for name, data in files.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(data() if callable(data) else data)
    return raw


JUNE_28 = dt.datetime(2024, 6, 28, 9, 0)
CASES = {
    # name: (files, year read, refused path -> words of its reason, (as_of, date_source) of the read list)
    "text-date": ({"2024/adds.pdf": _later("June 28, 2024", JUNE_28)}, 2024, {}, ("2024-06-28", "text")),
    "text-wins-over-its-name": (
        {"2023/adds-20240628.pdf": _later("June 23, 2023", dt.datetime(2023, 6, 23))},
        2023,
        {},
        ("2023-06-23", "text"),
    ),
    "file-name": ({"2024/adds-20240628.pdf": _later(None, JUNE_28)}, 2024, {}, ("2024-06-28", "file_name")),
    "metadata": (
        {"2024/adds.pdf": _later(None, dt.datetime(2024, 6, 7))},
        2024,
        {},
        ("2024-06-07", "metadata"),
    ),
    "exported-later": (
        {"2024/adds-20240628.pdf": _later(None, dt.datetime(2025, 2, 1))},
        2024,
        {},
        ("2024-06-28", "file_name"),
    ),
    "no-date-the-folder-decides": ({"2024/adds.pdf": _later()}, 2024, {}, (None, "folder")),
    "misfiled-by-text": (
        {"2025/adds.pdf": _later("June 28, 2024", JUNE_28)},
        2025,
        {
            "raw/2025/adds.pdf": "dated 2024-06-28 by its text (text 2024-06-28; PDF created 2024-06-28):"
            " it belongs under raw/2024/, not raw/2025/; move it there"
        },
        None,
    ),
    "misfiled-by-name": (
        {"2025/ru3000-additions-final-20240628.pdf": _later(None, JUNE_28)},
        2025,
        {"raw/2025/ru3000-additions-final-20240628.pdf": "it belongs under raw/2024/"},
        None,
    ),
    "misfiled-by-metadata": (
        {"2025/adds.pdf": _later(None, JUNE_28)},
        2025,
        {"raw/2025/adds.pdf": "raw/2024/"},
        None,
    ),
    "renamed": (
        {"2024/ru3000-additions-final-20240628.pdf": _later(None, dt.datetime(2023, 6, 23))},
        2024,
        {"raw/2024/ru3000-additions-final-20240628.pdf": "the PDF was created 371 days before that date"},
        None,
    ),
    "renamed-with-a-text-date": (
        {"2024/adds.pdf": _later("June 28, 2024", dt.datetime(2023, 6, 23))},
        2024,
        {"raw/2024/adds.pdf": "created 371 days before"},
        None,
    ),
    "copy": (
        {
            "2024/ru3000-additions-final-20240628.pdf": _later(None, JUNE_28),
            "2024/additions-copy.pdf": _later(None, JUNE_28),
        },
        2024,
        {"raw/2024/additions-copy.pdf": "same content as raw/2024/ru3000-additions-final-20240628.pdf"},
        None,
    ),
    "copy-misfiled-elsewhere": (
        {"2024/adds-20240628.pdf": _later(None, JUNE_28), "2025/adds-20240628.pdf": _later(None, JUNE_28)},
        2024,
        {},
        ("2024-06-28", "file_name"),
    ),
    "copy-misfiled-here": (
        {"2024/adds-20240628.pdf": _later(None, JUNE_28), "2025/adds-20240628.pdf": _later(None, JUNE_28)},
        2025,
        {"raw/2025/adds-20240628.pdf": "it belongs under raw/2024/"},
        None,
    ),
    "copy-in-a-later-folder-under-a-dateless-name": (
        {
            "2024/adds.pdf": _later("June 28, 2024", JUNE_28),
            "2023/adds.pdf": _later("June 28, 2024", JUNE_28),
        },
        2024,
        {},
        ("2024-06-28", "text"),
    ),
    "conflicting-versions": (
        {
            "2024/a-20240628.pdf": _later(None, JUNE_28),
            "2024/b-20240628.pdf": _later(None, JUNE_28, rows=ROWS[:2]),
        },
        2024,
        {
            "raw/2024/a-20240628.pdf": "conflicting versions: raw/2024/a-20240628.pdf and "
            "raw/2024/b-20240628.pdf are both the Russell 3000 final "
            "additions of 2024-06-28 but differ (3 vs 2 rows)",
            "raw/2024/b-20240628.pdf": "conflicting versions",
        },
        None,
    ),
    "revisions-are-not-conflicts": (
        {
            "2024/a-20240607.pdf": _later(None, JUNE_28, stage="Updated "),
            "2024/b-20240628.pdf": _later(None, JUNE_28, rows=ROWS[:2]),
        },
        2024,
        {},
        ("2024-06-07", "file_name"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_documents_date_and_identity_decide_what_its_year_publishes(tmp_path, case):
    files, year, refused, dated = CASES[case]
    got = read_year(_year(tmp_path, files), year)
    states = {d.path: d for d in got.documents}
    assert {p for p, d in states.items() if d.refused} == set(refused), got.refusal
    for path, words in refused.items():
        assert words in states[path].refused, states[path].refused
        assert path in got.refusal and "\n" not in got.refusal
    if not refused:  # published: every row of the year's list, dated as the evidence says
        assert got.refusal is None
        first = got.source_documents.sort("path").row(0, named=True)
        assert (str(first["as_of_date"]) if first["as_of_date"] else None, first["date_source"]) == dated
        mine = got.constituent_changes.filter(pl.col("source_sha256") == first["sha256"])
        assert mine["symbol"].to_list() == [s for _, s, _ in ROWS]
        assert mine["as_of_date"].cast(pl.String).unique().to_list() == [dated[0]]
        assert got.constituent_changes.height == sum(d.rows for d in got.documents)  # each document once


def test_a_copy_under_another_year_changes_the_digest_of_the_year_it_copies(tmp_path):
    raw = _year(tmp_path, {"2024/adds-20240628.pdf": _list(None, JUNE_28)})
    before = digests.year_inputs(raw, 2024)
    (raw / "2023").mkdir()
    shutil.copy(raw / "2024" / "adds-20240628.pdf", raw / "2023" / "adds-20240628.pdf")
    assert digests.year_inputs(raw, 2024) != before  # which copy is read depends on it


def test_the_documents_asset_publishes_nothing_of_a_year_with_a_misfiled_renamed_or_copied_list(tmp_path):
    root = tmp_path / "lake"
    raw = _year(root, {"2024/ru3000-additions-final-20240628.pdf": _list(None, JUNE_28)})
    with dg.instance_for_test() as instance:
        assert materialize([documents], lake_folder(root).resources(), instance, "2024").success
        before = Lake(root).tables.read("constituent_changes")
        assert Lake(root).tables.read("source_documents").select("path", "date_source").rows() == [
            ("raw/2024/ru3000-additions-final-20240628.pdf", "file_name")
        ]
        (raw / "2024" / "additions-copy.pdf").write_bytes(
            (raw / "2024" / "ru3000-additions-final-20240628.pdf").read_bytes()
        )
        (raw / "2024" / "deletions-20240628.pdf").write_bytes(
            _list(None, dt.datetime(2023, 6, 23)).replace(b"Additions", b"Deletions")
        )
        failed = materialize([documents], lake_folder(root).resources(), instance, "2024")
    assert not failed.success
    (line,) = failure_lines(failed)
    assert line.startswith(
        "documents: raw/2024: 2 documents cannot be read: raw/2024/additions-copy.pdf: same "
        "content as raw/2024/ru3000-additions-final-20240628.pdf"
    )
    assert Lake(root).tables.read("constituent_changes").equals(before)
    assert before.height == 3 and before["recon_year"].unique().to_list() == [2024]


def test_parse_prints_where_the_date_comes_from_and_refuses_a_misfiled_list(tmp_path):
    raw = _year(
        tmp_path, {"2024/adds-20240628.pdf": _list(None, JUNE_28), "2025/adds.pdf": _list("June 28, 2024")}
    )
    done = run_main("parse", str(raw / "2024" / "adds-20240628.pdf"))
    assert done.returncode == 0 and done.stderr.endswith("3 rows, dated 2024-06-28 (file_name)\n")
    assert pl.read_csv(done.stdout.encode())["recon_year"].unique().to_list() == [2024]
    done = run_main("parse", str(raw / "2025" / "adds.pdf"))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"error: {raw / '2025' / 'adds.pdf'}: dated 2024-06-28 by its text (text 2024-06-28): "
        "it belongs under raw/2024/, not raw/2025/; move it there\n"
    )


# ---- the real lists (skipped where ../shared/real is absent) ----
ADDS_2023, M2022 = "ru3000-additions-final-20230623.pdf", "ru3000_membershiplist_20220624_0.pdf"


@pytest.mark.parametrize(
    ("name", "stored", "year", "words"),
    [
        (
            ADDS_2023,
            "ru3000-additions-final-20240628.pdf",
            2024,
            (
                "dated 2024-06-28 by its file name (file name 2024-06-28; PDF created 2023-06-23; PDF "
                "modified 2023-06-28), but the PDF was created 371 days before that date"
            ),
        ),
        (ADDS_2023, ADDS_2023, 2024, "it belongs under raw/2023/, not raw/2024/"),
        (M2022, M2022, 2024, "dated 2022-06-24 by its text"),
    ],
    ids=["renamed", "misfiled-additions", "misfiled-membership-list"],
)
def test_a_real_list_renamed_or_misfiled_is_refused_naming_each_source(
    tmp_path, real_pdf, name, stored, year, words
):
    raw = _year(tmp_path, {f"{year}/{stored}": real_pdf(name).read_bytes()})
    got = read_year(raw, year)
    assert got.refusal.startswith(f"raw/{year}/{stored}: ") and words in got.refusal, got.refusal


def test_the_real_2023_additions_are_dated_by_their_file_name_and_counted_once(tmp_path, real_pdf):
    data = real_pdf(ADDS_2023).read_bytes()
    raw = _year(tmp_path, {f"2023/{ADDS_2023}": data, "2023/additions-copy.pdf": data})
    got = read_year(raw, 2023)
    assert [d.line() for d in got.documents] == [
        (
            "raw/2023/additions-copy.pdf: refused: same content as "
            "raw/2023/ru3000-additions-final-20230623.pdf (sha256 "
            f"{got.source_documents['sha256'][0][:12]}...): a document is read once, remove this copy"
        ),
        (
            f"raw/2023/{ADDS_2023}: read, 281 rows (additions, Russell 3000, final, dated 2023-06-23 by its "
            "file name)"
        ),
    ]
    (raw / "2023" / "additions-copy.pdf").unlink()
    got = read_year(raw, 2023)
    assert got.refusal is None and got.constituent_changes.height == 281
    assert got.source_documents.select("as_of_date", "date_source").rows() == [
        (dt.date(2023, 6, 23), "file_name")
    ]


def test_a_new_lake_without_a_raw_folder_reads_an_empty_year(tmp_path):
    # `build --init` starts a lake with no raw/ at all: each year is read empty, not refused.
    got = read_year(tmp_path / "raw", 2024)
    assert got.refusal is None and got.documents == () and got.source_documents.height == 0


def _forged(data: bytes, created: str, modified: str) -> bytes:
    """The PDF with its metadata dates edited in place (same length: its cross-reference table holds)."""
    out = data.replace(b"D:20230623", f"D:{created}".encode()).replace(
        b"D:20230628", f"D:{modified}".encode()
    )
    assert out != data and len(out) == len(data)
    return out


@pytest.mark.slow
def test_dates_forged_in_a_real_lists_metadata_are_not_believed(tmp_path, real_pdf, small_market):
    """As an attacker: the real 2023 final additions with their PDF dates edited to 2024 and filed under
    a 2024 name, and the real 2023 final deletions under a name without a date and created (by their
    metadata) three months before their reconstitution. Before: both published, exit 0. Now: each
    refused naming its evidence, and the warehouse holds the first build's lists only."""
    root = tmp_path / "lake"
    raw = _year(root, {f"2023/{ADDS_2023}": real_pdf(ADDS_2023).read_bytes()})
    folder = lake_folder(root, small_market, tmp_path / "home")
    first = folder.build()
    assert first.returncode == 0, first.stderr[-2000:]
    before = Lake(root).warehouse.read("SELECT * FROM constituent_changes ORDER BY source_page, source_line")
    forged = "ru3000-additions-final-20240628.pdf"
    (raw / "2024").mkdir()
    (raw / "2024" / forged).write_bytes(_forged(real_pdf(ADDS_2023).read_bytes(), "20240628", "20240628"))
    deletions = real_pdf("ru3000-deletions-final-20230623.pdf").read_bytes()
    (raw / "2023" / "ru3000-deletions-final.pdf").write_bytes(_forged(deletions, "20230324", "20230324"))
    second = folder.build()
    assert second.returncode == 1
    assert (
        f"raw/2024/{forged}: its 281 rows equal those of raw/2023/{ADDS_2023}, stored for 2023: "
        "it is that list under other dates (file name 2024-06-28; PDF created 2024-06-28; PDF modified "
        "2024-06-28), not a list of its own; remove it"
    ) in second.stderr, second.stderr
    assert (
        "raw/2023/ru3000-deletions-final.pdf: a final list dated 2023-03-24 by its metadata (PDF "
        "created 2023-03-24; PDF modified 2023-03-24), but 2023's rank day is 2023-04-28 and a final list "
        "is published after its rank day: that date is not its own; name it after its own date"
    ) in second.stderr, second.stderr
    listed = second.stdout.splitlines()  # each document of the refused years, with its state
    assert (
        f"  raw/2024/{forged}: refused" in listed
        and "  raw/2023/ru3000-deletions-final.pdf: refused" in listed
    )
    after = Lake(root).warehouse.read("SELECT * FROM constituent_changes ORDER BY source_page, source_line")
    assert after.equals(before) and after["recon_year"].unique().to_list() == [2023]


def test_a_list_equal_to_another_years_is_refused_in_the_same_run_and_from_the_lake(tmp_path):
    """Two years' lists with the same rows, read in one run (the later year refused naming the earlier)
    and against the lake's stored lists (`stored_lists`)."""
    from russell_pipeline.lib.documents.ingest import stored_lists

    raw = _year(
        tmp_path,
        {
            "2023/adds-20230623.pdf": _list(None, dt.datetime(2023, 6, 23)),
            "2024/adds-20240628.pdf": _list(None, JUNE_28),
        },
    )
    first = read_year(raw, 2023)
    assert first.refusal is None
    later = read_year(raw, 2024, others={key: f"{path}, read for 2023" for key, path in first.lists})
    assert later.refusal.startswith(
        "raw/2024/adds-20240628.pdf: its 3 rows equal those of raw/2023/adds-20230623.pdf, read for 2023: it "
        "is that list under other dates (file name 2024-06-28; PDF created 2024-06-28)"
    )
    stored = stored_lists(first.constituents, first.constituent_changes, first.source_documents)
    assert list(stored.values()) == ["raw/2023/adds-20230623.pdf, stored for 2023"]
    assert read_year(raw, 2024, others=stored).refusal.startswith(
        "raw/2024/adds-20240628.pdf: its 3 rows equal those of raw/2023/adds-20230623.pdf, stored for 2023"
    )
    different = _year(tmp_path / "b", {"2024/adds-20240628.pdf": _list(None, JUNE_28, rows=ROWS[:2])})
    assert read_year(different, 2024, others=stored).refusal is None  # other rows: its own list
