"""The security master, point in time: every security the lake's documents show, the tickers it
carried and when, its company (the SEC's CIK where an SEC ticker map gives one) and the evidence of
each fact (the document, and its page and line or entry).

**Sightings.** Every row of a document that names a security is a sighting: its date, its ticker (in
the lists' form, `BRK.B`), the name printed beside it, and where it is. The SEC's ticker maps also give
the company's CIK; membership lists, change lists, universe files and ETF holdings files give a ticker
and a name only.

**Chains (SEC maps).** A company keeps its CIK when it changes its ticker, so the maps, taken in date
order, show each of its listed lines as a chain of tickers. Within one map the tickers of a CIK are
grouped by root (the shortest of them that another begins with: `NRZ` for `NRZ.PA`, `GOOG` for
`GOOGL`); a line is its root and the rest of its ticker (`""`, `.PA`, `L`). A ticker that stays under
its CIK from one map to the next is the same line; of the tickers that leave and arrive between two
maps, one that leaves and one that arrives with the same rest (`NRZ` -> `RITM`, `NRZ.PA` -> `RITM.PA`)
are the same line renamed; the others end or begin a line. A ticker that passes from one CIK to
another (`CR`: Crane Holdings, then the Crane Company it spun off) is reused: two securities.

**Resolving a document's ticker.** A ticker a document prints on a date stands for the SEC chain that
holds that ticker in the map nearest its date (on or before it first, else after); where that map is
more than a quarter away, only when the names agree (lib/securities/identity.py), since a ticker may
have passed to another company in between. A ticker no map holds is a security of its own, keyed by
the ticker (`TICKER:ADGI`), split where two names printed for it are not one company (a re-used ticker:
`TICKER:SNOW` then `TICKER:SNOW#2`). An ETF holdings file writes a class without its separator
(`MOGA`): a holdings ticker no document or map holds is read as the class form (`MOG.A`) when that one
is held.

**Spans.** Each security's sightings in date order make runs of one ticker; the run's first and last
sighting are `first_seen` and `last_seen`. A ticker is in force from its run's `first_seen` (the first
run: since before any evidence, `valid_from` null) to the next run's `first_seen` (`valid_to`, null:
still). Between a ticker's last sighting and the next one's first, the change happened at a date no
document gives: the old ticker stays in force there, and `ticker_changes` says between which dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

import polars as pl

from russell_pipeline.lib.securities.identity import same_company

SIGHTING_COLUMNS: dict[str, pl.DataType] = {
    "date": pl.Date,
    "ticker": pl.String,  # in the lists' form
    "company": pl.String,
    "cik": pl.Int64,  # from an SEC ticker map only
    "kind": pl.String,  # sec_map | membership_list | addition | deletion | universe | holdings
    "path": pl.String,  # raw/<year>/<file>
    "sha256": pl.String,
    "page": pl.Int64,  # a list's page; null elsewhere
    "line": pl.Int64,  # a list's or a CSV's line, an SEC map's entry
}
SECURITY_COLUMNS: dict[str, pl.DataType] = {
    "security_id": pl.String,  # CIK<cik> (CIK<cik>:<first ticker>: another line of it); TICKER:<ticker>
    "cik": pl.Int64,
    "company": pl.String,  # the latest name a sighting gives (an SEC map's first)
    "ticker": pl.String,
    "share_class": pl.String,  # the class letter its ticker or name gives (`BRK.B`, `Class A`); null: none
    "valid_from": pl.Date,  # null: in force since before any evidence
    "valid_to": pl.Date,  # null: still in force
    "first_seen": pl.Date,
    "last_seen": pl.Date,
    "sightings": pl.Int64,
    "first_kind": pl.String,
    "first_path": pl.String,
    "first_page": pl.Int64,
    "first_line": pl.Int64,
    "last_kind": pl.String,
    "last_path": pl.String,
    "last_page": pl.Int64,
    "last_line": pl.Int64,
}
TICKER_CHANGE_COLUMNS: dict[str, pl.DataType] = {
    "kind": pl.String,  # renamed: the security took a new ticker; reused: the ticker passed to another
    "security_id": pl.String,  # the security that took the ticker (renamed: the one renamed)
    "previous_security_id": pl.String,  # reused: the security that held the ticker before
    "cik": pl.Int64,
    "company": pl.String,
    "old_ticker": pl.String,
    "new_ticker": pl.String,
    "old_last_seen": pl.Date,  # the change happened after this date ...
    "new_first_seen": pl.Date,  # ... and on or before this one
    "old_path": pl.String,
    "new_path": pl.String,
    "evidence": pl.String,  # in words
}
NEAR_DAYS = 92  # a map this close to a document's date links its ticker without comparing names
_SEC = "sec_map"


@dataclass(frozen=True)
class Master:
    securities: pl.DataFrame  # SECURITY_COLUMNS
    changes: pl.DataFrame  # TICKER_CHANGE_COLUMNS
    keyed: pl.DataFrame  # every sighting (SIGHTING_COLUMNS) with its `security_id`


class Resolver:
    """Which security a ticker printed on a date stands for, from the SEC maps' chains (module
    docstring); `known`: every ticker the lake's documents print, for a holdings file's class form."""

    def __init__(self, sec: pl.DataFrame, known: set[str] = frozenset()):
        self.chains = (
            _chains(sec)
            if sec.height
            else pl.DataFrame(schema={**SIGHTING_COLUMNS, "security_id": pl.String})
        )
        # Each ticker's holders in date order, as runs of consecutive maps naming it under one chain:
        # (first day, last day, chain, the name on its last day).
        self.by_ticker: dict[str, list[tuple[date, date, str, str]]] = {}
        ordered = self.chains.sort("ticker", "date").select("ticker", "date", "security_id", "company")
        for ticker, day, key, company in ordered.iter_rows():
            runs = self.by_ticker.setdefault(ticker, [])
            if runs and runs[-1][2] == key:
                runs[-1] = (runs[-1][0], day, key, company)
            else:
                runs.append((day, day, key, company))
        self.known = set(known) | set(self.by_ticker)

    def ticker_form(self, ticker: str, kind: str) -> str:
        """The lists' form of a ticker a holdings file prints (`MOGA`: `MOG.A` where only that is known)."""
        if kind != "holdings" or ticker in self.known or len(ticker) < 2:
            return ticker
        classed = f"{ticker[:-1]}.{ticker[-1]}"
        return classed if classed in self.known else ticker

    def key(self, ticker: str, day: date | None, company: str | None) -> str | None:
        """The SEC chain `ticker` stands for on `day` (None: no map links it): of the companies the maps
        give the ticker to, the nearest in time whose name is the printed one's (identity.py), else the
        nearest within NEAR_DAYS (a company renamed while it kept its ticker)."""
        runs = self.by_ticker.get(ticker)
        if not runs:
            return None
        if day is None:
            return runs[-1][2]

        def away(run: tuple) -> int:
            first, last = run[0], run[1]
            return 0 if first <= day <= last else min(abs((first - day).days), abs((last - day).days))

        nearest = sorted(runs, key=away)
        named = next((r for r in nearest if same_company(company, r[3], ticker)), None)
        found = named or (nearest[0] if away(nearest[0]) <= NEAR_DAYS else None)
        return found[2] if found else None


def master(sightings: pl.DataFrame) -> Master:
    """The security master of `sightings` (SIGHTING_COLUMNS): every sighting keyed to its security, the
    securities' ticker spans and the ticker changes between them."""
    sightings = sightings.select(list(SIGHTING_COLUMNS)).cast(SIGHTING_COLUMNS)
    sec = sightings.filter(pl.col("kind") == _SEC)
    docs = sightings.filter(pl.col("kind") != _SEC)
    resolver = Resolver(sec, set(docs.filter(pl.col("kind") != "holdings")["ticker"].drop_nulls()))
    keyed = pl.concat([resolver.chains, _keyed_documents(docs, resolver)], how="vertical_relaxed").sort(
        "security_id", "date", pl.col("kind") != _SEC, "path", "page", "line", nulls_last=True
    )
    securities = _spans(keyed)
    return Master(securities, _changes(securities), keyed)


def _chains(sec: pl.DataFrame) -> pl.DataFrame:
    """The SEC sightings with the `security_id` of their chain (module docstring)."""
    maps = sec.sort("date", "cik", "ticker")
    chain_of: dict[tuple[int, str], int] = {}  # (cik, ticker) -> chain number, as of the last map seen
    first_ticker: list[str] = []
    cik_of: list[int] = []
    is_root: list[bool] = []  # a chain that began as a root line (not a warrant, unit, preferred...)
    previous: dict[int, dict[str, str]] = {}  # cik -> {ticker: rest} in the last map that listed it
    out: list[int] = []  # each sighting's chain, in the maps' order
    rows = list(zip(maps["date"].to_list(), maps["cik"].to_list(), maps["ticker"].to_list(), strict=True))
    for (_, cik), group in groupby(rows, key=lambda r: (r[0], r[1])):
        now = [ticker for _, _, ticker in group]
        before = previous.get(cik, {})
        if len(now) == len(before) and all(t in before for t in now):
            out.extend(chain_of[(cik, t)] for t in now)  # the same tickers as the last map: the same lines
            continue
        rests = _rests(now)
        gone = [t for t in before if t not in rests]
        new = [t for t in now if t not in before]
        for old_rest in {before[t] for t in gone}:
            left = [t for t in gone if before[t] == old_rest]
            came = [t for t in new if rests[t] == old_rest]
            if len(left) == 1 and len(came) == 1:  # the same line under a new ticker
                chain_of[(cik, came[0])] = chain_of.pop((cik, left[0]))
        for ticker in now:
            if (cik, ticker) not in chain_of:
                chain_of[(cik, ticker)] = len(first_ticker)
                first_ticker.append(ticker)
                cik_of.append(cik)
                is_root.append(rests[ticker] == "")
        for ticker in gone:
            chain_of.pop((cik, ticker), None)
        previous[cik] = rests
        out.extend(chain_of[(cik, t)] for t in now)
    # A CIK's one root line is `CIK<cik>`; its other lines, and each of several roots (`BRK.A`, `BRK.B`),
    # `CIK<cik>:<first ticker>`.
    roots: dict[int, int] = {}
    for cik, root in zip(cik_of, is_root, strict=True):
        roots[cik] = roots.get(cik, 0) + root
    ids = [
        f"CIK{cik}" if is_root[n] and roots[cik] == 1 else f"CIK{cik}:{first_ticker[n]}"
        for n, cik in enumerate(cik_of)
    ]
    return maps.with_columns(security_id=pl.Series([ids[n] for n in out], dtype=pl.String))


def _rests(tickers: list[str]) -> dict[str, str]:
    """Each ticker of one CIK in one map with the rest of it after its root (the shortest of the CIK's
    tickers it begins with; itself when none: rest `""`)."""
    ordered = sorted(tickers, key=len)
    out = {}
    for ticker in tickers:
        root = next((r for r in ordered if len(r) < len(ticker) and ticker.startswith(r)), ticker)
        out[ticker] = ticker[len(root) :]
    return out


def _keyed_documents(docs: pl.DataFrame, resolver: Resolver) -> pl.DataFrame:
    """The documents' sightings with their `security_id`: the SEC chain their ticker stands for on their
    date, else the ticker's own, split where a re-used ticker's names tell two companies apart."""
    # On one date a deletion comes before an addition (a ticker left by one company and taken by another
    # at one review), and both before the lists and files that show the result.
    order = pl.col("kind").replace_strict(
        _SAME_DAY_ORDER, default=len(_SAME_DAY_ORDER), return_dtype=pl.Int64
    )
    rows = docs.sort("date", order, "path", "page", "line", nulls_last=True).to_dicts()
    own: dict[str, tuple[int, str | None]] = {}  # ticker -> (how many companies so far, the last name)
    keys = []
    for row in rows:
        row["ticker"] = resolver.ticker_form(row["ticker"], row["kind"])
        key = resolver.key(row["ticker"], row["date"], row["company"])
        if key is None:
            n, name = own.get(row["ticker"], (0, None))
            if n == 0 or not same_company(name, row["company"], row["ticker"]):
                n += 1
            own[row["ticker"]] = (n, row["company"] or name)
            key = f"TICKER:{row['ticker']}" + (f"#{n}" if n > 1 else "")
        keys.append(key)
    schema = {**SIGHTING_COLUMNS, "security_id": pl.String}
    return (
        pl.DataFrame([{**r, "security_id": k} for r, k in zip(rows, keys, strict=True)], schema=schema)
        if rows
        else pl.DataFrame(schema=schema)
    )


_SAME_DAY_ORDER = {"deletion": 0, "addition": 1, "membership_list": 2, "universe": 3, "holdings": 4}
_EVIDENCE = ["kind", "path", "page", "line"]


def _spans(keyed: pl.DataFrame) -> pl.DataFrame:
    """SECURITY_COLUMNS: each security's runs of one ticker, in date order."""
    run = (pl.col("ticker") != pl.col("ticker").shift(1)).over("security_id").fill_null(True).cum_sum()
    runs = (
        keyed.with_columns(_run=run)
        .group_by("security_id", "_run", maintain_order=True)
        .agg(
            pl.col("cik").drop_nulls().first(),
            pl.col("ticker").first(),
            # the name printed on the run's last day (an SEC map's first: the sightings are in that order)
            company=pl.col("company").filter(pl.col("date") == pl.col("date").max()).first(),
            _class=pl.col("company").str.extract(r"(?i)\b(?:class|series)\s+([A-Z])\b").drop_nulls().first(),
            first_seen=pl.col("date").first(),
            last_seen=pl.col("date").last(),
            sightings=pl.len().cast(pl.Int64),
            **{f"first_{c}": pl.col(c).first() for c in _EVIDENCE},
            **{f"last_{c}": pl.col(c).last() for c in _EVIDENCE},
        )
    )
    # A security's first ticker is in force since before any evidence, unless another security held that
    # ticker before it (a reused ticker): then from its first sighting, so no date has two holders.
    held_before = pl.col("first_seen") > pl.col("first_seen").min().over("ticker")
    first = (pl.col("_run") == pl.col("_run").min().over("security_id")) & ~held_before
    by_ticker = runs.sort("ticker", "first_seen", "security_id")
    nxt = {c: pl.col(c).shift(-1).over("ticker") for c in ("security_id", "first_seen")}
    runs = by_ticker.with_columns(
        _taken=pl.when(nxt["security_id"] != pl.col("security_id")).then(nxt["first_seen"])
    ).sort("security_id", "_run")
    return (
        runs.with_columns(
            cik=pl.col("cik").drop_nulls().first().over("security_id"),
            company=pl.col("company").drop_nulls().last().over("security_id"),
            share_class=pl.coalesce(
                pl.col("ticker").str.extract(r"\.([A-Z])$"), pl.col("_class").str.to_uppercase()
            ),
            valid_from=pl.when(~first).then(pl.col("first_seen")),
            # until its next ticker, or until another security takes this one (a reused ticker)
            valid_to=pl.min_horizontal(pl.col("first_seen").shift(-1).over("security_id"), "_taken"),
        )
        .select(list(SECURITY_COLUMNS))
        .cast(SECURITY_COLUMNS)
        .sort("security_id", pl.col("first_seen"))
    )


def _changes(securities: pl.DataFrame) -> pl.DataFrame:
    """TICKER_CHANGE_COLUMNS: each security's ticker changes, then each ticker that passed to another."""
    nxt = {
        c: pl.col(c).shift(-1).over("security_id")
        for c in ("ticker", "first_seen", "first_path", "first_kind")
    }
    renamed = (
        securities.with_columns(
            _next=nxt["ticker"], _seen=nxt["first_seen"], _path=nxt["first_path"], _kind=nxt["first_kind"]
        )
        .filter(pl.col("_next").is_not_null())
        .select(
            kind=pl.lit("renamed"),
            security_id="security_id",
            previous_security_id=pl.lit(None, pl.String),
            cik="cik",
            company="company",
            old_ticker="ticker",
            new_ticker="_next",
            old_last_seen="last_seen",
            new_first_seen="_seen",
            old_path="last_path",
            new_path="_path",
            evidence=pl.when(pl.col("cik").is_not_null())
            .then(
                pl.format(
                    "CIK {} printed as {} through {} ({}), as {} from {} ({})",
                    "cik",
                    "ticker",
                    "last_seen",
                    "last_path",
                    "_next",
                    "_seen",
                    "_path",
                )
            )
            .otherwise(pl.format("{} through {}, {} from {}", "ticker", "last_seen", "_next", "_seen")),
        )
    )
    by_ticker = securities.sort("ticker", "first_seen", "security_id")
    before = {
        c: pl.col(c).shift(1).over("ticker") for c in ("security_id", "last_seen", "last_path", "company")
    }
    reused = (
        by_ticker.with_columns(
            _previous=before["security_id"],
            _left=before["last_seen"],
            _left_path=before["last_path"],
            _was=before["company"],
        )
        .filter(pl.col("_previous").is_not_null() & (pl.col("_previous") != pl.col("security_id")))
        .select(
            kind=pl.lit("reused"),
            security_id="security_id",
            previous_security_id="_previous",
            cik="cik",
            company="company",
            old_ticker="ticker",
            new_ticker="ticker",
            old_last_seen="_left",
            new_first_seen="first_seen",
            old_path="_left_path",
            new_path="first_path",
            evidence=pl.format(
                "{} was {}'s ({}) through {}, {}'s ({}) from {}",
                "ticker",
                "_was",
                "_previous",
                "_left",
                "company",
                "security_id",
                "first_seen",
            ),
        )
    )
    return (
        pl.concat([renamed, reused]).cast(TICKER_CHANGE_COLUMNS).sort("new_first_seen", "security_id", "kind")
    )


def sightings(
    sec: pl.DataFrame,
    constituents: pl.DataFrame,
    changes: pl.DataFrame,
    universe: pl.DataFrame,
    holdings: pl.DataFrame,
    sources: pl.DataFrame,
) -> pl.DataFrame:
    """SIGHTING_COLUMNS of the lake's document tables: `sec_tickers`, `constituents`,
    `constituent_changes`, `universe_securities`, `fund_holdings` (its listed rows) and the
    `source_documents` that give each its path."""
    paths = sources.select(pl.col("sha256").alias("source_sha256"), "path").unique("source_sha256")
    none_int = pl.lit(None, pl.Int64)

    def seen(frame: pl.DataFrame, kind: pl.Expr, ticker: str, page: pl.Expr, cik: pl.Expr) -> pl.DataFrame:
        return (
            frame.join(paths, on="source_sha256", how="left")
            .select(
                date="as_of_date",
                ticker=ticker,
                company="company",
                cik=cik,
                kind=kind,
                path="path",
                sha256="source_sha256",
                page=page,
                line="source_line",
            )
            .cast(SIGHTING_COLUMNS)
        )

    return pl.concat(
        [
            seen(sec, pl.lit(_SEC), "ticker", none_int, pl.col("cik")),
            seen(constituents, pl.lit("membership_list"), "symbol", pl.col("source_page"), none_int),
            seen(changes, pl.col("change"), "symbol", pl.col("source_page"), none_int),
            seen(universe, pl.lit("universe"), "symbol", none_int, none_int),
            seen(
                holdings.filter("listed").with_columns(pl.col("ticker").str.to_uppercase()),
                pl.lit("holdings"),
                "ticker",
                none_int,
                none_int,
            ),
        ]
    ).filter(pl.col("ticker").is_not_null() & (pl.col("ticker") != ""))


def ticker_on(securities: pl.DataFrame, day: date) -> pl.DataFrame:
    """security_id, ticker: the ticker each security is known by on `day` (its span covering the day)."""
    covers = (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day)) & (
        pl.col("valid_to").is_null() | (pl.col("valid_to") > day)
    )
    return securities.filter(covers).select("security_id", "ticker")
