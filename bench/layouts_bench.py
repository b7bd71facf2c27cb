"""The list parser on generated layouts: every family, with pages that are not part of the table.

    python bench/layouts_bench.py --documents 5000 [--first 0] [--workers 1]

Renders `--documents` layouts (seeds `--first`.. on; russell_pipeline_tests/documents/layouts.py:
two-up membership lists, addition and deletion lists, IPO lists; covers, about pages, disclaimers,
methodology notes, contact blocks in one to three columns, sector summaries, blank pages and
footnotes at random places; core and embedded TrueType fonts; text drawn out of order; turned and
cropped pages), reads each as `parse` does, and prints per outcome how many documents and rows:

    documents: N; rows: R
    exact: D documents, R rows read exact
    refused-located: D documents (B with the bad row they hold named, F without one)
    refused-unlocated: D documents
    wrong: D documents          <- must be 0: a document read with a row, a kind or a bad row missed

then the seed and reason of each wrong or refused document (at most 20 of each).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from russell_pipeline.lib.documents.reading import read_document
from russell_pipeline.lib.errors import InputError
from russell_pipeline_tests.documents.layouts import draw, outcome, render


def one(seed: int) -> tuple[int, str, int, bool]:
    """(seed, outcome, rows expected, holds a bad row) of one layout."""
    layout = draw(seed)
    data, expected, bad, _ = render(layout)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"layout-{seed}.pdf"
        path.write_bytes(data)
        try:
            found = outcome(layout, expected, bad, doc=read_document(path))
        except InputError as err:
            found = outcome(layout, expected, bad, error=err)
        except Exception as err:  # noqa: BLE001 - a crash is an outcome here, counted as wrong
            found = outcome(layout, expected, bad, error=err)
    return seed, found, len(expected), bad is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first, args.first + args.documents)
    started = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(one, seeds, chunksize=20))
    else:
        results = [one(s) for s in seeds]
    took = time.perf_counter() - started
    kinds = Counter(r[1].split(":")[0] for r in results)
    rows = Counter()
    for _, found, n, _ in results:
        rows[found.split(":")[0]] += n
    with_bad = sum(1 for _, found, _, b in results if found == "refused-located" and b)
    print(f"documents: {len(results)}; rows: {sum(r[2] for r in results)}; {took:.0f} s")
    print(f"exact: {kinds['exact']} documents, {rows['exact']} rows read exact")
    print(
        f"refused-located: {kinds['refused-located']} documents ({with_bad} with the bad row they hold "
        f"named, {kinds['refused-located'] - with_bad} without one)"
    )
    print(f"refused-unlocated: {kinds['refused-unlocated']} documents")
    print(f"wrong: {kinds['wrong']} documents")
    for label in ("wrong", "refused-unlocated", "refused-located"):
        shown = [r for r in results if r[1].startswith(label) and not (label == "refused-located" and r[3])]
        for seed, found, _, _ in shown[:20]:
            print(f"  seed {seed}: {found}")
    return 1 if kinds["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
