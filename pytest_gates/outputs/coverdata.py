"""The coverage of a gate's suites as evidence: combined with coverage's data API, judged once.

Each process that runs a covered gate's tests measures them (:mod:`pytest_gates.session.suitecov`);
the controller combines the processes' data and records, per gate, the executed and the missing
lines of every file under the gate's ``coverage.source`` in one item record (node id
``<manifest>::<gate>::[coverage]``). A shard's record is partial (``not_run``): ``merge`` combines
the shards' records with :class:`coverage.CoverageData` and judges the total against ``min`` once.
The total is statement coverage, as ``coverage report`` computes it: executed over statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydantic import JsonValue

from pytest_gates.model.findings import Finding
from pytest_gates.model.records import ItemRecord

if TYPE_CHECKING:  # an annotation only: the documents load when a run ends
    from pytest_gates.outputs.documents import EvidenceDocument

#: The last part of the node id of a gate's coverage record (no check id can have brackets).
COVERAGE_NODE: Final = "[coverage]"
#: How many of the least covered files a record names.
WORST: Final = 5


def percent_text(value: float) -> str:
    """A percentage rounded down, so 84.96 % never shows as the 85.0 % it falls short of."""
    return f"{int(value * 10) / 10:.1f}%"


def below_min(total: float, minimum: float, worst: Sequence[tuple[str, float]]) -> Finding:
    """``coverage.below_min``: the total (a percentage) is below ``minimum`` (a fraction)."""
    hint = "add tests for the least covered files"
    if worst:
        hint += ": " + ", ".join(f"{path} ({percent_text(percent)})" for path, percent in worst)
    return Finding(
        rule="coverage.below_min",
        message=f"total coverage {percent_text(total)} is below the minimum {minimum * 100:.1f}%",
        fix_hint=hint,
    )


def reaches(total: float, minimum: float) -> bool:
    """A hair of tolerance: 100.0 * 29 / 50 / 100 must not fall short of min: 0.58."""
    return total / 100.0 >= minimum - 1e-9


@dataclass(frozen=True)
class FileLines:
    """One file's statements, split into the executed and the missing lines."""

    executed: frozenset[int]
    missing: frozenset[int]

    @property
    def percent(self) -> float:
        statements = len(self.executed) + len(self.missing)
        return 100.0 * len(self.executed) / statements if statements else 100.0


Files = Mapping[str, FileLines]


def total_percent(files: Files) -> float:
    statements = sum(len(f.executed) + len(f.missing) for f in files.values())
    executed = sum(len(f.executed) for f in files.values())
    return 100.0 * executed / statements if statements else 100.0


def combine(parts: Iterable[Files]) -> dict[str, FileLines]:
    """The union of what several processes or shards executed, through coverage's data API."""
    from coverage import CoverageData  # imported by the sessions and merges that cover

    combined = CoverageData(no_disk=True)
    statements: dict[str, set[int]] = {}
    for part in parts:
        data = CoverageData(no_disk=True)
        data.add_lines({path: sorted(lines.executed) for path, lines in part.items()})
        combined.update(data)
        for path, lines in part.items():
            statements.setdefault(path, set()).update(lines.executed | lines.missing)
    result = {}
    for path in sorted(statements):
        executed = set(combined.lines(path) or ()) & statements[path]
        result[path] = FileLines(frozenset(executed), frozenset(statements[path] - executed))
    return result


def _lines(lines: frozenset[int]) -> list[JsonValue]:
    return [*sorted(lines)]


def _details(files: Files, minimum: float) -> dict[str, JsonValue]:
    worst = sorted((f.percent, path) for path, f in files.items() if f.percent < 100.0)[:WORST]
    return {
        "min": minimum,
        "total": round(total_percent(files) / 100.0, 4),
        "worst": [{"path": path, "percent": round(percent, 2)} for percent, path in worst],
        "files": {
            path: {"executed": _lines(f.executed), "missing": _lines(f.missing)}
            for path, f in sorted(files.items())
        },
    }


def files_of(record: ItemRecord) -> dict[str, FileLines]:
    """The per-file lines a coverage record carries."""
    files = record.details.get("files")
    result = {}
    if isinstance(files, dict):
        for path, lines in files.items():
            if isinstance(lines, dict):
                executed, missing = lines.get("executed"), lines.get("missing")
                result[path] = FileLines(
                    frozenset(n for n in executed if isinstance(n, int))
                    if isinstance(executed, list)
                    else frozenset(),
                    frozenset(n for n in missing if isinstance(n, int))
                    if isinstance(missing, list)
                    else frozenset(),
                )
    return result


def coverage_record(
    nodeid: str, gate: str, files: Files, minimum: float, partial: str | None = None
) -> ItemRecord:
    """The gate's coverage record: judged against ``minimum``, or ``not_run`` when ``partial``
    says why this session saw only part of the gate's tests."""
    record = ItemRecord(nodeid=nodeid, gate=gate, details=_details(files, minimum))
    total = total_percent(files)
    worst = [(str(w["path"]), float(w["percent"])) for w in _worst(record)]
    minimum_text = f"minimum {minimum * 100:.1f}%"
    if not files:
        record.outcome = "error"
        record.message = "coverage collected no data (check the gate's coverage source)"
    elif partial is not None:
        record.outcome = "not_run"
        record.message = f"partial coverage {percent_text(total)} ({partial}): judged by merge"
    elif reaches(total, minimum):
        record.outcome = "passed"
        record.message = f"total {percent_text(total)} >= {minimum_text}"
    else:
        record.outcome = "failed"
        record.message = f"total {percent_text(total)} < {minimum_text}"
        record.findings = [below_min(total, minimum, worst)]
    return record


def _worst(record: ItemRecord) -> list[Mapping[str, str | float]]:
    worst = record.details.get("worst")
    entries = worst if isinstance(worst, list) else []
    return [
        {"path": str(w["path"]), "percent": float(str(w["percent"]))}
        for w in entries
        if isinstance(w, dict)
    ]


def is_coverage_record(nodeid: str) -> bool:
    return nodeid.endswith(f"::{COVERAGE_NODE}")


def merge_coverage(
    records: Sequence[ItemRecord], shards: Iterable[Iterable[EvidenceDocument]]
) -> list[ItemRecord]:
    """``records`` with each gate's coverage record replaced by the combination of every
    shard's (partial) record for that gate, judged against the gate's ``min`` once."""
    parts: dict[str, list[ItemRecord]] = {}
    for documents in shards:
        for document in documents:
            for item in document.body.items:
                if is_coverage_record(item.nodeid):
                    parts.setdefault(item.nodeid, []).append(
                        ItemRecord.model_validate(item.model_dump())
                    )
    merged = []
    for record in records:
        found = parts.get(record.nodeid)
        if found:
            minimum = record.details.get("min")
            files = combine(files_of(part) for part in found)
            limit = float(minimum) if isinstance(minimum, int | float) else 1.0
            record = coverage_record(record.nodeid, record.gate, files, limit)
        merged.append(record)
    return merged
