"""Mutation score per module from mutmut's results (`make mutate` runs mutmut, then this).

mutmut 3 keeps each mutated file's verdicts in mutants/<path>.meta (JSON: mutant name -> the exit
code of its test run). This prints killed / survived / timeout / no tests / not checked per module
and in total, and the score = killed / checked, where checked counts every mutant with a verdict.
A timeout is not counted as killed (with the fork server it also means the worker crashed).

A survivor that no test can kill (it changes nothing observable) is listed, with its reason, in
mutation_equivalent.txt beside this script: one line per mutant, `<mutant name>  <reason>`, `#`
comments. `equivalent` counts the survivors listed there, and `score excl. equivalent` = killed /
(checked - equivalent). A listed mutant that is not a survivor (killed, not checked, or no longer
generated) is printed after the table, one line each, so the list cannot go stale unseen.

    python bench/mutation_score.py [mutants-dir] [--equivalent FILE]
"""

from __future__ import annotations

import argparse
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
COLUMNS = ("killed", "survived", "equivalent", "timeout", "no tests", "other", "not checked")
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def module_statuses(root: Path) -> dict[str, dict[str, str]]:
    """Each mutated module's mutants, by name, with their status."""
    out = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(root))[: -len(".meta")]
        out[module] = {name: STATUS.get(code, "other") for name, code in codes.items()}
    return out


def read_equivalent(path: Path) -> dict[str, str]:
    """The mutants listed as equivalent, each with its reason; a line without a reason is an error."""
    out = {}
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, *reason = line.split(None, 1)
        if not reason:
            raise SystemExit(f"{path}:{n}: `{name}` has no reason (`<mutant name>  <reason>`)")
        out[name] = reason[0]
    return out


def counts(statuses: dict[str, str], equivalent: dict[str, str]) -> Counter:
    out = Counter(statuses.values())
    out["equivalent"] = sum(1 for name, s in statuses.items() if s == "survived" and name in equivalent)
    return out


def score(counts: Counter, excluding_equivalent: bool = False) -> float:
    checked = sum(n for status, n in counts.items() if status not in ("not checked", "equivalent"))
    if excluding_equivalent:
        checked -= counts["equivalent"]
    return counts["killed"] / checked if checked else float("nan")


def stale(per_module: dict[str, dict[str, str]], equivalent: dict[str, str]) -> list[str]:
    """One line per mutant listed as equivalent that is not a survivor."""
    status = {name: s for statuses in per_module.values() for name, s in statuses.items()}
    return [
        f"{name}: listed as equivalent but {status.get(name, 'not found')}"
        for name in equivalent
        if status.get(name) != "survived"
    ]


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("mutants", nargs="?", default="mutants", type=Path)
    args.add_argument("--equivalent", type=Path, default=EQUIVALENT, help=f"default: {EQUIVALENT}")
    opts = args.parse_args(argv[1:])
    per_module = module_statuses(opts.mutants)
    if not per_module:
        print(f"no mutmut results under {opts.mutants}/ (run `make mutate` first)", file=sys.stderr)
        return 1
    equivalent = read_equivalent(opts.equivalent) if opts.equivalent.exists() else {}
    width = max(len(m) for m in per_module)
    print(
        f"{'module':<{width}}  "
        + "  ".join(f"{c:>11}" for c in COLUMNS)
        + "        score  score excl. equivalent"
    )
    rows = [(m, counts(s, equivalent)) for m, s in per_module.items()]
    for module, c in [*rows, ("total", sum((c for _, c in rows), Counter()))]:
        print(
            f"{module:<{width}}  "
            + "  ".join(f"{c[col]:>11}" for col in COLUMNS)
            + f"  {score(c):11.1%}  {score(c, excluding_equivalent=True):22.1%}"
        )
    for line in stale(per_module, equivalent):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
