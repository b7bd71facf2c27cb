"""The security master (lib/securities/master.py): renames both ways, tickers reused by another company,
the lines of one CIK that rename with it, classes, document sightings resolved to the map nearest their
date, a holdings file's class form, re-used tickers no map holds; and the two real SEC maps of
../shared/real, whose renames and reused tickers the issue names."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS, read_holdings
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS, read_document
from russell_pipeline.lib.documents.sec_tickers import SEC_COLUMNS, read_sec_tickers
from russell_pipeline.lib.documents.universe import UNIVERSE_COLUMNS
from russell_pipeline.lib.securities.master import NEAR_DAYS, SIGHTING_COLUMNS, master, sightings, ticker_on
from russell_pipeline_tests.documents.test_ticker_maps_and_holdings import holdings_file, holdings_row
from russell_pipeline_tests.lakes import real_document

M1, M2 = date(2022, 6, 24), date(2023, 4, 28)  # the dates of the two real maps


def sec(day: date, entries: list[tuple[int, str, str]]) -> pl.DataFrame:
    """The sec_tickers rows of an SEC map saved on `day` holding `entries` (cik, name, ticker as the SEC
    writes it), read by the reader."""
    data = json.dumps(
        {"fields": ["cik", "name", "ticker", "exchange"], "data": [[c, n, t, "NYSE"] for c, n, t in entries]}
    ).encode()
    rows = read_sec_tickers(f"raw/{day.year}/map_{day}.json", data, hashlib.sha256(data).hexdigest())
    return rows.with_columns(recon_year=pl.lit(day.year), as_of_date=pl.lit(day)).select(list(SEC_COLUMNS))


def map_sightings(*maps: pl.DataFrame) -> pl.DataFrame:
    """SIGHTING_COLUMNS of SEC maps (`sec`'s frames), each at raw/<year>/map_<date>.json."""
    return pl.concat(
        [
            m.select(
                date="as_of_date",
                ticker="ticker",
                company="company",
                cik="cik",
                kind=pl.lit("sec_map"),
                path=pl.format("raw/{}/map_{}.json", "recon_year", "as_of_date"),
                sha256="source_sha256",
                page=pl.lit(None, pl.Int64),
                line="source_line",
            )
            for m in maps
        ]
    ).cast(SIGHTING_COLUMNS)


def doc(day: date, ticker: str, company: str, kind: str = "membership_list", line: int = 5) -> dict:
    """One document row's sighting (a list's, page 1)."""
    path = f"raw/{day.year}/{kind}_{day}.txt"
    return {
        "date": day,
        "ticker": ticker,
        "company": company,
        "cik": None,
        "kind": kind,
        "path": path,
        "sha256": hashlib.sha256(path.encode()).hexdigest(),
        "page": None if kind == "holdings" else 1,
        "line": line,
    }


def lists_and_holdings(
    maps: pl.DataFrame, constituents: pl.DataFrame, holdings: pl.DataFrame, sources: pl.DataFrame
) -> pl.DataFrame:
    """`sightings` of a lake holding SEC maps, membership lists and holdings files (no change list, no
    universe file)."""
    empty = (pl.DataFrame(schema=CHANGE_COLUMNS), pl.DataFrame(schema=UNIVERSE_COLUMNS))
    return sightings(maps, constituents, *empty, holdings, sources)


def master_of(maps: list[pl.DataFrame], docs: list[dict] = ()):
    frames = [map_sightings(*maps)] if maps else []
    return master(pl.concat([*frames, pl.DataFrame(list(docs), schema=SIGHTING_COLUMNS)]))


def spans(securities: pl.DataFrame, security_id: str) -> list[tuple]:
    return (
        securities.filter(pl.col("security_id") == security_id)
        .select("ticker", "valid_from", "valid_to", "first_seen", "last_seen")
        .rows()
    )


def key_of(made, kind: str, ticker: str, day: date) -> str:
    found = made.keyed.filter(pl.col("kind") == kind, pl.col("ticker") == ticker, pl.col("date") == day)
    assert found.height == 1, found
    return found["security_id"][0]


def changes(made) -> list[tuple]:
    return made.changes.select(
        "kind",
        "security_id",
        "previous_security_id",
        "old_ticker",
        "new_ticker",
        "old_last_seen",
        "new_first_seen",
    ).rows()


# ---------------------------------------------------------------- renames and reused tickers
def test_a_rename_is_one_security_whose_old_ticker_ends_where_the_new_one_is_first_seen():
    made = master_of([sec(M1, [(10, "Old Timers Inc", "OLDT")]), sec(M2, [(10, "New Times Inc", "NEWT")])])
    assert made.securities["security_id"].unique().to_list() == ["CIK10"]
    assert spans(made.securities, "CIK10") == [("OLDT", None, M2, M1, M1), ("NEWT", M2, None, M2, M2)]
    assert changes(made) == [("renamed", "CIK10", None, "OLDT", "NEWT", M1, M2)]
    [row] = made.changes.rows(named=True)
    assert (row["cik"], row["old_path"], row["new_path"]) == (
        10,
        f"raw/2022/map_{M1}.json",
        f"raw/2023/map_{M2}.json",
    )
    assert row["evidence"] == (
        f"CIK 10 printed as OLDT through {M1} (raw/2022/map_{M1}.json), "
        f"as NEWT from {M2} (raw/2023/map_{M2}.json)"
    )
    assert made.securities.filter(pl.col("ticker") == "NEWT")["company"].item() == "New Times Inc"
    # On each side of the change, the ticker of that day.
    assert ticker_on(made.securities, M2 - timedelta(days=1)).rows() == [("CIK10", "OLDT")]
    assert ticker_on(made.securities, M2).rows() == [("CIK10", "NEWT")]


def test_a_rename_there_and_back_is_three_spans_of_one_security_whatever_the_order_of_the_rows():
    m3 = date(2024, 4, 26)
    maps = [sec(M1, [(10, "A Co", "AAA")]), sec(M2, [(10, "A Co", "BBB")]), sec(m3, [(10, "A Co", "AAA")])]
    made = master_of(maps)
    assert spans(made.securities, "CIK10") == [
        ("AAA", None, M2, M1, M1),
        ("BBB", M2, m3, M2, M2),
        ("AAA", m3, None, m3, m3),
    ]
    assert changes(made) == [
        ("renamed", "CIK10", None, "AAA", "BBB", M1, M2),
        ("renamed", "CIK10", None, "BBB", "AAA", M2, m3),
    ]
    rows = map_sightings(*maps).rows(named=True)
    random.Random(61).shuffle(rows)
    again = master(pl.DataFrame(rows[::-1], schema=SIGHTING_COLUMNS))
    assert again.securities.equals(made.securities) and again.changes.equals(made.changes)


def test_a_ticker_reused_by_another_company_is_two_securities():
    # Crane Holdings (CIK 1) printed CR; it became Crane NXT (CXT) and the Crane Company it spun off
    # (CIK 2) took CR.
    made = master_of(
        [
            sec(M1, [(1, "Crane Holdings, Co.", "CR")]),
            sec(M2, [(1, "Crane NXT, Co.", "CXT"), (2, "Crane Co", "CR")]),
        ]
    )
    assert spans(made.securities, "CIK1") == [("CR", None, M2, M1, M1), ("CXT", M2, None, M2, M2)]
    # CR was CIK1's until CIK2's first sighting: CIK2 holds it from then, never both on one day.
    assert spans(made.securities, "CIK2") == [("CR", M2, None, M2, M2)]
    assert sorted(changes(made)) == [
        ("renamed", "CIK1", None, "CR", "CXT", M1, M2),
        ("reused", "CIK2", "CIK1", "CR", "CR", M1, M2),
    ]
    reused = made.changes.filter(pl.col("kind") == "reused").row(0, named=True)
    assert reused["evidence"] == f"CR was Crane NXT, Co.'s (CIK1) through {M1}, Crane Co's (CIK2) from {M2}"


def test_a_reused_ticker_is_one_securitys_on_any_day():
    made = master_of(
        [
            sec(M1, [(1, "Crane Holdings, Co.", "CR")]),
            sec(M2, [(1, "Crane NXT, Co.", "CXT"), (2, "Crane Co", "CR")]),
        ]
    )
    for day in (M1, M1 + timedelta(days=100), M2 - timedelta(days=1)):
        assert ticker_on(made.securities, day).filter(pl.col("ticker") == "CR").rows() == [("CIK1", "CR")], (
            day
        )
    assert ticker_on(made.securities, M2).filter(pl.col("ticker") == "CR").rows() == [("CIK2", "CR")]


def test_the_lines_of_a_cik_rename_with_it_and_two_classes_are_two_securities():
    made = master_of(
        [
            sec(
                M1,
                [
                    (1, "New Residential Investment Corp.", t)
                    for t in ("NRZ", "NRZ-PA", "NRZ-PB", "NRZU", "NRZWS")
                ]
                + [(2, "Berkshire Hathaway Inc", "BRK-A"), (2, "Berkshire Hathaway Inc", "BRK-B")],
            ),
            sec(
                M2,
                [(1, "Rithm Capital Corp.", t) for t in ("RITM", "RITM-PA", "RITM-PB", "RITMU", "RITMWS")]
                + [(2, "Berkshire Hathaway Inc", "BRK-A"), (2, "Berkshire Hathaway Inc", "BRK-B")],
            ),
        ]
    )
    renamed = made.changes.filter(pl.col("kind") == "renamed").select(
        "security_id", "old_ticker", "new_ticker"
    )
    assert sorted(renamed.rows()) == [
        ("CIK1", "NRZ", "RITM"),
        ("CIK1:NRZ.PA", "NRZ.PA", "RITM.PA"),
        ("CIK1:NRZ.PB", "NRZ.PB", "RITM.PB"),
        ("CIK1:NRZU", "NRZU", "RITMU"),
        ("CIK1:NRZWS", "NRZWS", "RITMWS"),
    ]
    assert made.changes.filter(pl.col("kind") == "reused").height == 0
    # Two classes of one CIK, each its own security, its class from its ticker.
    brk = made.securities.filter(pl.col("cik") == 2).select("security_id", "ticker", "share_class")
    assert sorted(brk.rows()) == [("CIK2:BRK.A", "BRK.A", "A"), ("CIK2:BRK.B", "BRK.B", "B")]


def test_a_line_that_ends_and_one_that_begins_are_not_a_rename():
    # A CIK's preferred redeemed (gone) while a new class listed: different rests, two securities.
    made = master_of(
        [
            sec(M1, [(1, "A Corp", "AAA"), (1, "A Corp", "AAA-PA")]),
            sec(M2, [(1, "A Corp", "AAA"), (1, "A Corp", "AAA-PB")]),
        ]
    )
    assert made.changes.height == 0
    assert sorted(made.securities.select("security_id", "ticker", "last_seen").rows()) == [
        ("CIK1", "AAA", M2),
        ("CIK1:AAA.PA", "AAA.PA", M1),
        ("CIK1:AAA.PB", "AAA.PB", M2),
    ]


# ---------------------------------------------------------------- document sightings
def test_a_document_ticker_stands_for_the_company_the_map_nearest_its_date_gives():
    maps = [
        sec(M1, [(1, "Crane Holdings, Co.", "CR")]),
        sec(M2, [(1, "Crane NXT, Co.", "CXT"), (2, "Crane Co", "CR")]),
    ]
    made = master_of(
        maps,
        [
            doc(M1, "CR", "CRANE HOLDINGS CO"),
            doc(date(2023, 6, 23), "CR", "CRANE CO", "addition"),
            doc(date(2023, 6, 23), "CXT", "CRANE NXT CO", "addition", line=6),
        ],
    )
    assert key_of(made, "membership_list", "CR", M1) == "CIK1"
    assert key_of(made, "addition", "CR", date(2023, 6, 23)) == "CIK2"
    assert key_of(made, "addition", "CXT", date(2023, 6, 23)) == "CIK1"
    # The master's spans now run to the documents' dates.
    assert spans(made.securities, "CIK2") == [("CR", M2, None, M2, date(2023, 6, 23))]


@pytest.mark.parametrize(
    ("days", "name", "linked"),
    [
        (NEAR_DAYS, "OMEGA FOODS INC", True),  # near enough: the map says which company, whatever the name
        (-NEAR_DAYS, "OMEGA FOODS INC", True),  # before the map too
        (NEAR_DAYS + 1, "OMEGA FOODS INC", False),  # farther: another company's name is another company
        (-(NEAR_DAYS + 1), "OMEGA FOODS INC", False),
        (NEAR_DAYS + 400, "ZETA WIDGETS INC", True),  # farther, but the names are one company
        (-(NEAR_DAYS + 400), "ZETA WIDGETS", True),
    ],
)
def test_a_map_more_than_a_quarter_away_links_a_ticker_only_under_the_same_company(days, name, linked):
    made = master_of([sec(M1, [(5, "Zeta Widgets Inc", "ZZ")])], [doc(M1 + timedelta(days=days), "ZZ", name)])
    assert key_of(made, "membership_list", "ZZ", M1 + timedelta(days=days)) == (
        "CIK5" if linked else "TICKER:ZZ"
    )


def test_a_holdings_ticker_without_its_class_separator_is_the_class_it_writes():
    maps = [sec(M1, [(3, "Moog Inc", "MOG-A"), (3, "Moog Inc", "MOG-B"), (4, "Dole plc", "DOLE")])]
    held = [
        doc(M1, "MOGA", "MOOG INC CLASS A", "holdings", line=11),
        doc(M1, "DOLE", "DOLE PLC", "holdings", line=12),
        doc(M1, "ZZZX", "NOBODY INC", "holdings", line=13),  # no ZZZ.X anywhere: its own ticker
    ]
    made = master_of(maps, held)
    assert key_of(made, "holdings", "MOG.A", M1) == "CIK3:MOG.A"
    assert key_of(made, "holdings", "DOLE", M1) == "CIK4"
    assert key_of(made, "holdings", "ZZZX", M1) == "TICKER:ZZZX"
    # Where a list prints MOGA itself, it is a ticker of its own, and the holdings row is that one.
    listed = master_of(maps, [*held, doc(M1, "MOGA", "MOGA HOLDINGS INC", line=9)])
    assert (
        key_of(listed, "holdings", "MOGA", M1)
        == key_of(listed, "membership_list", "MOGA", M1)
        == "TICKER:MOGA"
    )


def test_a_ticker_no_map_holds_is_split_where_the_names_are_two_companies():
    made = master_of(
        [],
        [
            doc(date(2016, 6, 24), "SNOW", "INTRAWEST RESORTS HOLDINGS INC"),
            doc(date(2017, 6, 23), "SNOW", "INTRAWEST RSRTS HLDG INC"),  # the same company, shortened
            doc(date(2022, 6, 24), "SNOW", "SNOWFLAKE INC"),
        ],
    )
    assert made.securities.select("security_id", "first_seen", "last_seen").rows() == [
        ("TICKER:SNOW", date(2016, 6, 24), date(2017, 6, 23)),
        ("TICKER:SNOW#2", date(2022, 6, 24), date(2022, 6, 24)),
    ]
    assert changes(made) == [
        ("reused", "TICKER:SNOW#2", "TICKER:SNOW", "SNOW", "SNOW", date(2017, 6, 23), date(2022, 6, 24))
    ]


def test_sightings_gather_every_document_table_with_its_path():
    """`sightings` over the tables the readers make: an SEC map, a list's rows, a change list's, a
    universe file's and a holdings file's listed rows (in upper case; cash and `-` rows are none)."""
    maps = sec(M1, [(3, "Moog Inc", "MOG-A")])
    text = holdings_file(
        "iShares Russell 2000 ETF",
        "Jun 24, 2022",
        [
            holdings_row("MOGA", "MOOG INC CLASS A"),
            holdings_row("USD", "USD CASH", asset_class="Cash", exchange="-"),
            holdings_row("-", "VESTING RIGHT", exchange="NO MARKET (E.G. UNLISTED)"),
        ],
    )
    held, as_of = read_holdings("raw/2022/IWM.csv", text.encode(), "iwm")
    held = held.with_columns(recon_year=pl.lit(2022), as_of_date=pl.lit(as_of)).select(list(HOLDINGS_COLUMNS))
    listed = pl.DataFrame(
        [
            {
                "recon_year": 2022,
                "as_of_date": M1,
                "company": "MOOG INC",
                "symbol": "MOG.B",
                "source_sha256": "ru3000",
                "source_page": 2,
                "source_line": 7,
                "index_name": "Russell 3000",
            }
        ],
        schema=CONSTITUENT_COLUMNS,
    )
    sources = pl.DataFrame(
        {
            "sha256": [maps["source_sha256"][0], "iwm", "ru3000"],
            "path": ["raw/2022/map.json", "raw/2022/IWM.csv", "raw/2022/ru3000.pdf"],
        }
    )
    seen = lists_and_holdings(maps, listed, held, sources)
    assert seen.select("kind", "ticker", "cik", "path", "page", "line").sort("kind").rows() == [
        ("holdings", "MOGA", None, "raw/2022/IWM.csv", None, 11),
        ("membership_list", "MOG.B", None, "raw/2022/ru3000.pdf", 2, 7),
        ("sec_map", "MOG.A", 3, "raw/2022/map.json", None, 1),
    ]
    made = master(seen)
    assert made.keyed.filter(pl.col("kind") == "holdings")["security_id"].to_list() == ["CIK3"]


# ---------------------------------------------------------------- the real SEC maps
@pytest.fixture(scope="module")
def real_master():
    docs = [read_document(real_document(f"sec/company_tickers_exchange_{d}.json")) for d in (M1, M2)]
    maps = [d.rows.with_columns(recon_year=pl.lit(d.as_of_date.year)).select(list(SEC_COLUMNS)) for d in docs]
    return master_of(maps)


@pytest.mark.parametrize(
    ("old", "new"),
    [("ADGI", "IVVD"), ("BLI", "CELL"), ("LNDC", "LFCR"), ("SMFR", "WGS"), ("RCII", "UPBD"), ("NRZ", "RITM")],
)
def test_the_real_maps_show_the_renames_the_issue_names(real_master, old, new):
    [row] = real_master.changes.filter(pl.col("old_ticker") == old).rows(named=True)
    assert (row["kind"], row["new_ticker"], row["old_last_seen"], row["new_first_seen"]) == (
        "renamed",
        new,
        M1,
        M2,
    )
    assert row["security_id"] == f"CIK{row['cik']}"
    assert [s[0] for s in spans(real_master.securities, row["security_id"])] == [old, new]


@pytest.mark.parametrize(("ticker", "renamed_to"), [("CR", "CXT"), ("XPER", "ADEA")])
def test_the_real_maps_show_the_reused_tickers_the_issue_names(real_master, ticker, renamed_to):
    rows = real_master.changes.filter(pl.col("old_ticker") == ticker)
    reused = rows.filter(pl.col("kind") == "reused").row(0, named=True)
    renamed = rows.filter(pl.col("kind") == "renamed").row(0, named=True)
    assert rows.height == 2 and renamed["new_ticker"] == renamed_to
    assert reused["previous_security_id"] == renamed["security_id"] != reused["security_id"]
    holders = real_master.securities.filter(pl.col("ticker") == ticker)["cik"].unique()
    assert holders.len() == 2


def test_no_real_security_carries_two_tickers_on_one_day(real_master):
    securities = real_master.securities
    # Each security's spans follow one another: the first since before any evidence (or, for a ticker
    # another security held before, from its first sighting), each next one from where the one before
    # ends, the last still in force.
    held_before = pl.col("first_seen") > pl.col("first_seen").min().over("ticker")
    chained = securities.with_columns(
        previous_to=pl.col("valid_to").shift(1).over("security_id"),
        first=pl.col("valid_from").is_null() | (held_before & (pl.col("valid_from") == pl.col("first_seen"))),
        n=pl.int_range(pl.len()).over("security_id"),
    )
    assert chained.filter((pl.col("n") == 0) & ~pl.col("first")).height == 0
    assert chained.filter((pl.col("n") > 0) & pl.col("valid_from").is_null()).height == 0
    assert chained.filter((pl.col("n") > 0) & (pl.col("valid_from") != pl.col("previous_to"))).height == 0
    assert (
        chained.filter(pl.col("valid_to").is_not_null() & (pl.col("valid_to") <= pl.col("valid_from"))).height
        == 0
    )
    for day in (M1 - timedelta(days=1), M1, date(2023, 1, 3), M2, M2 + timedelta(days=1)):
        on = ticker_on(securities, day)
        assert on["security_id"].is_unique().all(), day
        assert on["ticker"].is_unique().all(), day  # no ticker is two securities' on one day
        # every security known by then has one ticker that day, unless another took its ticker since
        started = securities.filter(pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
        ended = started.group_by("security_id").agg(
            pl.col("valid_to").is_not_null().all() & (pl.col("valid_to").max() <= day)
        )
        assert on.height == ended.filter(~pl.col("valid_to"))["security_id"].n_unique(), day
    assert real_master.changes.group_by("kind").len().sort("kind").rows() == [
        ("renamed", 293),
        ("reused", 19),
    ]
    assert (
        Path(real_master.changes.filter(pl.col("kind") == "renamed")["new_path"][0]).name == f"map_{M2}.json"
    )
