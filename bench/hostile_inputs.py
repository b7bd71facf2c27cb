"""Hostile inputs at full size: refused or validated within bounded time and memory?

    .venv/bin/python bench/hostile_inputs.py [--dir /tmp] [--prices-gb 1.2] [--text-mb 200]

Creates, in a temporary folder that is removed at the end:
- raw/2024/ holding a 200 MB text file of list-like rows (refused by its size before it is read),
  then the same size of binary data (refused from its first bytes);
- a market-data folder whose prices.csv is 1.2 GB of contract rows (date,symbol,close,currency:
  8,600 symbols on every NYSE session from 2005), validated into Parquet by streaming;
  then the same file with a Saturday row at the end, and with the first row's key repeated at
  the end (the one line names the rows).
Each case runs in a fresh subprocess that reports its wall time and peak RSS (VmHWM from
/proc/self/status: its own peak, not inherited from this process). Targets: a hostile document
refused in under 2 s and 200 MB; the 1.2 GB CSV under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

SYMBOLS = 8600


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _case(kind: str, path: Path) -> dict:
    """One measured run (in a fresh subprocess): the imports are outside the timing."""
    from russell_pipeline.lib.documents.ingest import ingest_year
    from russell_pipeline.lib.errors import InputError
    from russell_pipeline.lib.market.contract import validate_market_data

    started = time.perf_counter()
    try:
        if kind == "baseline":
            pass
        elif kind == "documents":
            ingest_year(path, 2024)
        else:
            validate_market_data(path, path / "validated")
        outcome = "accepted"
    except InputError as err:
        outcome = str(err)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(_peak_mb()),
        "outcome": outcome,
    }


def _generate_text(path: Path, megabytes: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    row = "".join(f"COMPANY NUMBER {i} INC\tC{i:06d}\tTechnology\n" for i in range(20_000)).encode()
    with path.open("wb") as f:
        f.write(b"Russell 2000 Index - Additions\nCompany\tSymbol\tSector\n")
        while f.tell() < megabytes * 1e6:
            f.write(row)


def _generate_binary(path: Path, megabytes: float) -> None:
    with path.open("wb") as f:
        f.write(b"Russell 2000 Index\n")
        f.truncate(int(megabytes * 1e6))


def _generate_prices(folder: Path, gigabytes: float) -> None:
    """Contract rows on NYSE sessions, 200 sessions at a time (run in a subprocess: it peaks ~0.5 GB)."""
    import numpy as np
    import polars as pl

    from russell_pipeline.lib.sessions import sessions

    folder.mkdir(parents=True, exist_ok=True)
    days = sessions(date(2005, 1, 3), date(2035, 12, 31))
    symbols = pl.Series([f"S{i:04d}" for i in range(SYMBOLS)])
    rng = np.random.default_rng(1)
    with (folder / "prices.csv").open("wb") as f:
        f.write(b"date,symbol,close,currency\n")
        for k in range(0, len(days), 200):
            chunk = days[k : k + 200]
            pl.DataFrame(
                {
                    "date": pl.Series(chunk, dtype=pl.Date).repeat_by(SYMBOLS).explode(),
                    "symbol": pl.concat([symbols] * len(chunk)),
                    "close": np.round(rng.uniform(1, 500, SYMBOLS * len(chunk)), 4),
                    "currency": "USD",
                }
            ).write_csv(f, include_header=False)
            if f.tell() >= gigabytes * 1e9:
                break
    (folder / "shares.csv").write_text("date,symbol,shares,free_float\n2005-01-03,S0000,1000,1\n")
    (folder / "memberships.csv").write_text(
        "review,index,symbol,fraction\n2024-06,RUSSELL_2000_GROWTH,S0000,1\n"
    )


def _run(*args: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    result = json.loads(out) if out.strip() else {}
    return result | {"process_seconds": round(time.perf_counter() - started, 2)}


def _report(name: str, size: int, result: dict) -> None:
    print(
        f"{name:<40}{size / 1e6:>9,.0f} MB  {result['seconds']:>7.2f} s  (process "
        f"{result['process_seconds']:.2f} s)  peak {result['peak_mb']:>6,} MB"
    )
    print(f"    {result['outcome'][:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", help="where to create the big files (default: the system temp folder)")
    parser.add_argument("--text-mb", type=float, default=200)
    parser.add_argument("--prices-gb", type=float, default=1.2)
    parser.add_argument("--case", choices=["baseline", "documents", "market"], help=argparse.SUPPRESS)
    parser.add_argument("--generate", choices=["prices"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.case:
        print(json.dumps(_case(a.case, a.path)))
        return
    if a.generate:
        _generate_prices(a.path, a.prices_gb)
        return
    work = Path(tempfile.mkdtemp(prefix="hostile_inputs.", dir=a.dir))
    try:
        base = _run("--case", "baseline", "--path", str(work))
        print(f"baseline: a process with the pipeline imported peaks at {base['peak_mb']:,} MB")
        raw = work / "raw"
        text = raw / "2024" / "huge.txt"
        _generate_text(text, a.text_mb)
        _report(
            "text document (list-like rows)",
            text.stat().st_size,
            _run("--case", "documents", "--path", str(raw)),
        )
        text.unlink()
        blob = raw / "2024" / "huge-binary.txt"
        _generate_binary(blob, a.text_mb)
        _report(
            "binary data named .txt", blob.stat().st_size, _run("--case", "documents", "--path", str(raw))
        )
        blob.unlink()

        market = work / "market"
        t0 = time.perf_counter()
        _run("--generate", "prices", "--path", str(market), "--prices-gb", str(a.prices_gb))
        prices = market / "prices.csv"
        print(
            f"(generated {prices.stat().st_size / 1e9:.2f} GB of prices in {time.perf_counter() - t0:.0f} s)"
        )
        _report("prices CSV, valid", prices.stat().st_size, _run("--case", "market", "--path", str(market)))
        size = prices.stat().st_size
        with prices.open("a") as f:
            f.write("2024-06-01,S0001,10.5,USD\n")  # a Saturday, after every other row
        _report(
            "prices CSV, Saturday row at the end",
            prices.stat().st_size,
            _run("--case", "market", "--path", str(market)),
        )
        with prices.open("r+") as f:
            f.truncate(size)
            f.seek(size)
            f.write("2005-01-03,S0000,10.5,USD\n")  # the first row's key again
        _report(
            "prices CSV, first key again at the end",
            prices.stat().st_size,
            _run("--case", "market", "--path", str(market)),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
