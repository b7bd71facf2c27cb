"""The verbs of the lake itself: build, verify, query and fetch."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl

from russell_pipeline.cli.common import emit, open_lake, write_out
from russell_pipeline.lib.errors import LakeError
from russell_pipeline.settings import Settings

if TYPE_CHECKING:
    from russell_pipeline.lake.lake_root import Lake


def cmd_build(args, settings: Settings) -> int:
    from russell_pipeline.runner.build import build

    lake = open_lake(settings)
    if lake.location is None and not lake.root.is_dir():
        if not (args.init or not settings.data_lake_named):
            raise LakeError(
                f"{lake.root}: the lake folder (RUSSELL_DATA_LAKE) does not exist; create it, or run "
                "`russell-pipeline build --init` to start a new lake there"
            )
        lake.root.mkdir(parents=True)
        print(f"created the lake folder {lake.root}")
    return build(settings, verbose=args.verbose)


def cmd_verify(args, settings: Settings) -> int:
    """Every byte of every table's current files against its commit's checksum; a damaged file is one
    line, and its partition is marked out of date so the next `build` rebuilds it from its inputs."""
    from russell_pipeline.lake import checksums

    lake = open_lake(settings)
    if not lake.tables.names():
        raise LakeError(f"{lake.tables.folder}: no tables yet: run `russell-pipeline build` first")
    with lake.lock.hold():
        # The logs first: a table whose log cannot be read, or no longer holds the version readers are
        # shown (an entry deleted), is what `query` and `build` would trip on.
        logs = [ln for ln in lake.tables.damaged() if "its Delta log cannot be read" in ln]
        logs += lake.warehouse.unpublishable() + lake.lineage.changed_outside()
        damage, unrecorded, count = checksums.check(lake, every_byte=True)
        lines = checksums.forget(lake, damage)
    for line in logs:
        print(line, file=sys.stderr)
    for line in lines:
        print(f"{line} by the next `russell-pipeline build`", file=sys.stderr)
    for table in unrecorded:
        print(
            f"note: {lake.tables.folder / table}: files with no checksum yet (written before checksums were "
            "kept, or by `fetch`); the next build records them",
            file=sys.stderr,
        )
    print(
        f"verify: {count} files checked, {len(damage)} damaged"
        + (f"; {len(logs)} table log problem(s)" if logs else "")
    )
    return 1 if damage or logs else 0


def cmd_query(args, settings: Settings) -> int:
    """The statement's rows as it selects them (a priced table's `price_source` column is there to select);
    a note on stderr names the tables it reads whose rows rest on the synthetic feed."""
    lake = open_lake(settings)
    result = lake.warehouse.query(args.sql, timeout=args.timeout or None)
    synthetic = _synthetic_tables(lake, args.sql)  # before the answer: a log it cannot read is one line
    if args.format != "table":
        emit(result, args.format)
    else:
        with pl.Config(tbl_rows=args.max_rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
            write_out(f"{result}\n".encode())  # a table of --max-rows rows can be large
    if synthetic:
        from russell_pipeline.lib.market.provenance import synthetic_note

        print(synthetic_note(f"the rows of {', '.join(synthetic)}"), file=sys.stderr)
    return 0


def _synthetic_tables(lake: Lake, sql: str) -> list[str]:
    """The published tables `sql` names (its identifiers, by DuckDB's tokenizer) holding rows that rest on
    the synthetic feed."""
    import duckdb

    from russell_pipeline.lake.market_tables import on_synthetic_prices

    tokens = duckdb.tokenize(sql)
    ends = [start for start, _ in tokens[1:]] + [len(sql)]
    named = {
        sql[start:end].strip().strip('"').lower()
        for (start, kind), end in zip(tokens, ends, strict=True)
        if kind == duckdb.token_type.identifier
    }
    return on_synthetic_prices(lake, named)


def cmd_fetch(args, settings: Settings) -> int:
    from russell_pipeline.lake.document_tables import fetch_years
    from russell_pipeline.lib.fetch.download import Client
    from russell_pipeline.lib.fetch.fetcher import MANIFEST
    from russell_pipeline.lib.fetch.registry import load_registry, parse_years
    from russell_pipeline.lib.fetch.ticker_map import fetch_ticker_map

    years = parse_years(args.years)
    registry = load_registry(args.sources)
    mirror = args.mirror if args.mirror is not None else settings.mirror
    client = Client(mirror=mirror, timeout=args.timeout, max_bytes=settings.limits.pdf_bytes)
    lake = open_lake(settings)
    print(
        f"fetch {args.years}: {sum(d.recon_year in years for d in registry)} documents in the source registry"
        + (f", read through the mirror {mirror}" if mirror else ""),
        flush=True,
    )

    def report(outcome) -> None:
        print(outcome.line, flush=True)
        if outcome.status == "failed":
            print(f"error: {outcome.failure_line}", file=sys.stderr, flush=True)

    outcomes = fetch_years(lake, years, registry, client, report)
    today = datetime.now(UTC).date()
    if today.year in years:  # today's SEC ticker map, dated by the day it is saved (lib/fetch/ticker_map.py)
        found = fetch_ticker_map(lake.raw, client, today, settings.sec_contact)
        lake.push_raw()
        report(found)
        outcomes.append(found)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("fetched", "present", "failed")}
    print(
        f"fetch: {counts['fetched']} fetched, {counts['present']} already present, {counts['failed']} "
        f"failed; files in {lake.raw}, listed in the {MANIFEST} table"
    )
    return 1 if counts["failed"] else 0
