"""Parse speed of the document reader on every PDF in a folder.

    python bench/parse_bench.py ../shared/real [--workers 2]

Prints pages, rows, seconds and pages/s per document in one process, then the
same documents spread over a process pool (one document per task), with
pages/s per core. The target is >= 40 pages/s per core. Then pdfplumber's
`extract_words` on every page of the same documents in the same process, and the
ratio of the two single-process rates. The last three lines are the stable figures:

    parser: 78 pages in X s = Y pages/s
    pdfplumber extract_words: 78 pages in X s = Z pages/s
    ratio: N x (parser pages/s / pdfplumber extract_words pages/s)
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from russell_pipeline.lib.documents.reading import read_document


def parse_one(path: str) -> tuple[str, int, int, float]:
    start = time.perf_counter()
    doc = read_document(path)
    return Path(path).name, doc.pages, doc.rows.height, time.perf_counter() - start


def plumber_one(path: str) -> tuple[int, int]:
    """(pages, words) of pdfplumber's extract_words over every page of one PDF."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages), sum(len(page.extract_words()) for page in pdf.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    paths = sorted(str(p) for p in args.folder.glob("*.pdf"))
    if not paths:
        print(f"{args.folder}: no PDFs", file=sys.stderr)
        return 1

    print(f"{'document':45} {'pages':>5} {'rows':>6} {'seconds':>8} {'pages/s':>8}")
    parse_one(paths[0])  # warm caches (pdfium library load) outside the timing
    start = time.perf_counter()
    results = [parse_one(p) for p in paths]
    single = time.perf_counter() - start
    for name, pages, rows, secs in results:
        print(f"{name:45} {pages:5d} {rows:6d} {secs:8.3f} {pages / secs:8.1f}")
    total_pages = sum(r[1] for r in results)
    total_rows = sum(r[2] for r in results)
    print(f"{'single process':45} {total_pages:5d} {total_rows:6d} {single:8.3f} {total_pages / single:8.1f}"
          "  (pages/s per core)")

    # spawn, not fork: polars' and pdfium's threads and locks do not survive a fork (the pool hangs).
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool:
        list(pool.map(parse_one, paths[: args.workers]))  # start and warm every worker
        start = time.perf_counter()
        pooled = list(pool.map(parse_one, paths))
        wall = time.perf_counter() - start
    assert [r[:3] for r in pooled] == [r[:3] for r in results], "pool and single process disagree"
    print(f"{f'process pool, {args.workers} workers':45} {total_pages:5d} {total_rows:6d} {wall:8.3f} "
          f"{total_pages / wall:8.1f}  ({total_pages / wall / args.workers:.1f} pages/s per core)")

    plumber_one(paths[0])  # warm imports outside the timing, as for the parser
    start = time.perf_counter()
    plumbed = [plumber_one(p) for p in paths]
    plumber = time.perf_counter() - start
    assert sum(p for p, _ in plumbed) == total_pages, "pdfplumber and the parser count different pages"
    ours, theirs = total_pages / single, total_pages / plumber
    print(f"parser: {total_pages} pages in {single:.2f} s = {ours:.0f} pages/s")
    print(f"pdfplumber extract_words: {total_pages} pages in {plumber:.2f} s = {theirs:.1f} pages/s "
          f"({sum(w for _, w in plumbed):,} words)")
    print(f"ratio: {ours / theirs:.0f} x (parser pages/s / pdfplumber extract_words pages/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
