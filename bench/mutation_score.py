"""Mutation score per module from mutmut's results (`make mutate` runs mutmut, then this).

mutmut 3 keeps each mutated file's verdicts in mutants/<path>.meta (JSON: mutant name -> the exit
code of its test run). This prints killed / survived / timeout / no tests / not checked per module
and in total, and the score = killed / checked, where checked counts every mutant with a verdict.
A timeout is not counted as killed (with the fork server it also means the worker crashed).

    python bench/mutation_score.py [mutants-dir]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# mutmut.stats.status_by_exit_code, reduced to the classes reported here.
STATUS = {
    1: "killed",
    3: "killed",
    37: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    24: "timeout",
    -24: "timeout",
    36: "timeout",
    152: "timeout",
    255: "timeout",
    None: "not checked",
}
COLUMNS = ("killed", "survived", "timeout", "no tests", "other", "not checked")


def module_counts(root: Path) -> dict[str, Counter]:
    out = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        out[str(meta.relative_to(root))[: -len(".meta")]] = Counter(STATUS.get(c, "other") for c in codes)
    return out


def score(counts: Counter) -> float:
    checked = sum(n for status, n in counts.items() if status != "not checked")
    return counts["killed"] / checked if checked else float("nan")


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "mutants")
    per_module = module_counts(root)
    if not per_module:
        print(f"no mutmut results under {root}/ (run `make mutate` first)", file=sys.stderr)
        return 1
    width = max(len(m) for m in per_module)
    print(f"{'module':<{width}}  " + "  ".join(f"{c:>11}" for c in COLUMNS) + "        score")
    total: Counter = Counter()
    for module, counts in per_module.items():
        total += counts
        print(
            f"{module:<{width}}  "
            + "  ".join(f"{counts[c]:>11}" for c in COLUMNS)
            + f"  {score(counts):11.1%}"
        )
    print(f"{'total':<{width}}  " + "  ".join(f"{total[c]:>11}" for c in COLUMNS) + f"  {score(total):11.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
