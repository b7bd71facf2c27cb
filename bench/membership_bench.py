"""How long do the membership tables and their staleness check take on a full history?

    .venv/bin/python bench/membership_bench.py [--indexes 4] [--members 3000] [--years 2010..2026]

Builds, per index and year, a membership list and final addition/deletion lists with 10%
turnover (plus preliminary lists, so list_revisions has work), then times `membership_tables`
(every table the asset writes) and the digest `build` computes to decide whether to run it. The
first two indexes are named Russell 3000 and Russell 2000, so the derived Russell 1000 has work.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date

import polars as pl

from russell_pipeline.lib.calendar.projection import LAST_YEAR, project_calendar
from russell_pipeline.lib.documents.reading import CHANGE_COLUMNS, CONSTITUENT_COLUMNS
from russell_pipeline.lib.membership.history import membership_tables
from russell_pipeline.planning import digests


def synthetic_lists(indexes: int, members: int, years: range, seed: int = 7):
    rng = random.Random(seed)
    lists, changes, sources = [], [], []
    for i in range(indexes):
        index = {0: "Russell 3000", 1: "Russell 2000"}.get(i, f"Russell Bench {i}")
        pool, current = iter(range(10**7)), set()
        current = {f"S{next(pool)}" for _ in range(members)}
        for year in years:
            leaving = set(rng.sample(sorted(current), members // 10)) if year > years[0] else set()
            joining = {f"S{next(pool)}" for _ in leaving}
            current = (current - leaving) | joining
            docs = {
                "membership": (date(year, 6, 24), None, current),
                "addition": (date(year, 6, 23), "final", joining),
                "deletion": (date(year, 6, 23), "final", leaving),
                "preliminary": (date(year, 6, 2), "preliminary", set(list(joining)[: len(joining) // 2])),
            }
            for kind, (as_of, stage, symbols) in docs.items():
                sha = f"{index}-{year}-{kind}"
                sources.append((year, sha, f"raw/{year}/{sha}.pdf"))
                for line, symbol in enumerate(sorted(symbols)):
                    row = (year, as_of, index, f"{symbol} INC", symbol, sha, 1 + line // 50, 5 + line % 50)
                    if kind == "membership":
                        lists.append(row)
                    else:
                        change = "deletion" if kind == "deletion" else "addition"
                        changes.append(
                            (
                                year,
                                index,
                                change,
                                stage,
                                f"{symbol} INC",
                                symbol,
                                None,
                                None,
                                as_of,
                                sha,
                                1 + line // 50,
                                5 + line % 50,
                            )
                        )
    return (
        pl.DataFrame(lists, schema=CONSTITUENT_COLUMNS, orient="row"),
        pl.DataFrame(changes, schema=CHANGE_COLUMNS, orient="row"),
        pl.DataFrame(
            sources, schema={"recon_year": pl.Int64, "sha256": pl.String, "path": pl.String}, orient="row"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--indexes", type=int, default=4)
    parser.add_argument("--members", type=int, default=3000)
    # The years fetch's registry has lists for (docs/performance.md's figures), not the calendar's 1989 start.
    parser.add_argument("--years", default="2010..2026")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split(".."))
    years = range(first, last + 1)
    constituents, changes, sources = synthetic_lists(args.indexes, args.members, years)
    calendar = pl.concat([project_calendar(y) for y in range(first, min(last + 1, LAST_YEAR) + 1)])
    started = time.perf_counter()
    tables = membership_tables(constituents, changes, sources, calendar)
    built = time.perf_counter() - started
    started = time.perf_counter()
    digests.membership_inputs(
        {
            "constituents": constituents,
            "constituent_changes": changes,
            "source_documents": sources,
            "recon_calendar": calendar,
        }
    )
    digested = time.perf_counter() - started
    print(
        f"{args.indexes} indexes x {len(years)} years x {args.members} members: "
        f"{constituents.height:,} list rows, {changes.height:,} change rows"
    )
    print(
        f"membership_tables: {built:.2f} s ({tables.history.height:,} intervals, "
        f"{tables.in_force.height:,} rows in force, {tables.reconciliation.height:,} differences, "
        f"{tables.revisions.height:,} revisions)"
    )
    print(f"input digest (what build checks each run): {digested:.3f} s")


if __name__ == "__main__":
    main()
