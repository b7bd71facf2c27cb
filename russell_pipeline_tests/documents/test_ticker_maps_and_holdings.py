"""The two document kinds of issue 61, read like every other: the SEC's ticker maps (both of its layouts,
dated by the file name) and iShares ETF holdings files (dated by their `Fund Holdings as of` line), on the
real samples of ../shared/real and on every bad input a user may hand them: one line naming the file and
the entry or line, and nothing read (`read_document`, `read_year`, `parse`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.cli import main
from russell_pipeline.lib.documents.holdings import index_of_fund, looks_like_holdings, read_holdings
from russell_pipeline.lib.documents.ingest import read_year
from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.documents.sec_tickers import looks_like_sec_map
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.documents.test_hostile_inputs import one_line
from russell_pipeline_tests.helpers import run_main
from russell_pipeline_tests.lakes import real_document

SEC_FIELDS = ["cik", "name", "ticker", "exchange"]
SEC_NAME = "company_tickers_exchange_2023-04-28.json"
REAL_SEC = {"sec/company_tickers_exchange_2022-06-24.json": 12_178, f"sec/{SEC_NAME}": 9_615}
REAL_HOLDINGS = "holdings/IWM_holdings_2026-05-05.csv"
HOLDINGS_HEADER = (
    "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,Location,"
    "Exchange,Currency,FX Rate,Market Currency,Accrual Date"
)
IWV = "iShares Russell 3000 ETF"


def sec_map(entries: list[list], fields: list[str] = SEC_FIELDS) -> bytes:
    """An SEC company_tickers_exchange.json of `entries` ([cik, name, ticker, exchange])."""
    return json.dumps({"fields": fields, "data": entries}).encode()


def legacy_map(entries: list[list]) -> bytes:
    """The same entries in the SEC's company_tickers.json layout (no exchange)."""
    return json.dumps(
        {str(n): {"cik_str": c, "ticker": t, "title": name} for n, (c, name, t, *_) in enumerate(entries)}
    ).encode()


def holdings_row(ticker: str, name: str, quantity: str = "100.00", price: str = "10.00", **cells) -> str:
    """One row of an iShares holdings table, every cell quoted as the fund writes it (`cells`: sector,
    asset_class, exchange)."""
    values = [
        ticker,
        name,
        cells.get("sector", "Industrials"),
        cells.get("asset_class", "Equity"),
        "1,000.00",
        "0.50",
        "1,000.00",
        quantity,
        price,
        "United States",
        cells.get("exchange", "NYSE"),
        "USD",
        "1.00",
        "USD",
        "-",
    ]
    return ",".join(f'"{v}"' for v in values)


def holdings_file(fund: str, day: str, rows: list[str], header: str = HOLDINGS_HEADER) -> str:
    """An iShares holdings download: the fund's name, its `Fund Holdings as of` line (`day` as the fund
    writes it: `Mar 01, 2023`), a few facts, the table of `rows` (lines 11 on), a blank line, the notes."""
    return (
        f'\ufeff{fund}\nFund Holdings as of,"{day}"\nInception Date,"May 22, 2000"\n'
        'Shares Outstanding,"1,000.00"\nStock,"-"\nBond,"-"\nCash,"-"\nOther,"-"\n\xa0\n'
        + "\n".join([header, *rows])
        + '\n\xa0\n"Holdings subject to change."\n'
    )


ROWS = [
    holdings_row("ALPH", "ALPHA INC"),
    holdings_row("BETA", "BETA CORP"),
    holdings_row("GAMA", "GAMMA CO"),
]


def refused(path: Path, data: bytes) -> str:
    """The one line `read_document` refuses `data` with, saved as `path`."""
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_document(path)
    message = one_line(err)
    assert message.startswith(f"{path}: "), message
    return message


# ---------------------------------------------------------------- SEC ticker maps
@pytest.mark.parametrize("name", sorted(REAL_SEC))
def test_the_real_sec_maps_read_every_entry_dated_by_their_file_name(name):
    path = real_document(name)
    doc = read_document(path)
    assert (doc.doc_type, doc.as_of_date.isoformat(), doc.date_source) == (
        "sec_tickers",
        path.stem[-10:],
        "file_name",
    )
    rows = doc.rows
    assert rows.height == REAL_SEC[name] and rows["source_line"].to_list() == list(range(1, rows.height + 1))
    assert rows["ticker"].is_unique().all() and rows["cik"].min() > 0
    assert looks_like_sec_map(path.read_text()[:4096]) and not looks_like_holdings(path.read_text()[:4096])
    # The SEC writes a class with a dash: the lists' form in `ticker`, the file's in `listed_ticker`.
    brk = rows.filter(pl.col("cik") == 1067983).sort("ticker")
    assert brk.select("ticker", "listed_ticker").rows() == [("BRK.A", "BRK-A"), ("BRK.B", "BRK-B")]
    assert rows.filter(pl.col("listed_ticker").str.contains("-"))["ticker"].str.contains("-").sum() == 0
    # The exchange as the map gives it, null where it gives none.
    assert rows["exchange"].null_count() > 0 and {"NYSE", "Nasdaq"} <= set(rows["exchange"].drop_nulls())


def test_both_sec_layouts_read_the_same_rows(tmp_path):
    """company_tickers.json, built from the real exchange map, reads the same companies and tickers (no
    exchange: that layout has none)."""
    real = json.loads(real_document(f"sec/{SEC_NAME}").read_bytes())
    exchange, legacy = tmp_path / SEC_NAME, tmp_path / "company_tickers_2023-04-28.json"
    exchange.write_bytes(sec_map(real["data"], real["fields"]))
    legacy.write_bytes(legacy_map(real["data"]))
    a, b = read_document(exchange), read_document(legacy)
    assert b.doc_type == "sec_tickers" and b.as_of_date == a.as_of_date
    same = ["cik", "company", "ticker", "listed_ticker", "source_line", "as_of_date"]
    assert a.rows.height == b.rows.height == 9_615
    assert a.rows.select(same).equals(b.rows.select(same))
    assert b.rows["exchange"].null_count() == b.rows.height


def test_an_sec_map_cut_short_anywhere_is_refused(tmp_path):
    """Every prefix of the real map is refused with one line (a download cut short reads nothing)."""
    data = real_document(f"sec/{SEC_NAME}").read_bytes()
    comma = data.index(b"], [", len(data) // 2) + 2  # between two entries
    cuts = [1, 2, 9, 10, 11, 40, 41, 1_000, comma, comma + 1, len(data) // 2, len(data) - 3, len(data) - 1]
    for cut in cuts:
        message = refused(tmp_path / SEC_NAME, data[:cut])
        assert "cut short" in message or "not" in message, (cut, message)


SEC_BAD = {
    # what the file holds, and what its one line says after the path
    "not JSON": (b"CIK,Name,Ticker\n320193,Apple Inc.,AAPL\n", "not a recognized"),
    "not valid JSON": (
        b'{"fields": ["cik", "name", "ticker", "exchange"], "data": [[1, "A',
        "not valid JSON",
    ),
    "a list": (b'[{"fields": ["cik"]}]', "not a recognized"),
    "wrong fields": (sec_map([[1, "A Inc", "AA", "NYSE"]], ["cik", "name", "symbol", "exchange"]), "fields"),
    "data not a list": (
        b'{"fields": ["cik", "name", "ticker", "exchange"], "data": 5}',
        '"data" is not a list',
    ),
    "an entry with 3 values": (
        sec_map([[1, "A Inc", "AA", "NYSE"], [2, "B Inc", "BB"]]),
        "entry 2: 3 values",
    ),
    "CIK 0": (sec_map([[0, "A Inc", "AA", "NYSE"]]), "entry 1: CIK 0 is not a positive whole number"),
    "CIK -1": (sec_map([[-1, "A Inc", "AA", "NYSE"]]), "entry 1: CIK -1 is not"),
    "CIK abc": (sec_map([["abc", "A Inc", "AA", "NYSE"]]), "entry 1: CIK 'abc' is not"),
    "CIK 1.5": (sec_map([[1.5, "A Inc", "AA", "NYSE"]]), "entry 1: CIK 1.5 is not"),
    "CIK true": (sec_map([[True, "A Inc", "AA", "NYSE"]]), "entry 1: CIK True is not"),
    "CIK null": (sec_map([[None, "A Inc", "AA", "NYSE"]]), "entry 1: CIK None is not"),
    "a ticker with a space": (
        sec_map([[1, "A Inc", "AA B", "NYSE"]]),
        "entry 1: ticker 'AA B' is not a ticker",
    ),
    "a Cyrillic ticker": (sec_map([[1, "A Inc", "\u0410\u0412", "NYSE"]]), "entry 1: ticker"),
    "a ticker with U+200B": (sec_map([[1, "A Inc", "AA\u200b", "NYSE"]]), "entry 1: ticker"),
    "a ticker with a slash": (sec_map([[1, "A Inc", "BRK/B", "NYSE"]]), "entry 1: ticker"),
    "an empty ticker": (sec_map([[1, "A Inc", "", "NYSE"]]), "entry 1: ticker"),
    "a name with a newline": (sec_map([[1, "A\nInc", "AA", "NYSE"]]), "entry 1: company name"),
    "a name with U+202E": (sec_map([[1, "A \u202eInc", "AA", "NYSE"]]), "entry 1: company name"),
    "an empty name": (sec_map([[1, " ", "AA", "NYSE"]]), "entry 1: company name"),
    "an exchange that is a number": (sec_map([[1, "A Inc", "AA", 5]]), "entry 1: exchange 5"),
    "a ticker twice": (
        sec_map([[1, "A Inc", "AA", "NYSE"], [2, "B Inc", "BB", "NYSE"], [3, "C Inc", "AA", "NYSE"]]),
        "ticker 'AA' in entries 1, 3",
    ),
    "a class twice, in two forms": (
        sec_map([[1, "A Inc", "BRK-B", "NYSE"], [1, "A Inc", "BRK.B", "NYSE"]]),
        "ticker 'BRK.B' in entries 1, 2",
    ),
    "empty data": (sec_map([]), "SEC ticker map with no company in it"),
    "a legacy entry without its title": (
        json.dumps({"0": {"cik_str": 1, "ticker": "AA"}}).encode(),
        "entry 1: no title",
    ),
}


@pytest.mark.parametrize("case", sorted(SEC_BAD))
def test_a_bad_sec_map_is_one_line_naming_the_file_and_the_entry(tmp_path, case):
    data, said = SEC_BAD[case]
    assert said in refused(tmp_path / SEC_NAME, data)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        pytest.param(sec_map([[2**63, "A Inc", "AA", "NYSE"]]), "entry 1: CIK", id="CIK past Int64"),
        pytest.param(
            sec_map([["\u0661\u0662\u0663", "A Inc", "AA", "NYSE"]]),
            "entry 1: CIK",
            id="CIK in Arabic-Indic digits",
        ),
        pytest.param(sec_map([[1, "A Inc", "\u00df", "NYSE"]]), "entry 1: ticker", id="ticker sharp s"),
        pytest.param(sec_map([[1, "A Inc", "\ufb00", "NYSE"]]), "entry 1: ticker", id="ticker ligature ff"),
        pytest.param(
            b'{"fields": ["cik", "name", "ticker", "exchange"], "data": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "",
            id="nested 100,000 deep",
        ),
    ],
)
def test_a_hostile_sec_map_is_one_line_too(tmp_path, data, said):
    assert said in refused(tmp_path / SEC_NAME, data)


def year_folder(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    """raw/ holding `files` ({"<year>/<name>": content})."""
    raw = tmp_path / "raw"
    for name, content in files.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        (raw / name).write_bytes(data)
    return raw


def refusal(raw: Path, year: int) -> str:
    """The one line `read_year` refuses the year with (nothing of it may be written)."""
    found = read_year(raw, year).refusal
    assert found is not None and "\n" not in found
    return found


def test_a_map_needs_its_date_and_its_own_year_folder(tmp_path):
    good = sec_map([[1, "A Inc", "AA", "NYSE"]])
    raw = year_folder(tmp_path, {"2023/company_tickers_exchange.json": good})
    assert refusal(raw, 2023).startswith(
        "raw/2023/company_tickers_exchange.json: an SEC ticker map needs its date (the SEC's file carries "
        "none: the day it was saved) and none is in its text, file name or PDF metadata"
    )
    raw = year_folder(tmp_path / "moved", {f"2022/{SEC_NAME}": good})
    assert refusal(raw, 2022) == (
        f"raw/2022/{SEC_NAME}: dated 2023-04-28 by its file name (file name 2023-04-28): it belongs under "
        "raw/2023/, not raw/2022/; move it there"
    )
    # Where it belongs, it is read: its rows dated by its name, in the year's sec_tickers.
    raw = year_folder(tmp_path / "right", {f"2023/{SEC_NAME}": good})
    tables = read_year(raw, 2023)
    assert tables.refusal is None
    assert tables.sec_tickers.select("recon_year", "as_of_date", "cik", "ticker").rows() == [
        (2023, date(2023, 4, 28), 1, "AA")
    ]
    # Two maps of one day that differ are conflicting versions.
    raw = year_folder(
        tmp_path / "twice",
        {f"2023/{SEC_NAME}": good, "2023/company_tickers_2023-04-28.json": legacy_map([[2, "B Inc", "BB"]])},
    )
    assert "conflicting versions" in refusal(raw, 2023)


def test_parse_prints_a_map_and_refuses_a_bad_one_in_one_line(tmp_path, capsys):
    raw = year_folder(
        tmp_path,
        {
            f"2023/{SEC_NAME}": sec_map([[1067983, "Berkshire Hathaway Inc", "BRK-B", "NYSE"]]),
            "2023/company_tickers_exchange_2023-05-01.json": sec_map([[1, "A Inc", "AA", "NYSE"], [2, "B"]]),
            "2023/company_tickers_exchange.json": sec_map([[1, "A Inc", "AA", "NYSE"]]),
        },
    )
    good = run_main("parse", str(raw / "2023" / SEC_NAME))
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[1].startswith("2023,1067983,Berkshire Hathaway Inc,BRK.B,BRK-B,NYSE,")
    assert good.stderr == f"{raw}/2023/{SEC_NAME}: sec_tickers, -, -, 1 rows, dated 2023-04-28 (file_name)\n"
    bad = raw / "2023" / "company_tickers_exchange_2023-05-01.json"
    assert main(["parse", str(bad)]) == 1
    assert capsys.readouterr() == ("", f"error: {bad}: entry 2: 2 values, the fields name 4\n")
    undated = raw / "2023" / "company_tickers_exchange.json"
    assert main(["parse", str(undated)]) == 1
    out, err = capsys.readouterr()
    assert (out, err.count("\n")) == ("", 1) and err.startswith(
        f"error: {undated}: an SEC ticker map needs its date"
    )


# ---------------------------------------------------------------- ETF holdings files
def test_the_real_iwm_holdings_read_every_row():
    doc = read_document(real_document(REAL_HOLDINGS))
    assert (doc.doc_type, doc.index_name, str(doc.as_of_date), doc.date_source) == (
        "holdings",
        "Russell 2000",
        "2026-05-05",
        "text",
    )
    rows = doc.rows
    assert rows.height == 1_929 and rows["listed"].sum() == 1_913
    assert set(rows["fund"]) == {"iShares Russell 2000 ETF"} and set(rows["index_name"]) == {"Russell 2000"}
    assert rows["source_line"].to_list() == list(range(11, 11 + 1_929))
    listed = dict(rows.select("ticker", "listed").drop_nulls("ticker").iter_rows())
    # A class without a separator is kept so (lib/securities/ reads it); cash, futures, an escrow's code,
    # a vesting right (`-`) and a holding priced at zero are no listed share.
    assert listed["MOGA"] and listed["BE"]
    assert not any(listed[t] for t in ("CAD", "RTYM6", "P5N994", "PDLI"))
    dashes = rows.filter(pl.col("ticker").is_null())
    assert dashes.height and not dashes["listed"].any()
    assert rows.filter("listed")["asset_class"].unique().to_list() == ["Equity"]


def table_end(data: bytes) -> tuple[int, int]:
    """Where the table of a holdings file starts (its header line) and ends (its blank line: the real
    file's is a no-break space)."""
    start = data.index(b"\nTicker,") + 1
    return start, data.index(b"\n\xc2\xa0\n", start) + 1


def cuts_within(data: bytes, start: int, end: int) -> list[int]:
    """Every place to cut `data` between `start` and `end`: after each line, one byte short of it, and in
    the middle of the next line."""
    ends = [i + 1 for i in range(start, end) if data[i] == 10]
    return sorted({c for e in ends for c in (e, e - 1, e + (data.index(b"\n", e) - e) // 2)} - {end})


def shortened(data: bytes, rows: int) -> bytes:
    """The real file with only the first `rows` rows of its table (its head, blank line and notes kept)."""
    start, end = table_end(data)
    lines = data[start:end].split(b"\n")
    return data[:start] + b"\n".join(lines[: rows + 1]) + b"\n" + data[end:]


def test_a_holdings_file_cut_short_anywhere_in_its_table_is_refused():
    """The family drawn from the real file: cut after every line of its table, one byte short of each and
    in the middle of each (on the real file shortened to 150 rows, and on the whole file near the end of
    its table), none reads: no cut reads fewer rows than the file holds."""
    real = real_document(REAL_HOLDINGS).read_bytes()
    short = shortened(real, 150)
    assert read_holdings("IWM.csv", short, "sha")[0].height == 150
    start, end = table_end(short)
    family = [(short, c) for c in cuts_within(short, start, end)]
    start, end = table_end(real)
    family += [(real, c) for c in cuts_within(real, real.rindex(b"\n", 0, end - 2_000), end)]
    assert len(family) > 470
    for data, cut in family:
        with pytest.raises(InputError) as err:
            rows, _ = read_holdings("IWM.csv", data[:cut], "sha")
            pytest.fail(f"cut at byte {cut}: read {rows.height} rows")
        message = one_line(err)
        assert message.startswith("IWM.csv: "), message
        assert cut < start + 20 or "cut short" in message or "UTF-8" in message, message
    # Cut after the table's blank line, it reads every row (the notes are text).
    assert read_holdings("IWM.csv", real[: end + 3], "sha")[0].height == 1_929


def test_a_holdings_file_cut_short_is_refused_through_read_document(tmp_path):
    data = real_document(REAL_HOLDINGS).read_bytes()
    start, end = table_end(data)
    for cut in (start + 500, (start + end) // 2, end - 1):
        assert "cut short" in refused(tmp_path / "IWM_holdings_2026-05-05.csv", data[:cut])


def _with(row: int, old: str, new: str) -> str:
    """The generated file with `old` replaced by `new` in table row `row` (0: line 11)."""
    rows = list(ROWS)
    assert old in rows[row]
    rows[row] = rows[row].replace(old, new, 1)
    return holdings_file(IWV, "Mar 01, 2023", rows)


HOLDINGS_BAD = {
    "a row with one field too many": (
        _with(1, '"Equity"', '"Equity","x"'),
        "line 12: 16 fields, the header has 15",
    ),
    "a row with one field too few": (_with(2, '"Equity",', ""), "line 13: 14 fields, the header has 15"),
    "a Quantity abc": (_with(0, '"100.00"', '"abc"'), "line 11: Quantity 'abc' is not a number"),
    "a Quantity inf": (_with(0, '"100.00"', '"inf"'), "line 11: Quantity 'inf' is not a finite number"),
    "a Quantity nan": (_with(0, '"100.00"', '"nan"'), "line 11: Quantity 'nan' is not a finite number"),
    "a Price 1.2.3": (_with(1, '"10.00"', '"1.2.3"'), "line 12: Price '1.2.3' is not a number"),
    "a Cyrillic ticker": (_with(1, '"BETA"', '"\u0412ETA"'), "line 12: Ticker '\u0412ETA' is not one"),
    "a name with U+202E": (_with(2, "GAMMA", "GAM\u202eMA"), "line 13: Name"),
    "a name with U+200B": (_with(2, "GAMMA", "GAM\u200bMA"), "line 13: Name"),
    "no date on its as-of line": (
        holdings_file(IWV, "", ROWS).replace('Fund Holdings as of,""', "Fund Holdings as of"),
        "no `Fund Holdings as of` line with a date",
    ),
    "a date that is not a date": (holdings_file(IWV, "May 35, 2026", ROWS), "'May 35, 2026': not a date"),
    "a fund naming no Russell index": (
        holdings_file("iShares Core S&P 500 ETF", "Mar 01, 2023", ROWS),
        "first line 'iShares Core S&P 500 ETF' names no Russell index",
    ),
    "no table header": (
        holdings_file(IWV, "Mar 01, 2023", ROWS, header="Symbol,Name"),
        "no table header",
    ),
    "a header without Quantity": (
        holdings_file(IWV, "Mar 01, 2023", ROWS, header=HOLDINGS_HEADER.replace("Quantity", "Shares")),
        "line 10: the table header lacks Quantity",
    ),
    "a header and no rows": (
        holdings_file(IWV, "Mar 01, 2023", []),
        "holdings table with a header and no rows",
    ),
    "no blank line after the table": (
        holdings_file(IWV, "Mar 01, 2023", ROWS).split('\n\xa0\n"Holdings')[0] + "\n",
        "without the blank line the publisher ends it with",
    ),
}


@pytest.mark.parametrize("case", sorted(HOLDINGS_BAD))
def test_a_bad_holdings_file_is_one_line_naming_the_file_and_the_line(tmp_path, case):
    text, said = HOLDINGS_BAD[case]
    assert said in refused(tmp_path / "IWV_holdings.csv", text.encode())


def test_a_holdings_file_without_its_as_of_line_is_refused(tmp_path):
    # Without the line it is no holdings file: refused as a document of no known kind, in one line.
    text = holdings_file(IWV, "Mar 01, 2023", ROWS).replace('Fund Holdings as of,"Mar 01, 2023"\n', "")
    assert not looks_like_holdings(text)
    refused(tmp_path / "IWV_holdings_2023-03-01.csv", text.encode())


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param(_with(0, "ALPHA INC", "A" * 200_000), "line 11", id="a 200,000-character name"),
        pytest.param(_with(1, '"BETA"', '"\u00df"'), "line 12: Ticker", id="ticker sharp s"),
        pytest.param(
            _with(0, '"100.00"', '"1_000"'),
            "line 11: Quantity '1_000' is not a number",
            id="a Quantity 1_000",
        ),
    ],
)
def test_a_hostile_holdings_file_is_one_line_too(tmp_path, text, said):
    assert said in refused(tmp_path / "IWV_holdings.csv", text.encode())


def test_a_name_over_two_lines_is_refused_naming_the_line_it_starts_on(tmp_path):
    # A name is printable text: a line break inside a quoted field would also shift every later line.
    text = _with(0, "ALPHA INC", "ALPHA\nINC")
    assert "line 11: a field holds a line break" in refused(tmp_path / "IWV_holdings.csv", text.encode())


@pytest.mark.parametrize(
    ("fund", "index"),
    [
        ("iShares Russell 2000 ETF", "Russell 2000"),
        ("iShares Russell 2000 Growth ETF", "Russell 2000 Growth"),
        ("iShares Russell 1000 Value ETF", "Russell 1000 Value"),
        ("iShares Russell 3000 ETF", "Russell 3000"),
        ("Vanguard Russell 2000 Index Fund ETF Shares", "Russell 2000"),
        ("iShares Russell Microcap ETF", "Russell Microcap"),
        ("iShares Russell Micro-Cap Index Fund", "Russell Microcap"),
        ("iShares Russell Mid-Cap ETF", "Russell Midcap"),
        ("iShares Russell Midcap Growth ETF", "Russell Midcap Growth"),
        ("iShares Russell Top 200 ETF", "Russell Top 200"),
        ("iShares Russell 2500 ETF", "Russell 2500"),
        ("iShares Core S&P 500 ETF", None),
        ("SPDR S&P 600 Small Cap ETF", None),
        ("Russell Investments Global Equity Fund", None),
    ],
)
def test_index_of_fund_names_the_russell_index_a_fund_tracks(fund, index):
    assert index_of_fund(fund) == index


def test_two_funds_on_one_date_are_two_files_and_one_fund_twice_is_a_conflict(tmp_path):
    iwm = holdings_file("iShares Russell 2000 ETF", "Mar 01, 2023", ROWS[:2])
    vtwo = holdings_file("Vanguard Russell 2000 ETF", "Mar 01, 2023", ROWS[1:])
    raw = year_folder(tmp_path, {"2023/IWM.csv": iwm, "2023/VTWO.csv": vtwo})
    tables = read_year(raw, 2023)
    assert tables.refusal is None
    held = tables.fund_holdings.group_by("fund", "index_name", "as_of_date").len().sort("fund")
    assert held.rows() == [
        ("Vanguard Russell 2000 ETF", "Russell 2000", date(2023, 3, 1), 2),
        ("iShares Russell 2000 ETF", "Russell 2000", date(2023, 3, 1), 2),
    ]
    # The same fund on the same date with other rows: which one holds is the user's to say.
    other = holdings_file("iShares Russell 2000 ETF", "Mar 01, 2023", ROWS)
    raw = year_folder(tmp_path / "twice", {"2023/IWM.csv": iwm, "2023/IWM_again.csv": other})
    assert refusal(raw, 2023) == (
        "raw/2023: 2 documents cannot be read: raw/2023/IWM.csv: conflicting versions: raw/2023/IWM.csv and "
        "raw/2023/IWM_again.csv are both the iShares Russell 2000 ETF holdings of 2023-03-01 but differ "
        "(2 vs 3 rows): keep the right one and remove the other; raw/2023/IWM_again.csv: conflicting "
        "versions: raw/2023/IWM.csv and raw/2023/IWM_again.csv are both the iShares Russell 2000 ETF "
        "holdings of 2023-03-01 but differ (2 vs 3 rows): keep the right one and remove the other"
    )
    # Dated by its text: under another year's folder it is refused, naming the move.
    raw = year_folder(tmp_path / "moved", {"2022/IWM.csv": iwm})
    assert refusal(raw, 2022).endswith("it belongs under raw/2023/, not raw/2022/; move it there")


def test_parse_prints_the_real_holdings_and_refuses_a_bad_file_in_one_line(tmp_path, capsys):
    good = run_main("parse", str(real_document(REAL_HOLDINGS)))
    assert good.returncode == 0, good.stderr
    assert len(good.stdout.splitlines()) == 1 + 1_929
    assert good.stderr.endswith(": holdings, Russell 2000, -, 1929 rows, dated 2026-05-05 (text)\n")
    path = tmp_path / "IWV.csv"
    path.write_text(HOLDINGS_BAD["a Quantity abc"][0])
    assert main(["parse", str(path)]) == 1
    assert capsys.readouterr() == ("", f"error: {path}: line 11: Quantity 'abc' is not a number\n")
