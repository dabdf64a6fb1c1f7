"""The ledger's structural rules: unique ids, milestones and dependencies that exist, no cycle.

No issue status can fix a break of these: ``pytest-gates generate`` refuses a ledger that has
one, and the ``ledger`` check kind reports them beside the status rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_gates.model import graph
from pytest_gates.sources.models import Issue, Ledger

#: Ids listed in an "expected one of" message before it is cut short.
KNOWN_SHOWN = 20


@dataclass(frozen=True)
class Violation:
    """One broken rule, at a path inside the ledger document."""

    rule: str
    where: tuple[int | str, ...]
    message: str
    fix_hint: str | None = None


def known_ids(ids: Iterable[str]) -> str:
    """``(a, b, c)`` for an "expected one of" message; long lists are cut short."""
    names = list(ids)
    shown = ", ".join(names[:KNOWN_SHOWN]) + (", ..." if len(names) > KNOWN_SHOWN else "")
    return f"({shown or 'none'})"


def _duplicates(kind: str, section: str, ids: Sequence[str]) -> list[Violation]:
    first: dict[str, int] = {}
    found = []
    for index, ident in enumerate(ids):
        if ident in first:
            found.append(
                Violation(
                    f"ledger.duplicate_{kind}",
                    (section, index, "id"),
                    f"duplicate {kind} id '{ident}' (first defined at {section}[{first[ident]}])",
                )
            )
        first.setdefault(ident, index)
    return found


def find_cycles(issues: Sequence[Issue]) -> list[list[str]]:
    """Each dependency cycle once, closed (``[a, b, a]``), found in ledger order."""
    needs: dict[str, list[str]] = {}
    for issue in issues:
        needs.setdefault(issue.id, issue.depends_on)
    return graph.find_cycles(needs)


def structure_violations(ledger: Ledger) -> list[Violation]:
    """Duplicate ids, unknown milestones and dependencies, cycles: what no status can fix."""
    found = _duplicates("milestone", "milestones", [m.id for m in ledger.milestones])
    found += _duplicates("issue", "issues", [i.id for i in ledger.issues])
    milestones = [m.id for m in ledger.milestones]
    issues: dict[str, int] = {}
    for index, issue in enumerate(ledger.issues):
        issues.setdefault(issue.id, index)
    for index, issue in enumerate(ledger.issues):
        if issue.milestone is not None and issue.milestone not in milestones:
            found.append(
                Violation(
                    "ledger.unknown_milestone",
                    ("issues", index, "milestone"),
                    f"expected the id of a milestone in this ledger {known_ids(milestones)}, "
                    f"found '{issue.milestone}'",
                )
            )
        for dep_index, dep in enumerate(issue.depends_on):
            if dep not in issues:
                found.append(
                    Violation(
                        "ledger.unknown_dependency",
                        ("issues", index, "depends_on", dep_index),
                        f"expected the id of an issue in this ledger {known_ids(issues)}, "
                        f"found '{dep}'",
                    )
                )
    for cycle in find_cycles(ledger.issues):
        index = issues[cycle[0]]
        dep_index = ledger.issues[index].depends_on.index(cycle[1])
        found.append(
            Violation(
                "ledger.cycle",
                ("issues", index, "depends_on", dep_index),
                f"dependency cycle: {' -> '.join(cycle)}",
                "remove one of the dependencies in the cycle",
            )
        )
    return found
