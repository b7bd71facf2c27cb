"""Untrusted input: each hostile file gets its one line, and nothing in the lake changes.

The big cases (a 200 MB text, a 1.2 GB prices CSV) are measured by bench/hostile_inputs.py;
here the same paths run with small configured limits.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
from polars.testing import assert_frame_equal

from russell_pipeline.cli import main
from russell_pipeline.defs.documents.assets import documents
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.documents.ingest import ingest_year
from russell_pipeline.lib.documents.limits import Limits
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline.settings import Settings
from russell_pipeline_tests.helpers import materialize
from russell_pipeline_tests.lakes import lake_folder

SAMPLE = "004_002a24caca4e0d3c.txt"  # the committed 2024 sample


def text_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF: one line of Helvetica text per page (pdfium reads it back exactly)."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
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
    "big.txt": (
        b"Company\tSymbol\n" + b"x" * 986,
        Limits(text_chars=1000),
        "text document has 1,001 bytes, over the limit of 1,000 (set RUSSELL_MAX_TEXT_MB to raise it)",
    ),
    "big.pdf": (
        PDF,
        Limits(pdf_bytes=len(PDF) - 1),
        (
            f"PDF has {len(PDF):,} bytes, over the limit of {len(PDF) - 1:,} "
            "(set RUSSELL_MAX_PDF_MB to raise it)"
        ),
    ),
    "long.pdf": (
        PDF,
        Limits(pages=1),
        "PDF has 2 pages, over the limit of 1 (set RUSSELL_MAX_PAGES to raise it)",
    ),
    "long.txt": (
        b"one\ftwo\fthree\n",
        Limits(pages=2),
        "text document has 3 pages, over the limit of 2 (set RUSSELL_MAX_PAGES to raise it)",
    ),
    # A few PDF pages can hold a huge compressed text layer: characters are counted before boxes are read.
    "dense.pdf": (
        PDF,
        Limits(text_chars=20),
        (
            "PDF text layer reaches 26 characters by page 2, over the limit of 20 "
            "(set RUSSELL_MAX_TEXT_MB to raise it)"
        ),
    ),
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
    assert capsys.readouterr().err == (
        f"error: {path}: text document has 1,500 bytes, over the limit of 1,000 "
        "(set RUSSELL_MAX_TEXT_MB to raise it)\n"
    )


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
    assert (
        refused(raw)
        == "raw/2024/list.txt: is a symbolic link to /etc/passwd; put the document itself in raw/<year>/"
    )


def test_file_resolving_outside_raw_is_refused(raw, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "list.txt").write_text("Company\tSymbol\nACME\tACME\n")
    (raw / "2025").symlink_to(outside, target_is_directory=True)  # a linked year folder
    with pytest.raises(InputError) as err:
        ingest_year(raw, 2025)
    assert one_line(err) == f"raw/2025/list.txt: resolves to {outside}/list.txt, outside {raw}"
    with pytest.raises(InputError) as err:  # a stored path climbing out with ..
        read_document(raw / "2024" / ".." / ".." / "elsewhere" / "list.txt", root=raw)
    assert (
        one_line(err) == f"{raw}/2024/../../elsewhere/list.txt: resolves to {outside}/list.txt, outside {raw}"
    )


def test_hidden_file_is_refused_not_ignored(raw):
    (raw / "2024" / "..deletions.txt").write_text(
        "Russell 2000 Index - Deletions\nCompany\tSymbol\nACME\tACME\n"
    )
    assert refused(raw) == (
        "raw/2024/..deletions.txt: hidden file: rename it without the leading dot "
        "to have it read, or remove it"
    )


@pytest.mark.parametrize(
    ("name", "shown", "codes"),
    [
        ("deletions\n2024.txt", "deletions\\n2024.txt", "U+000A"),
        ("adds-\u202etxt.pdf", "adds-\\u202etxt.pdf", "U+202E"),
    ],
)
def test_a_file_name_with_a_control_or_bidi_character_is_refused_in_one_line(raw, name, shown, codes):
    (raw / "2024" / name).write_text("Russell 2000 Index - Deletions\nCompany\tSymbol\nACME\tACME\n")
    message = refused(raw)
    assert message == (f"raw/2024/{shown}: file name holds a control or bidi character ({codes}): rename it")
    assert "\n" not in message and "\u202e" not in message


def test_os_and_editor_files_are_skipped_and_reported(raw):
    (raw / "2024" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / "2024" / "~$list.docx").write_bytes(b"owner")
    tables = ingest_year(raw, 2024)
    assert tables.skipped == (
        f"{raw}/2024/.DS_Store: skipped (macOS folder settings)",
        f"{raw}/2024/~$list.docx: skipped (Office lock file)",
    )
    assert tables.source_documents["path"].to_list() == [f"raw/2024/{SAMPLE}"]


def test_folder_and_fifo_are_refused_without_hanging(raw):
    (raw / "2024" / "old").mkdir()
    assert refused(raw) == "raw/2024/old: is a folder; documents go directly in raw/<year>/"
    (raw / "2024" / "old").rmdir()
    os.mkfifo(raw / "2024" / "pipe.txt")
    assert refused(raw) == "raw/2024/pipe.txt: is not a regular file (a device, pipe or socket)"


def test_sensor_sees_hidden_files_and_links_but_not_junk(raw):
    (raw / "2024" / "..deletions.txt").write_text("x")
    (raw / "2024" / "passwd.txt").symlink_to("/etc/passwd")
    (raw / "2024" / ".DS_Store").write_text("x")
    from russell_pipeline.planning.digests import year_files

    assert [name for name, _ in year_files(raw, 2024)] == ["..deletions.txt", SAMPLE, "passwd.txt"]


@pytest.mark.slow
def test_bad_file_fails_the_documents_asset_and_keeps_the_stored_tables(raw):
    root = raw.parent
    resources = lake_folder(root).resources()
    with dg.instance_for_test() as instance:
        good = materialize([documents], resources, instance, "2024")
        assert good.success
        before = Lake(root).tables.read("source_documents")
        (raw / "2024" / "list.txt").symlink_to("/etc/passwd")
        bad = materialize([documents], resources, instance, "2024")
    assert not bad.success
    assert failure_lines(bad) == [
        (
            "documents: raw/2024/list.txt: is a symbolic link to /etc/passwd; "
            "put the document itself in raw/<year>/"
        )
    ]
    assert_frame_equal(Lake(root).tables.read("source_documents"), before)
    assert before["path"].to_list() == [f"raw/2024/{SAMPLE}"]


def test_a_year_folder_linking_to_itself_is_refused_not_skipped(tmp_path):
    """`raw/2025` a link to itself: before, the year read as empty without a word (and its digest did not
    change, so it was never run again). Now the year is refused in one line naming the link."""
    from russell_pipeline.lib.documents.ingest import read_year
    from russell_pipeline.planning import digests

    raw = tmp_path / "raw"
    raw.mkdir()
    empty = digests.year_inputs(raw, 2025)
    (raw / "2025").symlink_to("2025")
    assert digests.year_inputs(raw, 2025) != empty  # its run happens
    assert read_year(raw, 2025).refusal == (
        "raw/2025: is a symbolic link to 2025, which leads to no folder (to itself, or to nothing): a year's "
        "documents go in a folder raw/<year>/"
    )


# ---------------------------------------------------------------- names are printable text
def _text_list(rows: int, name_at: dict[int, str] | None = None) -> str:
    """A tab-separated deletion list of `rows` rows in the 2020 sample's layout; `name_at` puts a company
    name on some rows (row number -> name)."""
    header = "Reconstitution\n\nRussell Microcap\u00ae Index - Deletions\n\nCompany\tSymbol\tSector\n"
    names = name_at or {}
    body = "".join(
        f"{names.get(k, f'COMPANY {k} INC')}\tQ{chr(65 + k // 676)}{chr(65 + k // 26 % 26)}{chr(65 + k % 26)}"
        "\tHealth Care\n"
        for k in range(rows)
    )
    return header + body


NOT_TEXT = {"Cc": "\x07", "Cf": "\u202e", "Co": "\ue000", "Cn": "\ufdd0"}
TEXT = {"Ll": "\u00e9", "Lu": "\u0416", "Lo": "\u4e2d", "Mn": "\u0301", "Nd": "\u0663", "So": "\u00ae"}
SPACES = {"Zs": "\u00a0", "Zl": "\u2028", "Zp": "\u2029"}  # white space: a text list's words part there


@pytest.mark.parametrize("category", [*NOT_TEXT, *TEXT, *SPACES])
def test_a_list_company_holding_a_character_of_each_category_is_read_or_refused_naming_its_line(
    tmp_path, category
):
    ch = {**NOT_TEXT, **TEXT, **SPACES}[category]
    path = tmp_path / "2020" / "deletions_2020.txt"
    path.parent.mkdir()
    path.write_text(_text_list(5, {3: f"ODD{ch}NAME INC"}))
    if category not in NOT_TEXT:
        read = "ODD NAME INC" if category in SPACES else f"ODD{ch}NAME INC"
        assert read in read_document(path).rows["company"].to_list()
        return
    with pytest.raises(InputError) as err:
        read_document(path)
    assert str(err.value).startswith(f"{path}: page 1 line 9: company 'ODD"), str(err.value)
    assert f"holds U+{ord(ch):04X}" in str(err.value) and str(err.value).endswith("a name is printable text")


def test_a_control_character_in_a_list_name_is_refused_by_parse_naming_its_line(tmp_path):
    """(A NUL refuses a text list as binary data; the other control characters, up to 1% of the text,
    were stored in the name.)"""
    from russell_pipeline_tests.helpers import cli

    path = tmp_path / "2020" / "deletions_2020.txt"
    path.parent.mkdir()
    path.write_text(_text_list(300, {250: "LATE\x1bNAME INC"}))
    done = cli("parse", str(path), text=True)
    assert done.returncode == 1 and not done.stdout
    assert done.stderr == (
        f"error: {path}: page 1 line 256: company 'LATE\\x1bNAME INC' holds U+001B (a control character): "
        "a name is printable text\n"
    )
