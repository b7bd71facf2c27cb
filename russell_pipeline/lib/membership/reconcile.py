"""Reconciliation of consecutive membership lists with the change lists between them.

At each reconstitution, membership(previous list) + final additions - final deletions should
equal the new membership list. Every symbol where it does not is one row, with the cause where
the documents show one:
- `ipo_addition`: a quarterly IPO additions list between the two lists added it;
- `list_revision`: a preliminary or update version of the review's change list named it, the
  final version did not (it changed between list versions);
- `contradicts_final_list`: the membership list says the opposite of the final change list;
- `missing_document`: a document that would say is not stored: the review's final deletion list
  (for a member missing from the new list), its final addition list (for a new name in it), or
  every document of a reconstitution between the two lists (either way);
- `unexplained`: no document explains it although they are all there (the symbol is in one list
  only: a merger, a delisting, a listing between reviews, or a ticker change, never inferred).
Without a new membership list only the change lists can be checked against the previous list. A
review with a membership list and no change list is reported as a state (`no_change_lists`), not
as differences: the absence of a document is not an inconsistency.
"""

from __future__ import annotations

import polars as pl

from russell_pipeline.lib.membership.placement import Step

DIFFERENCE_COLUMNS = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "index_name": pl.String,
    "previous_review": pl.String,
    "difference": pl.String,
    "cause": pl.String,
    "symbol": pl.String,
    "company": pl.String,
    "source_sha256": pl.String,
    "source_path": pl.String,
    "source_page": pl.Int64,
    "source_line": pl.Int64,
}
SUMMARY_COLUMNS = {
    "recon_year": pl.Int64,
    "review": pl.String,
    "index_name": pl.String,
    "previous_review": pl.String,
    "previous_members": pl.Int64,
    "additions": pl.Int64,
    "deletions": pl.Int64,
    "expected": pl.Int64,
    "listed": pl.Int64,
    "differences": pl.Int64,
    "unexplained": pl.Int64,
    "missing_document": pl.Int64,
    "scope": pl.String,
    "note": pl.String,
}
# Differences no document accounts for: what the WARN check counts.
UNACCOUNTED = ("unexplained", "contradicts_final_list")


def _difference(step: Step, index: str, base: Step | None, difference: str, cause: str, row: dict) -> dict:
    return {
        "recon_year": int(step.review[:4]),
        "review": step.review,
        "index_name": index,
        "previous_review": base.review if base else None,
        "difference": difference,
        "cause": cause,
        "symbol": row["symbol"],
        "company": row["company"],
        "source_sha256": row["sha256"],
        "source_path": row["path"],
        "source_page": row["page"],
        "source_line": row["line"],
    }


def _unexplained(missing: bool) -> str:
    return "missing_document" if missing else "unexplained"


def _changes(step: Step, expected: dict, ipo: dict, gap: bool) -> list[tuple[str, str, dict]]:
    """Final change rows that do not fit the membership before the review (`gap`: reconstitutions
    since the previous list have no documents)."""
    out = []
    for symbol, row in (step.deletion or {}).items():
        if symbol not in expected:
            out.append(
                (
                    "deletion_of_non_member",
                    *(("ipo_addition", ipo[symbol]) if symbol in ipo else (_unexplained(gap), row)),
                )
            )
    out += [
        ("addition_of_member", _unexplained(gap), row)
        for s, row in (step.addition or {}).items()
        if s in expected
    ]
    return out


def _against_list(step: Step, expected: dict, ipo: dict, gap: bool) -> list[tuple[str, str, dict]]:
    """Symbols where the new membership list and the expected membership differ."""
    listed, added, deleted = step.membership, step.addition or {}, step.deletion or {}
    gone, new = _unexplained(gap or step.deletion is None), _unexplained(gap or step.addition is None)
    out = []
    for symbol, row in expected.items():
        if symbol in listed:
            continue
        if symbol in added:
            out.append(("missing_from_list", "contradicts_final_list", added[symbol]))
        elif symbol in step.earlier["deletion"]:
            out.append(("missing_from_list", "list_revision", step.earlier["deletion"][symbol]))
        else:
            out.append(("missing_from_list", gone, row))
    for symbol, row in listed.items():
        if symbol in expected:
            continue
        if symbol in deleted:
            out.append(("unexpected_in_list", "contradicts_final_list", deleted[symbol]))
        elif symbol in ipo:
            out.append(("unexpected_in_list", "ipo_addition", ipo[symbol]))
        elif symbol in step.earlier["addition"]:
            out.append(("unexpected_in_list", "list_revision", step.earlier["addition"][symbol]))
        else:
            out.append(("unexpected_in_list", new, row))
    return out


def _note(step: Step, base: Step | None, uncovered: list[str]) -> str:
    """What the documents leave out of this review's reconciliation."""
    if base is None:
        return "no earlier membership list to start from"
    missing = [f"no final {kind} list" for kind in ("addition", "deletion") if getattr(step, kind) is None]
    if step.membership is None:
        missing.append("no membership list: the final changes are checked against the previous list only")
    if uncovered:
        missing.append(
            f"no documents for {len(uncovered)} reconstitution(s) since the previous list "
            f"({', '.join(uncovered)}): their changes are missing from the expected membership"
        )
    return "; ".join(missing)


def _index_reconciliation(index: str, steps: list[Step]) -> tuple[list[dict], list[dict]]:
    differences, summary = [], []
    base: Step | None = None  # the previous membership list
    expected: dict[str, dict] | None = None  # base + final additions - final deletions since
    ipo: dict[str, dict] = {}  # IPO additions since the base list
    uncovered: list[str] = []  # reconstitutions since the base list without documents
    for step in steps:
        documented = any(x is not None for x in (step.membership, step.addition, step.deletion))
        if not step.reconstitution and step.membership is None:
            ipo.update(step.addition or {})
            continue
        if not documented:
            uncovered.append(step.review)
            continue
        found = []
        if expected is not None:
            found = _changes(step, expected, ipo, bool(uncovered))
            kept = {s: r for s, r in expected.items() if s not in (step.deletion or {})}
            expected = kept | {s: r for s, r in (step.addition or {}).items() if s not in kept}
            if step.membership is not None:
                found += _against_list(step, expected, ipo, bool(uncovered))
        scope = (
            "no_previous_list"
            if expected is None
            else "changes_only"
            if step.membership is None
            else "no_change_lists"
            if step.addition is None and step.deletion is None
            else "compared"
        )
        differences += [_difference(step, index, base, *f) for f in found]
        summary.append(
            {
                "recon_year": int(step.review[:4]),
                "review": step.review,
                "index_name": index,
                "previous_review": base.review if base else None,
                "previous_members": len(base.membership) if base else None,
                "additions": len(step.addition) if step.addition is not None else None,
                "deletions": len(step.deletion) if step.deletion is not None else None,
                "expected": len(expected) if expected is not None else None,
                "listed": len(step.membership) if step.membership is not None else None,
                "differences": len(found),
                "unexplained": sum(cause in UNACCOUNTED for _, cause, _ in found),
                "missing_document": sum(cause == "missing_document" for _, cause, _ in found),
                "scope": scope,
                "note": _note(step, base, uncovered),
            }
        )
        if step.membership is not None:
            base, expected, ipo, uncovered = step, dict(step.membership), {}, []
    return differences, summary


def reconcile_membership(indexes: list[tuple[str, list[Step]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(differences: DIFFERENCE_COLUMNS, summary: SUMMARY_COLUMNS, one row per documented reconstitution),
    from each index's reviews and lists (placement.index_steps)."""
    differences, summary = [], []
    for index, steps in indexes:
        d, s = _index_reconciliation(index, steps)
        differences += d
        summary += s
    order = ["index_name", "review", "difference", "cause", "symbol"]
    return (
        pl.DataFrame(differences, schema=DIFFERENCE_COLUMNS).sort(order),
        pl.DataFrame(summary, schema=SUMMARY_COLUMNS).sort("index_name", "review"),
    )
