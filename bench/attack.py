"""An attack on a built lake, from outside, through the CLI: does every guarantee hold?

    .venv/bin/python bench/attack.py [--kills 4] [--seed 7] [--dir /tmp]

Builds a lake of the sample documents and a small synthetic market folder (120 stocks to
2020-03-31) in a temporary folder, then runs each attack on it and checks what a user would see:
- kills: `build` after a market extension, SIGKILLed from outside at a random moment, and at the
  moment a new Delta commit appears (the log folder watched); the views must still show the previous
  build whole, then `build` again must exit 0 and leave the tables of a fresh build;
- a write killed between two tables (`RUSSELL_FAULT=market_prices:committed`) and the input put
  back as it was: the next build must rebuild market data, not call it up to date;
- hostile inputs: `EXPLAIN ANALYZE COPY` into the lake, a compressed text-layer bomb, a price dated
  2035, a file name with a newline, a corrupt Delta log, a mirror answering an endless body, and 64
  bytes flipped in a data file (found by `build`, and with the file's time put back, by `verify`);
each with its wall time and its peak memory (the child's, from getrusage). It prints one line per
attack, `held` or `FAILED` with what was seen, and the totals. Exit 1 when anything failed.
"""

from __future__ import annotations

import argparse
import http.server
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

MARKET_END = date(2020, 3, 31)
TABLES = (
    "source_documents",
    "constituent_changes",
    "recon_calendar",
    "market_prices",
    "quarterly_weights",
    "index_levels",
)


class Lab:
    """A lake, its market folder and its Dagster home, driven through the CLI."""

    def __init__(self, where: Path, name: str):
        from russell_pipeline.lib.market.contract import write_market_data
        from russell_pipeline.lib.market.synthetic import synthetic_market_data

        self.root, self.market = where / name, where / f"{name}_market"
        shutil.copytree(ROOT / "data_lake" / "raw", self.root / "raw")
        write_market_data(synthetic_market_data(MARKET_END, n_stocks=120), self.market)
        self.env = {
            **os.environ,
            "RUSSELL_DATA_LAKE": str(self.root),
            "RUSSELL_MARKET_DATA": str(self.market),
            "DAGSTER_HOME": str(where / f"{name}_home"),
        }

    def cli(self, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
        """Run `russell-pipeline ARGS`; (its result, {seconds, peak_mb}): the child's own peak (wait4)."""
        command = [sys.executable, "-m", "russell_pipeline.cli", *args]
        started = time.monotonic()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            child = subprocess.Popen(command, stdout=out, stderr=err, env={**self.env, **(env or {})})
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            done = subprocess.CompletedProcess(
                command, child.returncode, out.read().decode(), err.read().decode()
            )
        return done, {
            "seconds": round(time.monotonic() - started, 1),
            "peak_mb": round(usage.ru_maxrss / 1024),
        }

    def start_build(self, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "russell_pipeline.cli", "build"],
            env={**self.env, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def contents(self) -> dict:
        from russell_pipeline.lake.lake_root import Lake

        lake = Lake(self.root)
        return {t: sorted(lake.warehouse.query(f'SELECT * FROM "{t}"').rows(), key=repr) for t in TABLES}

    def extend_market(self, end: date) -> None:
        from russell_pipeline.lib.market.contract import write_market_data
        from russell_pipeline.lib.market.synthetic import synthetic_market_data

        write_market_data(synthetic_market_data(end, n_stocks=120), self.market)


def _commits(root: Path) -> int:
    return sum(1 for _ in (root / "lake").glob("*/_delta_log/*.json"))


def _kill(lab: Lab, fresh: dict, end: date, when) -> tuple[bool, str]:
    """Extend the market to `end`, start `build`, SIGKILL it once `when(run)` returns (if it is still
    running), build again: held when the views after the kill still show the previous build whole
    (a killed build publishes nothing) and the next build exits 0 with the tables of a fresh build."""
    previous = lab.contents()
    lab.extend_market(end)
    run = lab.start_build()
    moment = when(run)
    killed = run.poll() is None
    if killed:
        run.send_signal(signal.SIGKILL)
    run.wait()
    whole = not killed or lab.contents() == previous
    again, _ = lab.cli("build")
    views = "the previous build whole" if whole else "MIXED"
    return (
        whole and again.returncode == 0 and lab.contents() == fresh,
        (
            f"killed {moment} ({'in flight' if killed else 'already done'}); "
            f"views {views}; rebuild rc {again.returncode}"
        ),
    )


def _kill_random(lab: Lab, rng: random.Random, fresh: dict, end: date) -> tuple[bool, str]:
    delay = rng.uniform(0.5, 25.0)

    def wait(_run) -> str:
        time.sleep(delay)
        return f"after {delay:.1f} s"

    return _kill(lab, fresh, end, wait)


def _kill_at_commit(lab: Lab, rng: random.Random, fresh: dict, end: date) -> tuple[bool, str]:
    start, wanted = _commits(lab.root), rng.randint(1, 12)

    def watch(run) -> str:
        while run.poll() is None and _commits(lab.root) < start + wanted:
            time.sleep(0.005)
        return f"right after commit {wanted} of the build"

    return _kill(lab, fresh, end, watch)


class _Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.end_headers()
        chunk = b"%PDF-1.7\n" + b"A" * 65_526
        try:
            for _ in range(100_000):  # 6.5 GB at most
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


Attack = tuple[str, bool, str]  # (what was done, whether the guarantee held, what was seen)


def _killed_between_tables(lab: Lab, where: Path, expected: dict) -> Attack:
    """A write killed between two tables, then the input put back as it was."""
    saved = where / "saved_market"
    shutil.copytree(lab.market, saved)
    lab.extend_market(date(2020, 8, 31))
    killed, _ = lab.cli("build", env={"RUSSELL_FAULT": "market_prices:committed"})
    shutil.rmtree(lab.market)
    shutil.copytree(saved, lab.market)
    again, _ = lab.cli("build")
    rebuilt = "market_data: up to date" not in again.stdout
    return (
        "killed between two tables, input put back",
        killed.returncode == -signal.SIGKILL
        and again.returncode == 0
        and rebuilt
        and lab.contents() == expected,
        (
            f"kill rc {killed.returncode}, next build rc {again.returncode}, "
            f"{'rebuilt market data' if rebuilt else 'said up to date'}"
        ),
    )


def _copy_into_the_lake(lab: Lab, where: Path, expected: dict) -> Attack:
    """EXPLAIN ANALYZE COPY into the lake."""
    target = lab.root / "lake" / "index_levels" / "x.parquet"
    done, _ = lab.cli("query", f"EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{target}'")
    return (
        "EXPLAIN ANALYZE COPY into the lake",
        done.returncode != 0 and not target.exists(),
        f"rc {done.returncode}: {done.stderr.strip()[:160]}",
    )


def _text_layer_bomb(lab: Lab, where: Path, expected: dict) -> Attack:
    """A compressed text-layer bomb."""
    from russell_pipeline_tests.helpers import text_layer_bomb

    bomb = where / "ru3000-additions-20250627.pdf"
    bomb.write_bytes(text_layer_bomb(300_000_000))
    _, small_cost = lab.cli("parse", str(min((ROOT / "data_lake" / "raw" / "2023").iterdir())))
    done, cost = lab.cli("parse", str(bomb))
    return (
        "text-layer bomb (405 KB, 300 M characters)",
        done.returncode == 1
        and done.stderr.count("\n") == 1
        and (cost["peak_mb"] or 0) < 1000
        and cost["seconds"] <= small_cost["seconds"] + 10,
        (
            f"rc {done.returncode} in {cost['seconds']} s, peak {cost['peak_mb']} MB (a small list: "
            f"{small_cost['seconds']} s): {done.stderr.strip()[:120]}"
        ),
    )


def _future_price(lab: Lab, where: Path, expected: dict) -> Attack:
    """A price from the future."""
    import polars as pl

    prices = lab.market / "prices.parquet"
    original = pl.read_parquet(prices)
    future = pl.concat([original, original.head(1).with_columns(date=pl.lit(date(2035, 12, 31)))])
    future.write_parquet(prices)
    done, _ = lab.cli("build")
    original.write_parquet(prices)
    lab.cli("build")
    return (
        "a price dated 2035-12-31",
        done.returncode == 1 and "from the future" in done.stdout + done.stderr,
        f"rc {done.returncode}",
    )


def _newline_in_a_name(lab: Lab, where: Path, expected: dict) -> Attack:
    """A file name with a newline."""
    odd = lab.root / "raw" / "2023" / "adds\n2023.txt"
    odd.write_text("Russell 2000 Index - Additions\nCompany\tSymbol\tSector\nACME\tACME\tEnergy\n")
    done, _ = lab.cli("build")
    odd.unlink()
    lab.cli("build")
    said = [ln for ln in (done.stdout + done.stderr).splitlines() if "control or bidi character" in ln]
    return (
        "a file name with a newline",
        done.returncode == 1 and bool(said),
        f"rc {done.returncode}: " + (said[-1].strip()[-110:] if said else "nothing said"),
    )


def _corrupt_delta_log(lab: Lab, where: Path, expected: dict) -> Attack:
    """A corrupt Delta log, then the folder moved aside."""
    log = max((lab.root / "lake" / "index_levels" / "_delta_log").glob("*.json"))
    log.write_text('{"add": garbage')
    broken, _ = lab.cli("build")
    shutil.move(lab.root / "lake" / "index_levels", where / "index_levels.corrupt")
    repaired, _ = lab.cli("build")
    return (
        "a corrupt Delta log",
        broken.returncode == 1
        and "Traceback" not in broken.stdout + broken.stderr
        and repaired.returncode == 0
        and lab.contents() == expected,
        (
            f"rc {broken.returncode} with one line per failure, "
            f"repaired by moving it aside: rc {repaired.returncode}"
        ),
    )


def _endless_mirror(lab: Lab, where: Path, expected: dict) -> Attack:
    """A mirror answering an endless body."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sources = where / "sources.csv"
    sources.write_text(
        "recon_year,review,kind,index_name,stage,file,url,archive_stamp,confidence,note\n"
        "2023,2023-06,additions,Russell 3000,final,endless.pdf,https://files.test/endless.pdf,"
        "20230701,seen,attack\n"
    )
    done, cost = lab.cli(
        "fetch",
        "2023",
        "--sources",
        str(sources),
        "--mirror",
        f"http://127.0.0.1:{server.server_address[1]}",
        "--timeout",
        "10",
        env={"RUSSELL_MAX_PDF_MB": "50"},
    )
    server.shutdown()
    leftovers = list((lab.root / "raw" / "2023").glob(".fetch-*"))
    return (
        "a mirror sending an endless body",
        done.returncode != 0
        and (cost["peak_mb"] or 0) < 1000
        and not leftovers
        and not (lab.root / "raw" / "2023" / "endless.pdf").exists(),
        f"rc {done.returncode} in {cost['seconds']} s, peak {cost['peak_mb']} MB",
    )


def _flipped(how: str):
    """64 bytes flipped in a data file: build finds it by its changed stamp; with the file's time put
    back, only `verify` (every byte) can, and the next build rebuilds it."""

    def attack(lab: Lab, where: Path, expected: dict) -> Attack:
        from russell_pipeline_tests.helpers import flip_bytes

        files = (lab.root / "lake" / "index_levels").rglob("*.parquet")
        # a data file: not a checkpoint of the Delta log, which no commit records a checksum of
        data = max((f for f in files if "_delta_log" not in f.parts), key=lambda f: f.stat().st_mtime)
        flip_bytes(data, restore_time=how == "verify")
        found, _ = lab.cli(how)
        done, _ = lab.cli("build") if how == "verify" else (found, None)
        said = [ln for ln in (found.stdout + found.stderr).splitlines() if ln.startswith(f"{data}: ")]
        return (
            f"64 bytes flipped in an index_levels file, found by {how}",
            bool(said)
            and "sha256 mismatch" in said[0]
            and done.returncode == 0
            and lab.contents() == expected,
            (
                f"{how} rc {found.returncode}: {said[0][-90:] if said else 'nothing said'}; rebuilt equal to "
                f"a fresh build: {lab.contents() == expected}"
            ),
        )

    return attack


# After the kills, in this order, each on the lake the one before left.
ATTACKS = (
    _killed_between_tables,
    _copy_into_the_lake,
    _text_layer_bomb,
    _future_price,
    _newline_in_a_name,
    _corrupt_delta_log,
    _endless_mirror,
    _flipped("build"),
    _flipped("verify"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kills", type=int, default=4, help="random kills and kills at a commit, each (default 4)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", default=None, help="where the temporary lakes go")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    where = Path(tempfile.mkdtemp(prefix="attack.", dir=args.dir))
    results: list[Attack] = []

    def record(name: str, held: bool, seen: str) -> None:
        results.append((name, held, seen))
        print(f"{'held  ' if held else 'FAILED'}  {name}: {seen}", flush=True)

    try:
        lab, fresh_lab = Lab(where, "lake"), Lab(where, "fresh")
        assert lab.cli("build")[0].returncode == 0, "the first build failed"
        # Fresh builds of each market end the kills extend to: what a killed and rebuilt lake must equal.
        ends = [date(2020, 4, 30), date(2020, 5, 29), date(2020, 6, 30), date(2020, 7, 31)]
        expected = {}
        for end in ends:
            fresh_lab.extend_market(end)
            assert fresh_lab.cli("build")[0].returncode == 0
            expected[end] = fresh_lab.contents()
        for k in range(args.kills):
            end = ends[k % len(ends)]
            record(f"random kill {k + 1}", *_kill_random(lab, rng, expected[end], end))
            record(f"kill at a commit {k + 1}", *_kill_at_commit(lab, rng, expected[end], end))
        last = ends[(args.kills - 1) % len(ends)] if args.kills else MARKET_END
        for attack in ATTACKS:
            record(*attack(lab, where, expected[last]))
    finally:
        shutil.rmtree(where, ignore_errors=True)
    failed = [name for name, held, _ in results if not held]
    print(
        f"attacks: {len(results) - len(failed)} held, {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
