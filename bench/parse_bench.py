"""Parse speed of the document reader on every PDF in a folder.

    python bench/parse_bench.py ../shared/real [--workers 2]

Prints pages, rows, seconds and pages/s per document in one process, then the
same documents spread over a process pool (one document per task), with
pages/s per core. The target is >= 40 pages/s per core. Then, in the same process,
the parser against pdfium's own text extraction (pypdfium2: open each document,
`get_textpage().get_text_range()` on every page), alternated `--repeat` times and
each the best of its runs, as wall time and as CPU time (this process and its
reading children: the steadier figure on a shared machine); the target is a wall
ratio >= 0.5. Then pdfplumber's `extract_words` on every page and the ratio of
the parser to it. The last lines are the stable figures:

    parser: 78 pages in X s = Y pages/s (CPU: C s)
    pypdfium2 text-only: 78 pages in X s = Z pages/s (CPU: C s)
    parser / pypdfium2 text-only: R wall, R' CPU (target wall >= 0.50: PASS)
    pdfplumber extract_words: 78 pages in X s = Z pages/s
    ratio: N x (parser pages/s / pdfplumber extract_words pages/s)

With `--cli`, it instead runs `russell-pipeline parse FILE` on each document, one fresh process each
and one after the other, as a user runs it (`--repeat` rounds, the best of each document kept), and
prints each one's pages, wall and CPU seconds (the process and its reading child), then the pages per
wall second over all of them; the target is >= 30 pages/s:

    parse, a process per document: 78 pages in X s = Y pages/s (CPU: C s)
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from russell_pipeline.lib.documents.reading import read_document


def parse_one(path: str) -> tuple[str, int, int, float]:
    start = time.perf_counter()
    doc = read_document(path)
    return Path(path).name, doc.pages, doc.rows.height, time.perf_counter() - start


def text_only(path: str) -> int:
    """pdfium's text of every page of one PDF, as plainly as pypdfium2 gives it; the pages."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        return len(doc)
    finally:
        doc.close()


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the parser's reading children)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def against_pdfium(paths: list[str], repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) seconds of the parser and of pypdfium2 text-only over all `paths`: runs
    alternated so both see the same machine, each the best of `repeat`."""
    best = {"parser": [float("inf")] * 2, "pdfium": [float("inf")] * 2}
    text_only(paths[0])
    for _ in range(repeat):
        for name, fn in (("parser", parse_one), ("pdfium", text_only)):
            wall, cpu = time.perf_counter(), _cpu()
            for p in paths:
                fn(p)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
    return tuple(best["parser"]), tuple(best["pdfium"])


def plumber_one(path: str) -> tuple[int, int]:
    """(pages, words) of pdfplumber's extract_words over every page of one PDF."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages), sum(len(page.extract_words()) for page in pdf.pages)


def one_process(path: str) -> tuple[int, float, float]:
    """(lines printed, wall seconds, CPU seconds of the process and its children) of `russell-pipeline
    parse PATH` in a fresh process (bytecode cached, as `make` leaves it)."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "russell_pipeline.cli", "parse", path, "--format", "csv"],
        capture_output=True,
        env=env,
        check=True,
    )
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return len(done.stdout.splitlines()), wall, cpu


def per_process(paths: list[str], repeat: int) -> int:
    """`russell-pipeline parse` of each document in a process of its own, the best of `repeat` rounds."""
    pages = {p: read_document(p).pages for p in paths}
    one_process(paths[0])  # the bytecode and the file cache warm
    best = {p: (float("inf"), float("inf")) for p in paths}
    for _ in range(repeat):
        for p in paths:
            _, wall, cpu = one_process(p)
            best[p] = (min(best[p][0], wall), min(best[p][1], cpu))
    print(f"{'document':45} {'pages':>5} {'wall s':>8} {'CPU s':>8}")
    for p in paths:
        print(f"{Path(p).name:45} {pages[p]:5d} {best[p][0]:8.2f} {best[p][1]:8.2f}")
    total, wall, cpu = sum(pages.values()), sum(w for w, _ in best.values()), sum(c for _, c in best.values())
    print(
        f"parse, a process per document: {total} pages in {wall:.2f} s = {total / wall:.1f} pages/s "
        f"(CPU: {cpu:.2f} s = {total / cpu:.1f} pages per CPU second; target >= 30 pages/s: "
        f"{'PASS' if total / wall >= 30 else 'FAIL'})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="runs of parser and pdfium each (best kept)")
    parser.add_argument("--cli", action="store_true", help="`russell-pipeline parse`, a process per document")
    args = parser.parse_args(argv)
    paths = sorted(str(p) for p in args.folder.glob("*.pdf"))
    if not paths:
        print(f"{args.folder}: no PDFs", file=sys.stderr)
        return 1
    if args.cli:
        return per_process(paths, args.repeat)

    print(f"{'document':45} {'pages':>5} {'rows':>6} {'seconds':>8} {'pages/s':>8}")
    parse_one(paths[0])  # warm caches (pdfium library load) outside the timing
    start = time.perf_counter()
    results = [parse_one(p) for p in paths]
    single = time.perf_counter() - start
    for name, pages, rows, secs in results:
        print(f"{name:45} {pages:5d} {rows:6d} {secs:8.3f} {pages / secs:8.1f}")
    total_pages = sum(r[1] for r in results)
    total_rows = sum(r[2] for r in results)
    print(
        f"{'single process':45} {total_pages:5d} {total_rows:6d} {single:8.3f} {total_pages / single:8.1f}"
        "  (pages/s per core)"
    )

    # spawn, not fork: polars' and pdfium's threads and locks do not survive a fork (the pool hangs).
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool:
        list(pool.map(parse_one, paths[: args.workers]))  # start and warm every worker
        start = time.perf_counter()
        pooled = list(pool.map(parse_one, paths))
        wall = time.perf_counter() - start
    assert [r[:3] for r in pooled] == [r[:3] for r in results], "pool and single process disagree"
    print(
        f"{f'process pool, {args.workers} workers':45} {total_pages:5d} {total_rows:6d} {wall:8.3f} "
        f"{total_pages / wall:8.1f}  ({total_pages / wall / args.workers:.1f} pages/s per core)"
    )

    (ours_wall, ours_cpu), (pdfium_wall, pdfium_cpu) = against_pdfium(paths, args.repeat)
    wall_ratio, cpu_ratio = pdfium_wall / ours_wall, pdfium_cpu / ours_cpu
    print(
        f"parser: {total_pages} pages in {ours_wall:.2f} s = {total_pages / ours_wall:.0f} pages/s "
        f"(CPU: {ours_cpu:.2f} s)"
    )
    print(
        f"pypdfium2 text-only: {total_pages} pages in {pdfium_wall:.2f} s = {total_pages / pdfium_wall:.0f} "
        f"pages/s (CPU: {pdfium_cpu:.2f} s)"
    )
    print(
        f"parser / pypdfium2 text-only: {wall_ratio:.2f} wall, {cpu_ratio:.2f} CPU "
        f"(target wall >= 0.50: {'PASS' if wall_ratio >= 0.5 else 'FAIL'})"
    )

    plumber_one(paths[0])  # warm imports outside the timing, as for the parser
    start = time.perf_counter()
    plumbed = [plumber_one(p) for p in paths]
    plumber = time.perf_counter() - start
    assert sum(p for p, _ in plumbed) == total_pages, "pdfplumber and the parser count different pages"
    ours, theirs = total_pages / ours_wall, total_pages / plumber
    print(
        f"pdfplumber extract_words: {total_pages} pages in {plumber:.2f} s = {theirs:.1f} pages/s "
        f"({sum(w for _, w in plumbed):,} words)"
    )
    print(f"ratio: {ours / theirs:.0f} x (parser pages/s / pdfplumber extract_words pages/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
