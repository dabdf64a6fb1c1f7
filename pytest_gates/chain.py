"""The chain: fold item outcomes into gate verdicts, and gate verdicts into the release decision.

Pure functions of the manifest and the item records, so the same outcomes give the same verdicts
whether the run was local, on xdist workers, or merged from shards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from pydantic import JsonValue

from pytest_gates.model.findings import worst
from pytest_gates.model.graph import blocking_roots
from pytest_gates.model.manifest import Gate, Manifest
from pytest_gates.model.records import ItemRecord

Verdict = Literal["PASS", "FAIL", "ERROR", "DEGRADED", "BLOCKED", "BYPASSED", "NOT_RUN"]
Decision = Literal["GO", "GO_WITH_BYPASS", "NO_GO", "INCOMPLETE"]

VERDICTS: Final[tuple[Verdict, ...]] = (
    "PASS",
    "DEGRADED",
    "BYPASSED",
    "FAIL",
    "ERROR",
    "BLOCKED",
    "NOT_RUN",
)
#: Verdicts that stop the gates needing this one.
STOPS_DEPENDENTS: Final = frozenset({"FAIL", "ERROR", "BLOCKED"})
#: The ``details`` key of the record that carries a valid override or emergency approval
#: (:mod:`pytest_gates.session.approvals`): its ``kind`` says which.
BYPASS_DETAIL: Final = "bypass"
#: The ``details`` key of the record that carries a gate's degradation memory
#: (:func:`memory_record`): the runs it was DEGRADED in before this one, and its limit.
MEMORY_DETAIL: Final = "degraded_before"


def tolerates_failure(blocking: bool, strategy: str) -> bool:
    """The one rule for DEGRADED: an advisory gate, or one whose failure strategy is ``degrade``,
    turns a failure into DEGRADED (an ERROR stays ERROR)."""
    return not blocking or strategy == "degrade"


def degrades(manifest: Manifest, gate: Gate) -> bool:
    """:func:`tolerates_failure` for a gate of ``manifest`` (its strategy after defaults)."""
    return tolerates_failure(gate.blocking, manifest.strategy(gate))


@dataclass(frozen=True)
class PastRun:
    """A run of the persistent log in which a gate was DEGRADED (the degradation memory)."""

    run: int
    #: When the run logged it.
    time: str


def memory_record(gate_id: str, before: Sequence[PastRun], limit: int) -> ItemRecord:
    """The record that carries ``gate_id``'s degradation memory into its evidence, so that the
    verdict folds again from the evidence alone (``verify``, ``merge``)."""
    runs: list[JsonValue] = [{"run": past.run, "time": past.time} for past in before]
    return ItemRecord(
        nodeid=f"{gate_id}::{MEMORY_DETAIL}",
        gate=gate_id,
        outcome="passed",
        message=f"DEGRADED in the {len(before)} runs before this one; the limit is {limit}",
        details={MEMORY_DETAIL: {"runs": runs, "limit": limit}},
    )


def _memory(records: Sequence[ItemRecord]) -> tuple[list[ItemRecord], tuple[PastRun, ...], int]:
    """The records without the memory record, and the memory it carries (runs, limit)."""
    rest: list[ItemRecord] = []
    before: tuple[PastRun, ...] = ()
    limit = 0
    for record in records:
        memory = record.details.get(MEMORY_DETAIL)
        if not isinstance(memory, dict):
            rest.append(record)
            continue
        runs = memory.get("runs")
        before = tuple(
            PastRun(int(str(past["run"])), str(past["time"]))
            for past in (runs if isinstance(runs, list) else [])
            if isinstance(past, dict)
        )
        found = memory.get("limit")
        limit = found if isinstance(found, int) else 0
    return rest, before, limit


@dataclass(frozen=True)
class GateVerdict:
    gate: str
    verdict: Verdict
    reason: str
    #: The failing gates at the root of a BLOCKED verdict, in gate order.
    blocked_by: tuple[str, ...] = ()
    flaky: bool = False
    #: False when some of the gate's items did not run in this session (deselected, another shard).
    complete: bool = True
    counts: Mapping[str, int] = field(default_factory=dict)


def fold_gate(
    gate_id: str,
    needs: Sequence[str],
    tolerates_failure: bool,
    records: Sequence[ItemRecord],
    verdicts: Mapping[str, GateVerdict],
    order: Sequence[str],
) -> GateVerdict:
    """One gate's verdict from its items' records and the verdicts of the gates it needs.

    Precedence: BLOCKED (a need failed), NOT_RUN (nothing ran), ERROR (a crash, a timeout, a
    missing result), FAIL or DEGRADED (a failure; DEGRADED when the gate tolerates failure),
    FAIL when every item that ran was skipped (no evidence), else PASS. A passed record
    carrying a :data:`BYPASS_DETAIL` turns the rest's verdict into BYPASSED (:func:`_bypassed`).

    Severities and memory: a critical finding FAILs the gate even where failure is tolerated
    (``severity.critical``); a tolerated failure with a major finding FAILs (``severity.major``:
    only an override approval, which makes it BYPASSED, lets it pass); and one whose
    :data:`MEMORY_DETAIL` record shows ``limit`` DEGRADED runs before this one FAILs
    (``degrade.threshold``).
    """
    bypass = next(
        (r for r in records if r.outcome == "passed" and BYPASS_DETAIL in r.details), None
    )
    if bypass is not None:
        rest = [r for r in records if r is not bypass]
        inner = fold_gate(gate_id, needs, tolerates_failure, rest, verdicts, order)
        return _bypassed(inner, bypass)
    records, degraded_before, degrade_limit = _memory(records)
    counts = Counter(record.outcome for record in records)
    count_map: dict[str, int] = {outcome: counts[outcome] for outcome in sorted(counts)}
    roots = blocking_roots(
        gate_id,
        {gate_id: needs},
        order,
        failed={g for g, v in verdicts.items() if v.verdict in STOPS_DEPENDENTS - {"BLOCKED"}},
        blocked={g: v.blocked_by for g, v in verdicts.items() if v.verdict == "BLOCKED"},
        settled=verdicts.keys(),
    )
    flaky = any(record.flaky for record in records)
    ran = [r for r in records if r.outcome != "not_run"]
    complete = len(ran) == len(records) and bool(records)
    if roots:
        return GateVerdict(
            gate_id, "BLOCKED", f"blocked by {', '.join(roots)}", roots, flaky, complete, count_map
        )
    if not ran:
        reason = records[0].message if records and records[0].message else "not run in this session"
        return GateVerdict(gate_id, "NOT_RUN", reason, (), flaky, False, count_map)
    if counts["error"]:
        first = next(r for r in records if r.outcome == "error")
        return GateVerdict(
            gate_id,
            "ERROR",
            _reason(counts["error"], "errored", first),
            (),
            flaky,
            complete,
            count_map,
        )
    findings = [finding for record in ran for finding in record.findings]
    critical = worst(findings, "critical")
    if critical is not None:
        reason = f"severity.critical: a critical finding blocks the gate: {critical.render()}"
        return GateVerdict(gate_id, "FAIL", reason, (), flaky, complete, count_map)
    failed = counts["failed"] + counts["degraded"]
    if failed:
        first = next(r for r in records if r.outcome in {"failed", "degraded"})
        reason = _reason(failed, "failed", first)
        verdict: Verdict = "DEGRADED" if tolerates_failure else "FAIL"
        major = worst(findings, "major")
        if verdict == "DEGRADED" and major is not None:
            verdict = "FAIL"
            reason = (
                "severity.major: a major finding may degrade only with an override approval: "
                f"{major.render()}; {reason}"
            )
        elif verdict == "DEGRADED" and degraded_before and len(degraded_before) >= degrade_limit:
            verdict, reason = "FAIL", _over_threshold(degraded_before, degrade_limit, reason)
        return GateVerdict(gate_id, verdict, reason, (), flaky, complete, count_map)
    if not counts["passed"]:
        return GateVerdict(
            gate_id,
            "FAIL",
            f"no item passed: {len(ran)} skipped, so there is no evidence",
            (),
            flaky,
            complete,
            count_map,
        )
    reason = f"{counts['passed']} passed"
    if counts["skipped"]:
        reason += f", {counts['skipped']} skipped"
    if not complete:
        reason += f", {len(records) - len(ran)} not run"
    return GateVerdict(gate_id, "PASS", reason, (), flaky, complete, count_map)


def _bypassed(inner: GateVerdict, bypass: ItemRecord) -> GateVerdict:
    """An override turns a FAIL into BYPASSED; an emergency (its items skipped) anything but
    BLOCKED or NOT_RUN. The reason is the approval's (who, which key, why)."""
    fact = bypass.details[BYPASS_DETAIL]
    kind = fact.get("kind") if isinstance(fact, dict) else None
    if kind == "override":
        applies = inner.verdict == "FAIL"
    else:
        applies = kind == "emergency" and inner.verdict not in {"BLOCKED", "NOT_RUN"}
    if not applies:
        return inner
    return replace(inner, verdict="BYPASSED", reason=f"bypassed: {bypass.message}", complete=True)


def _over_threshold(before: Sequence[PastRun], limit: int, reason: str) -> str:
    runs = ", ".join(f"run {past.run} at {past.time}" for past in before)
    return (
        f"degrade.threshold: DEGRADED in the {len(before)} runs before this one ({runs}), and "
        f"degrade.max_consecutive is {limit}: a PASS resets the count; {reason}"
    )


def _reason(count: int, what: str, first: ItemRecord) -> str:
    name = first.check or first.nodeid
    text = f"{count} item{'s' if count != 1 else ''} {what}; first: {name}"
    if first.message:
        text += f": {first.message.splitlines()[0][:200]}"
    return text


def records_by_gate(
    order: Sequence[str], records: Iterable[ItemRecord]
) -> dict[str, list[ItemRecord]]:
    """Each gate's records, every gate of ``order`` present (in that order)."""
    by_gate: dict[str, list[ItemRecord]] = {gate_id: [] for gate_id in order}
    for record in records:
        by_gate.setdefault(record.gate, []).append(record)
    return by_gate


def fold(
    manifest: Manifest, order: Sequence[str], records: Iterable[ItemRecord]
) -> dict[str, GateVerdict]:
    """Every gate's verdict, computed in dependency order."""
    by_gate = records_by_gate(order, records)
    verdicts: dict[str, GateVerdict] = {}
    for gate_id in order:
        gate = manifest.gate(gate_id)
        verdicts[gate_id] = fold_gate(
            gate_id, gate.needs, degrades(manifest, gate), by_gate[gate_id], verdicts, order
        )
    return verdicts


def decide(verdicts: Mapping[str, GateVerdict]) -> tuple[Decision, str]:
    """The release decision and a one-line reason."""
    bad = [v.gate for v in verdicts.values() if v.verdict in STOPS_DEPENDENTS]
    if bad:
        return (
            "NO_GO",
            f"{len(bad)} gate{'s' if len(bad) != 1 else ''} did not pass: {', '.join(bad)}",
        )
    missing = [v.gate for v in verdicts.values() if v.verdict == "NOT_RUN" or not v.complete]
    if missing:
        return "INCOMPLETE", (
            f"{len(missing)} gate{'s' if len(missing) != 1 else ''} not run completely in this "
            f"session: {', '.join(missing)}; this is not a release decision"
        )
    bypassed = [v.gate for v in verdicts.values() if v.verdict == "BYPASSED"]
    if bypassed:
        return "GO_WITH_BYPASS", (
            f"every gate passed or was bypassed by an approval; bypassed: {', '.join(bypassed)}"
        )
    degraded = [v.gate for v in verdicts.values() if v.verdict == "DEGRADED"]
    if degraded:
        return "GO", f"every blocking gate passed; degraded: {', '.join(degraded)}"
    return "GO", "every gate passed"
