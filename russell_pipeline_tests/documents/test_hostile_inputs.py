"""Untrusted input: each hostile file gets its one line, and nothing in the lake changes.

The big cases (a 200 MB text, a 1.2 GB prices CSV) are measured by bench/hostile_inputs.py;
here the same paths run with small configured limits.
"""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.cli import main
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.defs.market.assets import market_data
from russell_pipeline.lake.store import Lake
from russell_pipeline.lib.documents.ingest import ingest_year
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.market import contract as market_data_lib
from russell_pipeline.lib.market.contract import (
    load_market_data,
    source_files,
    validate_market_data,
    write_market_data,
)
from russell_pipeline.planning.runs import failure_lines
from russell_pipeline.settings import Settings
from russell_pipeline_tests.conftest import resources_for
from russell_pipeline_tests.index.test_weights import TABLES, write_tables

SAMPLE = "004_002a24caca4e0d3c.txt"  # the committed 2024 sample


def text_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF: one line of Helvetica text per page (pdfium reads it back exactly)."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message and err.value.__cause__ is None
    return message


# ---------------------------------------------------------------- documents: limits
PDF = text_pdf(["Russell 2000 Index", "page two"])  # 18 + 8 characters on two pages
LIMITED = {
    "big.txt": (b"Company\tSymbol\n" + b"x" * 986, Limits(text_chars=1000),
                "text document has 1,001 bytes, over the limit of 1,000 (set RUSSELL_MAX_TEXT_MB to raise it)"),
    "big.pdf": (PDF, Limits(pdf_bytes=len(PDF) - 1),
                f"PDF has {len(PDF):,} bytes, over the limit of {len(PDF) - 1:,} (set RUSSELL_MAX_PDF_MB to raise it)"),
    "long.pdf": (PDF, Limits(pages=1), "PDF has 2 pages, over the limit of 1 (set RUSSELL_MAX_PAGES to raise it)"),
    "long.txt": (b"one\ftwo\fthree\n", Limits(pages=2),
                 "text document has 3 pages, over the limit of 2 (set RUSSELL_MAX_PAGES to raise it)"),
    # A few PDF pages can hold a huge compressed text layer: characters are counted before boxes are read.
    "dense.pdf": (PDF, Limits(text_chars=20),
                  ("PDF text layer reaches 26 characters by page 2, over the limit of 20 "
                  "(set RUSSELL_MAX_TEXT_MB to raise it)")),
    # Over the size limit too, yet refused as binary: only the first 64 KiB were looked at.
    "blob.txt": (bytes(100_000), Limits(text_chars=1000), "binary data, not a text document"),
}


@pytest.mark.parametrize("name", sorted(LIMITED))
def test_documents_over_a_limit_get_one_line(tmp_path, name):
    data, limits, problem = LIMITED[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_document(path, limits)
    assert one_line(err) == f"{path}: {problem}"


def test_limits_from_environment():
    env = {"RUSSELL_MAX_PDF_MB": "2.5", "RUSSELL_MAX_TEXT_MB": " ", "RUSSELL_MAX_PAGES": "7"}
    assert Settings.from_env(env).limits == Limits(pdf_bytes=2_500_000, text_chars=10_000_000, pages=7)
    assert Settings.from_env({}).limits == Limits(pdf_bytes=50_000_000, text_chars=10_000_000, pages=500)
    with pytest.raises(ValueError) as err:
        Settings.from_env({"RUSSELL_MAX_PAGES": "many"})
    assert str(err.value) == "RUSSELL_MAX_PAGES='many': expected a positive whole number"
    with pytest.raises(ValueError) as err:
        Settings.from_env({"RUSSELL_MAX_TEXT_MB": "-1"})
    assert str(err.value) == "RUSSELL_MAX_TEXT_MB='-1': expected a positive number"


def test_cli_parse_reads_the_limit_from_the_environment(tmp_path, monkeypatch, capsys):
    path = tmp_path / "list.txt"
    path.write_bytes(b"Company\tSymbol\n" * 100)  # 1,500 bytes
    monkeypatch.setenv("RUSSELL_MAX_TEXT_MB", "0.001")
    assert main(["parse", str(path)]) == 1
    assert capsys.readouterr().err == (f"error: {path}: text document has 1,500 bytes, over the limit of 1,000 "
                                       "(set RUSSELL_MAX_TEXT_MB to raise it)\n")


# ---------------------------------------------------------------- raw/<year>/: what is read
@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """raw/2024/ holding the committed 2024 sample."""
    folder = tmp_path / "raw" / "2024"
    folder.mkdir(parents=True)
    sample = Path(__file__).resolve().parents[2] / "data_lake" / "raw" / "2024" / SAMPLE
    (folder / SAMPLE).write_bytes(sample.read_bytes())
    return tmp_path / "raw"


def refused(raw: Path) -> str:
    with pytest.raises(InputError) as err:
        ingest_year(raw, 2024)
    return one_line(err)


def test_symlink_to_etc_passwd_is_refused(raw):
    (raw / "2024" / "list.txt").symlink_to("/etc/passwd")
    assert refused(raw) == f"{raw}/2024/list.txt: is a symbolic link to /etc/passwd; put the document itself in raw/<year>/"


def test_file_resolving_outside_raw_is_refused(raw, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "list.txt").write_text("Company\tSymbol\nACME\tACME\n")
    (raw / "2025").symlink_to(outside, target_is_directory=True)  # a linked year folder
    with pytest.raises(InputError) as err:
        ingest_year(raw, 2025)
    assert one_line(err) == f"{raw}/2025/list.txt: resolves to {outside}/list.txt, outside {raw}"
    with pytest.raises(InputError) as err:  # a stored path climbing out with ..
        read_document(raw / "2024" / ".." / ".." / "elsewhere" / "list.txt", root=raw)
    assert one_line(err) == f"{raw}/2024/../../elsewhere/list.txt: resolves to {outside}/list.txt, outside {raw}"


def test_hidden_file_is_refused_not_ignored(raw):
    (raw / "2024" / "..deletions.txt").write_text("Russell 2000 Index - Deletions\nCompany\tSymbol\nACME\tACME\n")
    assert refused(raw) == (f"{raw}/2024/..deletions.txt: hidden file: rename it without the leading dot "
                            "to have it read, or remove it")


def test_os_and_editor_files_are_skipped_and_reported(raw):
    (raw / "2024" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / "2024" / "~$list.docx").write_bytes(b"owner")
    tables = ingest_year(raw, 2024)
    assert tables.skipped == (f"{raw}/2024/.DS_Store: skipped (macOS folder settings)",
                              f"{raw}/2024/~$list.docx: skipped (Office lock file)")
    assert tables.source_documents["path"].to_list() == [f"raw/2024/{SAMPLE}"]


def test_folder_and_fifo_are_refused_without_hanging(raw):
    (raw / "2024" / "old").mkdir()
    assert refused(raw) == f"{raw}/2024/old: is a folder; documents go directly in raw/<year>/"
    (raw / "2024" / "old").rmdir()
    os.mkfifo(raw / "2024" / "pipe.txt")
    assert refused(raw) == f"{raw}/2024/pipe.txt: is not a regular file (a device, pipe or socket)"


def test_sensor_sees_hidden_files_and_links_but_not_junk(raw):
    (raw / "2024" / "..deletions.txt").write_text("x")
    (raw / "2024" / "passwd.txt").symlink_to("/etc/passwd")
    (raw / "2024" / ".DS_Store").write_text("x")
    from russell_pipeline.planning.digests import year_files

    assert [name for name, _ in year_files(raw, 2024)] == ["..deletions.txt", SAMPLE, "passwd.txt"]


@pytest.mark.slow
def test_bad_file_fails_the_documents_asset_and_keeps_the_stored_tables(raw):
    root = raw.parent
    resources = resources_for(root)
    with dg.instance_for_test() as instance:
        good = dg.materialize([documents], resources=resources, instance=instance, partition_key="2024")
        assert good.success
        before = Lake(root).read("source_documents")
        (raw / "2024" / "list.txt").symlink_to("/etc/passwd")
        bad = dg.materialize([documents], resources=resources, instance=instance, partition_key="2024",
                             raise_on_error=False)
    assert not bad.success
    assert failure_lines(bad) == [(f"documents: {raw}/2024/list.txt: is a symbolic link to /etc/passwd; "
                                   "put the document itself in raw/<year>/")]
    assert_frame_equal(Lake(root).read("source_documents"), before)
    assert before["path"].to_list() == [f"raw/2024/{SAMPLE}"]


# ---------------------------------------------------------------- market data
def market(tmp_path: Path, table: str, old: str, new: str) -> Path:
    assert old in TABLES[table]
    return write_tables(tmp_path / "md", {**TABLES, table: TABLES[table].replace(old, new, 1)})


def rejected(folder: Path) -> str:
    with pytest.raises(InputError) as err:
        load_market_data(folder)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("table", "old", "new", "line"), [
    ("prices", "2024-03-04,CCC,8", "2024-03-02,CCC,8",
     ("prices.csv: column 'date' row 4 (line 5): 2024-03-02 is a Saturday, not an NYSE session: "
     "date=2024-03-02, symbol=CCC, close=8.0, currency=USD")),
    ("prices", "2024-03-01,CCC,7", "2024-01-15,CCC,7",  # Martin Luther King Jr. Day
     ("prices.csv: column 'date' row 5 (line 6): 2024-01-15 is an NYSE holiday: "
     "date=2024-01-15, symbol=CCC, close=7.0, currency=USD")),
    ("prices", "2024-03-01,CCC,7", "2004-12-31,CCC,7",
     ("prices.csv: column 'date' row 5 (line 6): 2004-12-31 is outside the NYSE calendar known here "
     "(2005-01-01 to 2035-12-31): date=2004-12-31, symbol=CCC, close=7.0, currency=USD")),
    ("dividends", "2024-03-04,AAA", "2024-03-03,AAA",
     ("dividends.csv: column 'ex_date' row 1 (line 2): 2024-03-03 is a Sunday, not an NYSE session: "
     "ex_date=2024-03-03, symbol=AAA, amount=0.1")),
    ("splits", "2024-02-01,BBB", "2024-02-19,BBB",  # Washington's Birthday
     ("splits.csv: column 'ex_date' row 1 (line 2): 2024-02-19 is an NYSE holiday: "
     "ex_date=2024-02-19, symbol=BBB, ratio=2.0")),
])
def test_rows_off_the_nyse_calendar_are_rejected(tmp_path, table, old, new, line):
    folder = market(tmp_path, table, old, new)
    assert rejected(folder) == f"{folder}/{line}"


def test_shares_and_fx_may_be_dated_any_day(tmp_path):
    # Shares rows are "in force from" dates; fx is fixed on days the NYSE is shut (Good Friday).
    tables = {**TABLES, "shares": TABLES["shares"].replace("2024-01-02,AAA", "2023-12-30,AAA"),
              "fx": TABLES["fx"].replace("2024-03-07,CAD", "2024-03-29,CAD")}
    md = load_market_data(write_tables(tmp_path / "md", tables))
    assert md.shares.filter(pl.col("symbol") == "AAA")["date"].to_list() == [date(2023, 12, 30)]
    assert md.fx["date"].to_list() == [date(2024, 3, 5), date(2024, 3, 29)]


def test_the_first_bad_row_is_reported_whatever_the_check(tmp_path):
    tables = {**TABLES, "prices": TABLES["prices"].replace("2024-03-07,AAA", "2024-03-09,AAA")
              .replace("2024-03-06,EEE,40", "2024-03-06,EEE,-40")}
    assert rejected(write_tables(tmp_path / "md", tables)).endswith(
        "prices.csv: column 'date' row 2 (line 3): 2024-03-09 is a Saturday, not an NYSE session: "
        "date=2024-03-09, symbol=AAA, close=999.0, currency=USD")


def test_an_unreadable_optional_cell_is_not_defaulted(tmp_path):
    folder = market(tmp_path, "memberships", f"{TABLES['memberships'].splitlines()[3]}",
                    TABLES["memberships"].splitlines()[3] + "abc")
    assert rejected(folder) == (f"{folder}/memberships.csv: column 'fraction' row 3 (line 4): cannot read 'abc' "
                                "as Float64: review=2024-03, index=RUSSELL_SMALL_CAP_COMPLETENESS, symbol=CCC, "
                                "fraction=abc")


def test_duplicate_keys_are_found_across_hash_buckets(tmp_path, monkeypatch):
    # Big feeds hash their keys in several passes; a pair must be caught whichever bucket it is in.
    monkeypatch.setattr(market_data_lib, "HASHES_PER_PASS", 2)
    folder = market(tmp_path, "prices", "2024-03-01,CCC", "2024-03-06,EEE")
    assert rejected(folder) == (f"{folder}/prices.csv: column(s) date, symbol: duplicate key in row 5 (line 6) and "
                                "row 7 (line 8): date=2024-03-06, symbol=EEE, close=7.0, currency=USD")


def test_keys_sharing_a_hash_are_told_apart(tmp_path, monkeypatch):
    # Every key hashed alike: only the values decide what is a duplicate.
    monkeypatch.setattr(market_data_lib, "_key_hash", lambda key: pl.col(key[0]).is_null().cast(pl.UInt64))
    assert load_market_data(write_tables(tmp_path / "ok", TABLES)).prices.height == 7
    folder = market(tmp_path, "prices", "2024-03-01,CCC", "2024-03-06,EEE")
    assert rejected(folder) == (f"{folder}/prices.csv: column(s) date, symbol: duplicate key in row 5 (line 6) and "
                                "row 7 (line 8): date=2024-03-06, symbol=EEE, close=7.0, currency=USD")


def test_failed_validation_leaves_the_destination_as_it_was(tmp_path):
    good = write_tables(tmp_path / "good", TABLES)
    out = tmp_path / "validated"
    validated = validate_market_data(good, out)
    before = {name: pl.read_parquet(path) for name, path in validated.items()}
    bad = market(tmp_path, "prices", "2024-03-04,CCC", "2024-03-02,CCC")
    with pytest.raises(InputError):
        validate_market_data(bad, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.parquet" for name in before)
    for name, frame in before.items():
        assert_frame_equal(pl.read_parquet(out / f"{name}.parquet"), frame)
    assert list(source_files(good)) == ["prices", "shares", "memberships", "dividends", "splits", "fx"]


def test_concurrent_writers_never_share_a_temp_file(tmp_path):
    # With one fixed temp name per table, one writer's rename takes the other's file away.
    md = load_market_data(write_tables(tmp_path / "md", TABLES))
    out, errors = tmp_path / "feed", []

    def write() -> None:
        try:
            for _ in range(15):
                write_market_data(md, out)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in md.files)
    assert_frame_equal(load_market_data(out).prices, md.prices)


@pytest.mark.slow
def test_saturday_price_fails_market_data_and_writes_nothing(tmp_path):
    folder = market(tmp_path, "prices", "2024-03-04,CCC", "2024-03-02,CCC")
    root = tmp_path / "lake"
    root.mkdir()
    resources = resources_for(root, folder=str(folder))
    with dg.instance_for_test() as instance:
        result = dg.materialize([market_data], resources=resources, instance=instance, raise_on_error=False)
    assert failure_lines(result) == [
        (f"market_data: {folder}/prices.csv: column 'date' row 4 (line 5): 2024-03-02 is a Saturday, "
        "not an NYSE session: date=2024-03-02, symbol=CCC, close=8.0, currency=USD")]
    assert Lake(root).read("market_prices") is None
    assert list((root / ".scratch").iterdir()) == []  # the validation folder is gone too
    assert not (root / "lake").exists()
