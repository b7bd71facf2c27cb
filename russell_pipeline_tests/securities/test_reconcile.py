"""What an ETF holds against the members the lake knows (lib/membership/funds.py `reconcile_holdings`),
compared by security: on a small lake of frames (a Russell 3000 list, two SEC maps, holdings files read
by the reader), and through `russell-pipeline reconcile DATE` on a copy of the shared built lake."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

import polars as pl
import pytest

from russell_pipeline.lib.documents.holdings import HOLDINGS_COLUMNS, read_holdings
from russell_pipeline.lib.membership.funds import RECONCILE_COLUMNS, reconcile_holdings
from russell_pipeline.lib.membership.history import membership_tables
from russell_pipeline.lib.securities.master import master
from russell_pipeline_tests.documents.test_ticker_maps_and_holdings import holdings_file, holdings_row
from russell_pipeline_tests.membership.helpers import CALENDAR, lake_frames
from russell_pipeline_tests.securities.test_master import M1, M2, lists_and_holdings, sec

R3000 = "Russell 3000"
IWV, IWM = "iShares Russell 3000 ETF", "iShares Russell 2000 ETF"
DAY = date(2023, 3, 1)  # inside the 2022 list's coverage, before the 2023 reconstitution
# The 2022 Russell 3000 list in miniature, and the SEC maps around it: OLDT became NEWT; EARL is a company
# the maps know from 2022 that the list does not hold; KEPT is seen in the 2023 map.
MEMBERS = [
    ("ALPH", "ALPHA INC"),
    ("GONE", "GONE CORP"),
    ("KEPT", "KEPT HOLDINGS INC"),
    ("OLDT", "OLD TIMERS INC"),
]
MAPS = [
    sec(M1, [(11, "Alpha Inc", "ALPH"), (10, "Old Timers Inc", "OLDT"), (12, "Early Birds Inc", "EARL")]),
    sec(
        M2,
        [(11, "Alpha Inc", "ALPH"), (10, "New Times Inc", "NEWT"), (12, "Early Birds Inc", "EARL")]
        + [(13, "Kept Holdings Inc", "KEPT")],
    ),
]
HELD = [
    holdings_row("ALPH", "ALPHA INC"),
    holdings_row("NEWT", "NEW TIMES INC"),  # OLDT under its new ticker: the same security
    holdings_row("LATE", "LATE COMERS INC"),  # no document before this one shows it
    holdings_row("EARL", "EARLY BIRDS INC"),  # in the 2022 map, not in the list
    holdings_row("USD", "USD CASH", asset_class="Cash", exchange="-"),  # no listed share
]


def fund_file(fund: str, day: date, rows: list[str]) -> str:
    return holdings_file(fund, f"{day:%b %d, %Y}", rows)


def reconciled(*files: str, maps: list[pl.DataFrame] = MAPS) -> pl.DataFrame:
    """reconcile_holdings over the list, the maps and the holdings `files` (their text), as the membership
    asset runs it: the security master of every document, the membership it keys, each file's path."""
    constituents, changes, sources = lake_frames((2022, "membership", None, M1, MEMBERS, R3000))
    held = []
    for n, text in enumerate(files):
        data = text.encode()
        sha = hashlib.sha256(data).hexdigest()
        rows, as_of = read_holdings(f"raw/{as_of_year(text)}/holdings_{n}.csv", data, sha)
        held.append(rows.with_columns(recon_year=pl.lit(as_of.year), as_of_date=pl.lit(as_of)))
    holdings = pl.concat(held).select(list(HOLDINGS_COLUMNS))
    maps = pl.concat(maps)
    paths = pl.DataFrame(
        {
            "sha256": [*sources["sha256"], *maps["source_sha256"].unique(maintain_order=True)]
            + holdings["source_sha256"].unique(maintain_order=True).to_list(),
            "path": [
                *sources["path"],
                *(f"raw/{d.year}/map_{d}.json" for d in maps["as_of_date"].unique(maintain_order=True)),
                *(
                    f"raw/{d.year}/holdings_{n}.csv"
                    for n, d in enumerate(holdings.unique("source_sha256", maintain_order=True)["as_of_date"])
                ),
            ],
        }
    )
    made = master(lists_and_holdings(maps, constituents, holdings, paths))
    tables = membership_tables(constituents, changes, sources, CALENDAR, made.keyed)
    with_path = holdings.join(paths.rename({"sha256": "source_sha256"}), on="source_sha256", how="left")
    out = reconcile_holdings(with_path, made.keyed, tables.in_force, made.securities)
    assert out.schema == pl.Schema(RECONCILE_COLUMNS)
    return out


def as_of_year(text: str) -> int:
    return int(text.split("Fund Holdings as of,")[1][9:13])


def sides(out: pl.DataFrame, fund: str) -> dict[str, tuple]:
    return {
        r["symbol"]: (r["side"], r["security_id"], r["reason"])
        for r in out.filter(pl.col("fund") == fund).iter_rows(named=True)
    }


def test_a_russell_3000_fund_against_the_lakes_russell_3000_names_each_difference_with_its_reason():
    out = reconciled(fund_file(IWV, DAY, [*HELD[:4], HELD[4]]))
    got = sides(out, IWV)
    # ALPH is held; NEWT is OLDT renamed (the two maps): neither is a difference. The cash row is no share.
    assert sorted(got) == ["EARL", "GONE", "KEPT", "LATE"]
    assert got["LATE"][:2] == ("fund_only", "TICKER:LATE")
    assert got["LATE"][2].startswith(
        f"first seen listed on {DAY}, after the last document the lake's members"
    )
    assert got["EARL"][:2] == ("fund_only", "CIK12")
    assert got["EARL"][2].startswith(f"not among the lake's Russell 3000 members on {DAY}: added by a list")
    assert got["GONE"][:2] == ("lake_only", "TICKER:GONE")
    assert got["GONE"][2].startswith(f"last seen listed on {M1} and in no later document")
    assert got["KEPT"][:2] == ("lake_only", "CIK13")  # in the 2023 map: seen after the file's date
    assert got["KEPT"][2].startswith("the fund does not hold it: a fund need not hold every member")
    assert set(out["compared_with"]) == {R3000} and set(out["fund_index"]) == {R3000}
    # Each row names where it comes from: the holdings file's line, or the list that prints the member.
    source = {r[0]: r[1:] for r in out.select("symbol", "source_path", "source_line").iter_rows()}
    assert source["LATE"] == ("raw/2023/holdings_0.csv", 13) and source["EARL"] == (
        "raw/2023/holdings_0.csv",
        14,
    )
    assert source["GONE"][0].startswith("raw/2022/") and source["GONE"][1] == 6


def test_a_russell_2000_fund_against_the_lakes_russell_3000_names_no_member_it_lacks():
    out = reconciled(fund_file(IWV, DAY, HELD), fund_file(IWM, DAY, HELD[:1] + HELD[2:3]))
    got = sides(out, IWM)
    # The Russell 3000 holds more than the Russell 2000: a member the fund lacks says nothing.
    assert got == {"LATE": ("fund_only", "TICKER:LATE", got["LATE"][2])}
    assert out.filter(pl.col("fund") == IWM)["compared_with"].to_list() == [R3000]
    assert sorted(sides(out, IWV)) == ["EARL", "GONE", "KEPT", "LATE"]  # the other fund's file unchanged


@pytest.mark.parametrize(
    "seen",
    [
        date(2023, 1, 3),
        pytest.param(
            date(2022, 10, 3),
        ),
    ],
)
def test_a_company_first_seen_after_the_list_and_before_the_file_was_added_since(seen):
    out = reconciled(
        fund_file(IWV, DAY, [*HELD, holdings_row("MIDL", "MIDWAY LABS INC")]),
        maps=[*MAPS, sec(seen, [(14, "Midway Labs Inc", "MIDL")])],
    )
    side, security, reason = sides(out, IWV)["MIDL"]
    assert (side, security) == ("fund_only", "CIK14")
    assert reason.startswith(
        f"first seen listed on {seen}, after the last document the lake's members rest on"
    )


@pytest.mark.parametrize("day", [date(2021, 3, 1), date(2024, 3, 1)])
def test_a_date_the_lakes_membership_does_not_cover_says_so_on_every_row(day):
    out = reconciled(fund_file(IWV, day, HELD))
    assert out.height == 4 and set(out["side"]) == {"fund_only"}  # the listed rows, none of the lake's
    assert out["compared_with"].null_count() == 4
    [reason] = out["reason"].unique().to_list()
    assert reason.startswith(
        f"the lake holds no membership of the Russell 3000 or an index that contains it on {day}"
    )


# ---------------------------------------------------------------- the command line
def test_reconcile_prints_the_differences_and_their_counts_on_a_built_lake(lakes, tmp_path):
    """The shared built lake with a 2022 Russell 3000 list, two SEC maps and two funds' holdings files of one
    day under raw/: one build, then `reconcile DATE`."""
    folder = lakes.copy(tmp_path)
    raw = folder.root / "raw"
    members = "".join(f"{company}\t{symbol}\n" for symbol, company in MEMBERS)
    (raw / "2022" / "ru3000_members_20220624.txt").write_text(
        f"Russell US Indexes\nMembership list\nRussell 3000® Index\nJune 24, 2022\nCompany\tTicker\n{members}"
    )
    for frame in MAPS:
        day = frame["as_of_date"][0]
        entries = [
            [c, n, t, "NYSE"] for c, n, t in frame.select("cik", "company", "listed_ticker").iter_rows()
        ]
        (raw / str(day.year) / f"company_tickers_exchange_{day}.json").write_text(
            json.dumps({"fields": ["cik", "name", "ticker", "exchange"], "data": entries})
        )
    (raw / "2023" / "IWV_holdings.csv").write_text(fund_file(IWV, DAY, HELD))
    (raw / "2023" / "IWM_holdings.csv").write_text(fund_file(IWM, DAY, HELD[:1] + HELD[2:3]))
    built = folder.build()  # in this process; `reconcile` runs as a user runs it
    assert built.returncode == 0, built.stderr[-3000:]
    done = folder.run("reconcile", str(DAY))
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(io.StringIO(done.stdout))
    assert rows.select("fund", "side", "symbol", "security_id").rows() == [
        (IWM, "fund_only", "LATE", "TICKER:LATE"),
        (IWV, "fund_only", "EARL", "CIK12"),
        (IWV, "fund_only", "LATE", "TICKER:LATE"),
        (IWV, "lake_only", "GONE", "TICKER:GONE"),
        (IWV, "lake_only", "KEPT", "CIK13"),
    ]
    assert (
        rows.filter(pl.col("fund") == IWV)["source_path"].to_list()[:2] == ["raw/2023/IWV_holdings.csv"] * 2
    )
    lines = done.stderr.splitlines()
    assert lines[0] == (
        f"{IWM} (Russell 2000) on {DAY}: compared with the lake's Russell 3000: 1 held by the fund only, "
        "0 members it does not hold"
    )
    iwv = lines.index(
        f"{IWV} (Russell 3000) on {DAY}: compared with the lake's Russell 3000: 2 held by the fund only, "
        "2 members it does not hold"
    )
    assert len(lines) == iwv + 5 and all(line.startswith("  1: ") for line in lines[iwv + 1 :])
    # One fund by a word of its name.
    one = folder.run("reconcile", str(DAY), "--fund", "russell 2000", "--format", "json")
    assert one.returncode == 0 and [r["symbol"] for r in json.loads(one.stdout)] == ["LATE"]
    # A date without a holdings file: one line naming the dates held, exit code 1.
    missing = folder.run("reconcile", "2023-03-02")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == (
        "error: reconcile 2023-03-02: no holdings file is dated 2023-03-02 (dates held: 2023-03-01)\n"
    )
    bad = folder.run("reconcile", "2023-02-30")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a date" in bad.stderr


def test_a_date_before_the_lakes_membership_says_where_it_begins():
    out = reconciled(fund_file(IWV, date(2021, 3, 1), HELD))
    assert "2022-06-27" in out["reason"][0] and "end on" not in out["reason"][0]
