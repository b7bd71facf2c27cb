"""Document parsing: seeds, real FTSE Russell PDFs, generated layouts and bad input.

Expected row counts of the real PDFs were verified independently of this parser:
pdfplumber's extract_words, counting words in the Symbol/Ticker column below each
page's header (281, 173, 3005, 3010), and the same (page, company, symbol) multiset
from pdfplumber word positions; the seed counts by grep (tab rows minus headers
for seed 000; lines ending in an ICB industry for seed 001).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import random
import re
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.documents.pdftext import read_text_layer
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS, read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.lakes import real_document

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data_lake" / "raw"
ADDS, DELS = "ru3000-additions-final-20230623.pdf", "ru3000-deletions-final-20230623.pdf"
M2016, M2022 = "ru3000_membershiplist_20160627.pdf", "ru3000_membershiplist_20220624_0.pdf"


def _path(name: str) -> Path:
    """A seed from the committed samples or a real PDF from ../shared/real (skip if absent)."""
    if name.endswith(".pdf"):
        return real_document(name)
    path = next(iter(sorted(RAW.glob(f"*/{name}_*.txt"))), RAW / name)
    assert path.is_file(), f"{path}: no committed sample of that name"
    return path


@functools.cache
def _doc(name: str):
    return read_document(_path(name))


# ------------------------------------------------------------------ whole documents
@pytest.mark.parametrize(
    ("name", "doc_type", "index_name", "stage", "as_of", "classification", "n_rows"),
    [
        ("000", "deletions", "Russell Microcap", "final", None, "RGS", 256),
        ("001", "additions", "Russell Microcap", "preliminary", None, "ICB", 161),
        ("002", "schedule", "Russell US", None, dt.date(2019, 3, 1), None, 0),
        ("003", "schedule", "Russell U.S. Equity", None, None, None, 0),
        ("004", "ground_rules", "Russell Custom Small Cap Completeness 90/10", None, None, None, 0),
        (ADDS, "additions", "Russell 3000", "final", dt.date(2023, 6, 23), "ICB", 281),
        (DELS, "deletions", "Russell 3000", "final", dt.date(2023, 6, 23), "ICB", 173),
        (M2016, "membership_list", "Russell 3000", None, dt.date(2016, 6, 27), None, 3005),
        (M2022, "membership_list", "Russell 3000", None, dt.date(2022, 6, 24), None, 3010),
    ],
)
def test_document_metadata_and_row_count(name, doc_type, index_name, stage, as_of, classification, n_rows):
    doc = _doc(name)
    assert (doc.doc_type, doc.index_name, doc.stage, doc.as_of_date, doc.classification) == (
        doc_type,
        index_name,
        stage,
        as_of,
        classification,
    )
    assert doc.rows.height == n_rows
    assert doc.sha256 == hashlib.sha256(_path(name).read_bytes()).hexdigest()
    assert doc.bytes == _path(name).stat().st_size
    contract = CONSTITUENT_COLUMNS if doc_type == "membership_list" else CHANGE_COLUMNS
    assert doc.rows.schema == pl.Schema({k: v for k, v in contract.items() if k != "recon_year"})
    assert doc.page_stats.height == doc.pages
    if n_rows:
        assert set(doc.rows["source_sha256"]) == {doc.sha256}
    if doc_type in ("additions", "deletions"):
        assert doc.rows["change"].unique().to_list() == [doc_type.removesuffix("s")]
        assert doc.rows["classification"].unique().to_list() == [classification]


def test_contract_schemas_start_with_recon_year():
    assert list(CONSTITUENT_COLUMNS)[:1] == list(CHANGE_COLUMNS)[:1] == ["recon_year"]
    assert CONSTITUENT_COLUMNS["as_of_date"] == pl.Date and CHANGE_COLUMNS["source_line"] == pl.Int64


LISTS = ["000", "001", ADDS, DELS, M2016, M2022]


@pytest.mark.parametrize("name", LISTS)
def test_rows_are_clean_and_traceable(name):
    doc = _doc(name)
    rows = doc.rows
    # Page furniture never becomes a row: names and symbols are upper case, symbols unique.
    assert rows.filter(
        pl.col("company").str.contains("[a-z]") | pl.col("symbol").str.contains("[a-z]")
    ).is_empty()
    assert rows.filter(pl.col("company").str.contains(r"^\s|\s$|\s\s")).is_empty()
    assert not rows["symbol"].is_duplicated().any()
    assert rows.filter(pl.col("company").is_in(["Company", "FTSE Russell", "Reconstitution"])).is_empty()
    # Every data-looking line of every page became exactly one row.
    stats = doc.page_stats
    assert stats["candidate_lines"].to_list() == stats["rows"].to_list()
    assert stats["rows"].sum() == rows.height
    # source_page/source_line point at a line holding the company and the symbol.
    text = {(p, n): t for p, n, t in doc.lines}
    for r in rows.iter_rows(named=True):
        line = " ".join(text[(r["source_page"], r["source_line"])].split())
        assert r["company"] in line and r["symbol"] in line.split(), r


@pytest.mark.parametrize(
    ("name", "company", "symbol", "sector"),
    [
        ("000", "22ND CENTURY GROUP INC", "XXII", "Consumer Staples"),  # first
        ("000", "ZOSANO PHARMA CORP", "ZSAN", "Health Care"),  # last, after a repeated header
        ("000", "VAALCO ENERGY INC", "EGY", "Energy"),
        ("000", "U.S. WELL SERVICES", "USWS", "Energy"),
        ("000", "WIRELESS TELECOM GROUP", "WTT", "Producer Durables"),
        ("000", "ALTISOURCE ASSET MGMT", "AAMC", "Financial Services"),
        ("001", "2U INC", "TWOU", "Consumer Discretionary"),
        ("001", "ZYMEWORKS", "ZYME", "Health Care"),
        ("001", "CS DISCO", "LAW", "Industrials"),  # names ending in ticker-like words
        ("001", "MIND MEDICINE MINDMED", "MNMD", "Health Care"),
        ("001", "STITCH FIX CLASS A", "SFIX", "Consumer Discretionary"),
        ("001", "WAG GROUP CO", "PET", "Consumer Discretionary"),
        ("001", "ADV SOLUTIONS INC (A)", "ADV", "Industrials"),
        ("001", "P3 HEALTH PARTNERS (A)", "PIII", "Health Care"),
        ("001", "BERKE & HERBERT BANK & T", "BHRB", "Financials"),
        ("001", "I-80 GOLD CORP (NYSE AME", "IAUX", "Basic Materials"),  # cut mid-word
        ("001", "MOUNTAIN CREST ACQUISITION III", "ETAO", "Financials"),  # double space
        ("001", "ENVIROTECH VEHICLES", "EVTV", "Consumer Discretionary"),  # leading space
        ("001", "8X8 INC NEW", "EGHT", "Telecommunications"),
        ("001", "THERAPEUTICSMD INC", "TXMD", "Health Care"),  # after the repeated header
        (ADDS, "374WATER INC", "SCWO", "Industrials"),
        (ADDS, "ZYMEWORKS", "ZYME", "Health Care"),
        (ADDS, "BEL FUSE INC", "BELFB", "Telecommunications"),
        (ADDS, "C & F FINANCIAL CORP", "CFFI", "Financials"),
        (ADDS, "AST SPACEMOBILE INC (A)", "ASTS", "Telecommunications"),
        (ADDS, "CALEDONIA MINING CORP", "CMCL", "Basic Materials"),
        (DELS, "1STDIBS.COM", "DIBS", "Technology"),
        (DELS, "XOS INC (A)", "XOS", "Industrials"),
        (DELS, "A K A BRANDS HOLDING", "AKA", "Consumer Discretionary"),
        (M2016, "1-800 FLOWERS COM", "FLWS", None),
        (M2016, "YELP INC", "YELP", None),
        (M2016, "BERKSHIRE HATHAWAY INC", "BRK.B", None),
        (M2016, "HEICO CORP CL A", "HEI.A", None),
        (M2016, "AGILENT TECHNOLOGIES INC", "A", None),
        (M2016, "AMERICAN HOMES 4 RENT", "AMH", None),
        (M2022, "10X GENOMICS", "TXG", None),
        (M2022, "Y-MABS THERAPEUTICS", "YMAB", None),
        (M2022, "HEICO CL A", "HEI.A", None),
        (M2022, "HANNON ARMSTRONG SUSTAINABLE INFRASTRUCT", "HASI", None),
        (M2022, "ACCEL ENTERTAINMENT (A)", "ACEL", None),
    ],
)
def test_specific_rows(name, company, symbol, sector):
    rows = _doc(name).rows.filter(pl.col("symbol") == symbol)
    assert rows["company"].to_list() == [company]
    if sector is not None:
        assert rows["sector"].to_list() == [sector]


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("000", "XXII", "ZSAN"),
        ("001", "TWOU", "ZYME"),
        (ADDS, "SCWO", "ZYME"),
        (DELS, "DIBS", "XOS"),
        (M2016, "FLWS", "YELP"),
        (M2022, "TXG", "ZYXI"),
    ],
)
def test_first_and_last_rows(name, first, last):
    symbols = _doc(name).rows["symbol"]
    assert (symbols[0], symbols[-1]) == (first, last)


def test_side_by_side_rows_share_the_line_left_first():
    rows = _doc(M2022).rows
    left = rows.filter(pl.col("symbol") == "TXG").row(0, named=True)
    right = rows.filter(pl.col("symbol") == "ACET").row(0, named=True)
    assert (
        (left["source_page"], left["source_line"]) == (right["source_page"], right["source_line"]) == (1, 5)
    )
    symbols = rows["symbol"].to_list()
    assert symbols.index("TXG") < symbols.index("ACET")
    # Reading order: the left table of a page ends before the right one starts.
    assert symbols[symbols.index("ACET") - 1] == "ADUS"


def test_text_lines_number_like_the_file():
    doc = _doc("000")
    assert doc.rows.row(0, named=True)["source_line"] == 8
    assert (1, 8, "22ND CENTURY GROUP INC\tXXII\tConsumer Staples") in doc.lines
    assert _doc("001").rows["source_line"][:3].to_list() == [3, 5, 7]


@pytest.mark.parametrize("name", [ADDS, DELS])
def test_words_match_pdfplumber(name):
    import pdfplumber  # a test dependency (requirements-test.lock)

    path = _path(name)
    layer = read_text_layer(path, path.read_bytes())
    with pdfplumber.open(path) as pdf:
        for page, ours in zip(pdf.pages, layer.pages, strict=True):
            assert Counter(w["text"] for w in page.extract_words()) == Counter(
                w.text for line in ours.lines for w in line.words
            )


def _pdfplumber_membership_rows(path: Path) -> list[tuple[int, str, str]]:
    """(page, company, symbol) of a two-tables-per-page membership list from pdfplumber's words alone:
    the "Company" and "Ticker" header words give each table's column starts, a line is the words
    sharing a top below the header and above the page footer; left table first, then the right."""
    import pdfplumber  # a test dependency (requirements-test.lock)

    out = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            words = page.extract_words()
            tickers = sorted(w["x0"] for w in words if w["text"] == "Ticker")
            if not tickers:
                continue  # the closing page of legal text
            top = min(w["top"] for w in words if w["text"] == "Ticker")
            heads = [w for w in words if w["text"] in ("Company", "Ticker") and abs(w["top"] - top) < 5]
            companies = sorted(w["x0"] for w in heads if w["text"] == "Company")
            assert len(companies) == len(tickers) in (1, 2)  # the last page may hold only a left table
            header = max(w["bottom"] for w in heads)
            body = [w for w in words if header < w["top"] < 745]  # the footer line sits at 752
            for side, (c0, t0) in enumerate(zip(companies, tickers)):
                c1 = companies[side + 1] if side + 1 < len(companies) else page.width
                lines: dict[float, list] = {}
                for w in body:
                    if c0 - 1 <= w["x0"] < c1 - 1:
                        lines.setdefault(round(w["top"], 1), []).append(w)
                for top in sorted(lines):
                    ws = sorted(lines[top], key=lambda w: w["x0"])
                    out.append(
                        (
                            number,
                            " ".join(w["text"] for w in ws if w["x0"] < t0 - 1),
                            " ".join(w["text"] for w in ws if w["x0"] >= t0 - 1),
                        )
                    )
    return out


@pytest.mark.parametrize(("name", "n_rows", "n_pages"), [(M2016, 3005, 32), (M2022, 3010, 32)])
def test_membership_rows_match_pdfplumber(name, n_rows, n_pages):
    # Every row of every page (about 5 s per list for pdfplumber): symbol and company per row, in order.
    theirs = _pdfplumber_membership_rows(_path(name))
    ours = _doc(name).rows.select("source_page", "company", "symbol").rows()
    assert len(theirs) == n_rows and {page for page, _, _ in theirs} == set(range(1, n_pages + 1))
    assert ours == theirs


# ------------------------------------------------------------------ generated layouts
def _pdf(pages: list[list[tuple[float, float, str, float]]], creation: dt.datetime | None = None) -> bytes:
    """A text PDF: (x, y from the top, text, font size) per item, one list per page."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure  # not pyplot: no global backend switch for other tests

    buf = io.BytesIO()
    # Core Helvetica: plain text operators pdfium reads back exactly; "medium" is its AFM weight.
    core_font = {
        "pdf.use14corefonts": True,
        "font.family": "sans-serif",
        "font.sans-serif": ["Helvetica"],
        "font.weight": "medium",
    }
    with (
        mpl.rc_context(core_font),
        PdfPages(buf, metadata={"Title": "Reconstitution", "CreationDate": creation}) as pdf,
    ):
        for items in pages:
            fig = Figure(figsize=(8.5, 11))
            for x, y, text, size in items:
                fig.text(x / 612, 1 - y / 792, text, fontsize=size, va="baseline")
            pdf.savefig(fig)
    return buf.getvalue()


def _table(y: float, rows: list[tuple[str, ...]], xs=(38, 242, 363), pitch=12.0, size=7.0):
    return [(x, y + i * pitch, cell, size) for i, row in enumerate(rows) for x, cell in zip(xs, row) if cell]


RGS_PAGE_1 = [
    (38, 60, "Russell US Indexes", 9),
    (38, 100, "Russell 2000® Index – Deletions", 12),
    (38, 150, "Company", 8),
    (242, 150, "Symbol", 8),
    (363, 150, "Sector", 8),
    *_table(
        165,
        [
            ("BERKSHIRE HATHAWAY CL B", "BRK.B", "Financial Services"),
            ("HEICO CORP CL A", "HEI.A", "Producer Durables"),
            ("BEL FUSE INC CL B", "BELFB", "Technology"),
            ("A VERY LONG COMPANY NAME THAT", "WRAP", "Materials & Processing"),
        ],
    ),
    (38, 165 + 3 * 12 + 7, "WRAPS ONTO TWO LINES INC", 7),  # wrapped inside its cell
    *_table(165 + 5 * 12, [("AT&T INC", "T", "Utilities"), ("3D SYSTEMS CORP", "DDD", "Technology")]),
    (38, 770, "FTSE Russell | Updated index Deletes", 7),
    (571, 770, "1", 7),
]
RGS_PAGE_2 = [
    *_table(60, [("ZYNGA INC", "ZNGA", "Technology")]),  # no header: the table carries over
    (38, 770, "FTSE Russell | Updated index Deletes", 7),
    (571, 770, "2", 7),
]


def test_generated_rgs_list_with_dash_title_wrap_and_carried_table(tmp_path):
    path = tmp_path / "r2000-deletions-20240607.pdf"
    path.write_bytes(_pdf([RGS_PAGE_1, RGS_PAGE_2]))
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.stage, doc.classification) == (
        "deletions",
        "Russell 2000",
        "update",
        "RGS",
    )
    assert doc.as_of_date == dt.date(2024, 6, 7)  # from the file name
    assert doc.rows.select("company", "symbol", "sector", "source_page").rows() == [
        ("BERKSHIRE HATHAWAY CL B", "BRK.B", "Financial Services", 1),
        ("HEICO CORP CL A", "HEI.A", "Producer Durables", 1),
        ("BEL FUSE INC CL B", "BELFB", "Technology", 1),
        ("A VERY LONG COMPANY NAME THAT WRAPS ONTO TWO LINES INC", "WRAP", "Materials & Processing", 1),
        ("AT&T INC", "T", "Utilities", 1),
        ("3D SYSTEMS CORP", "DDD", "Technology", 1),
        ("ZYNGA INC", "ZNGA", "Technology", 2),
    ]
    assert doc.rows["change"].unique().to_list() == ["deletion"]
    assert doc.page_stats.rows() == [(1, 6, 6), (2, 1, 1)]


def test_parse_starts_reading_a_pdf_before_it_loads_polars_and_prints_the_same_rows(tmp_path):
    """`parse` forks the PDF's bounded reader before it imports polars and numpy, so pdfium reads the
    pages while the parser loads (half a small list's time); the rows are those `read_document` gives.
    Before, the CLI imported every verb's modules, polars with them, before it read a byte."""
    path = tmp_path / "r2000-deletions-20240607.pdf"
    path.write_bytes(_pdf([RGS_PAGE_1, RGS_PAGE_2]))
    code = (
        "import sys\n"
        "from russell_pipeline.lib.documents import pdftext\n"
        "real = pdftext.start_pdf\n"
        "def spy(*args):\n"
        "    print(sorted(m for m in ('numpy', 'polars') if m in sys.modules), file=sys.stderr)\n"
        "    return real(*args)\n"
        "pdftext.start_pdf = spy\n"
        "from russell_pipeline.cli import main\n"
        f"sys.exit(main(['parse', {str(path)!r}, '--format', 'json']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "[]"
    printed, read = (
        pl.read_json(io.StringIO(t)) for t in (done.stdout, read_document(path).rows.write_json())
    )
    assert printed.drop("recon_year").rows() == read.rows() and read.height == 7


def test_generated_side_by_side_membership_list(tmp_path):
    xs = (38, 234, 292, 488)
    page = [
        (38, 80, "Membership list", 14),
        (38, 130, "Russell 1000® Index", 12),
        *[(x, 157, h, 8) for x, h in zip(xs, ["Company", "Ticker"] * 2)],
        *_table(
            171,
            [
                ("AAON INC", "AAON", "ALLY FINANCIAL", "ALLY"),
                ("ABBVIE INC", "ABBV", "AMC NETWORKS", "AMCX"),
                ("ACCENTURE PLC", "ACN", "", ""),
                ("ADOBE INC", "ADBE", "", ""),
            ],
            xs=xs,
        ),
        (292, 178, "HOLDINGS GROUP", 7),  # the right table's first name wraps
        (36, 760, "May 10, 2024", 7),
        (571, 760, "1", 7),
    ]
    path = tmp_path / "membership.pdf"
    path.write_bytes(_pdf([page], creation=dt.datetime(2021, 5, 3, 12, 0)))
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.as_of_date, doc.stage) == (
        "membership_list",
        "Russell 1000",
        dt.date(2024, 5, 10),
        None,
    )
    assert doc.rows["symbol"].to_list() == ["AAON", "ABBV", "ACN", "ADBE", "ALLY", "AMCX"]
    assert doc.rows["company"][4] == "ALLY FINANCIAL HOLDINGS GROUP" and doc.rows["company"][0] == "AAON INC"
    lines = doc.rows["source_line"].to_list()
    assert lines[0] == lines[4] and lines[1] == lines[5]
    assert doc.page_stats.rows() == [(1, 6, 6)]


def test_generated_pdf_falls_back_to_creation_date(tmp_path):
    path = tmp_path / "deletions.pdf"
    path.write_bytes(_pdf([RGS_PAGE_1], creation=dt.datetime(2021, 5, 3, 12, 0)))
    assert read_document(path).as_of_date == dt.date(2021, 5, 3)


def test_dropped_line_shows_in_page_stats(tmp_path):
    page = [
        (38, 100, "Russell 3000® Index - Additions", 12),
        (38, 150, "Company", 8),
        (242, 150, "Symbol", 8),
        (363, 150, "Industry", 8),
        *_table(165, [("GOOD CORP", "GOOD", "Technology"), ("ODD SYMBOL INC", "ODD SYM", "Energy")]),
    ]
    path = tmp_path / "adds.pdf"
    path.write_bytes(_pdf([page]))
    doc = read_document(path)
    assert doc.rows["symbol"].to_list() == ["GOOD"]
    assert doc.page_stats.rows() == [(1, 2, 1)]  # the check "candidates == rows" fails loudly


def test_space_separated_text_with_pages_and_cut_sector(tmp_path):
    text = (
        "Russell 2000® Index – Additions\n\nCompany Symbol Industry\nACME MINING CO AMC Basic Materi \n\n"
        "ALPHA & OMEGA SEMI AOSL Technology\nDATA IO CORP DAIO Technology\n"
        "FTSE Russell | Final index Adds 1\n\f"
        "Russell 2000® Index – Additions\nCompany Symbol Industry\nZETA GLOBAL (A) ZETA Technology\n"
        "This Technology\n"
    )
    path = tmp_path / "adds.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert (doc.doc_type, doc.index_name, doc.stage, doc.classification, doc.pages) == (
        "additions",
        "Russell 2000",
        "final",
        "ICB",
        2,
    )
    assert doc.rows.select("company", "symbol", "sector", "source_page", "source_line").rows() == [
        ("ACME MINING CO", "AMC", "Basic Materi", 1, 4),  # kept as published
        ("ALPHA & OMEGA SEMI", "AOSL", "Technology", 1, 6),
        ("DATA IO CORP", "DAIO", "Technology", 1, 7),
        ("ZETA GLOBAL (A)", "ZETA", "Technology", 2, 3),
    ]


@pytest.mark.parametrize(
    "variant",
    [
        lambda b: b.replace(b"\t", b" "),  # no positions: the token parser takes over
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.decode("utf-8").encode("cp1252"),
    ],
    ids=["spaces", "crlf", "cp1252"],
)
def test_same_rows_from_other_text_encodings(tmp_path, variant):
    path = tmp_path / "variant.txt"
    path.write_bytes(variant(_path("000").read_bytes()))
    doc = read_document(path)
    cols = ["company", "symbol", "sector", "source_page", "source_line"]
    assert (doc.doc_type, doc.index_name, doc.classification) == ("deletions", "Russell Microcap", "RGS")
    assert doc.rows.select(cols).equals(_doc("000").rows.select(cols))


# ------------------------------------------------------------------ bad input
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user: bytes = b"secret") -> bytes:
    """A one-page PDF with the standard RC4 security handler (rev 2) and a user password."""
    file_id = hashlib.md5(b"russell").digest()
    owner = _rc4(hashlib.md5((b"owner" + _PAD)[:32]).digest()[:5], (user + _PAD)[:32])
    key = hashlib.md5((user + _PAD)[:32] + owner + struct.pack("<i", -4) + file_id).digest()[:5]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>"
        % (owner.hex().encode(), _rc4(key, _PAD).hex().encode()),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<%s><%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        file_id.hex().encode(),
        file_id.hex().encode(),
        xref,
    )
    return bytes(out)


def _image_only_pdf() -> bytes:
    from matplotlib import figure

    fig = figure.Figure(figsize=(8.5, 11))
    fig.figimage([[0.1, 0.9], [0.9, 0.1]], resize=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    return buf.getvalue()


def _blank_page_pdf() -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(612, 792)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


BAD_INPUTS = {
    "empty.pdf": (lambda: b"", "empty file"),
    "empty.txt": (lambda: b"", "empty file"),
    "error-page.pdf": (
        lambda: b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>",
        "HTML",
    ),
    "picture.pdf": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), "not a PDF"),
    "truncated.pdf": (lambda: _pdf([RGS_PAGE_1])[:900], "truncated"),
    "damaged.pdf": (lambda: b"%PDF-1.4\n garbage, no objects at all\n%%EOF\n", "unreadable PDF"),
    "encrypted.pdf": (_encrypted_pdf, "encrypted PDF (needs a password)"),  # pdfium asked for a password
    "scan.pdf": (_image_only_pdf, "no text layer"),
    "blank.pdf": (_blank_page_pdf, "no text layer"),
    "garbage.txt": (lambda: random.Random(7).randbytes(4096), "binary data"),
    "garbage-no-nul.txt": (
        lambda: bytes(b for b in random.Random(7).randbytes(8192) if b)[:4096],
        "binary data",
    ),
    "no-header.txt": (
        lambda: "Russell 2000® Index - Additions\nName Code Sector\nACME CORP ACME Energy\n".encode(),
        "without a recognizable Company/Symbol table header",
    ),
    "note.txt": (
        lambda: b"Some notes about the weather.\nNothing to see here.\n",
        "not a recognized FTSE Russell document",
    ),
    "no-rows.txt": (
        lambda: b"Russell 2000 Index - Deletions\nCompany Symbol Sector\n\nthe end\n",
        "no rows could be read",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line(tmp_path, name):
    make, problem = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert problem in message
    assert not re.search(r"Traceback|pypdfium2|PdfiumError|Failed to load", message)
    assert info.value.__cause__ is None


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read file"):
        read_document(tmp_path / "nope.pdf")
