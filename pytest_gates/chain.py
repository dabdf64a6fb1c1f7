"""The chain: fold item outcomes into gate verdicts, and gate verdicts into the release decision.

Pure functions of the manifest and the item records, so the same outcomes give the same verdicts
whether the run was local, on xdist workers, or merged from shards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

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


def tolerates_failure(blocking: bool, strategy: str) -> bool:
    """The one rule for DEGRADED: an advisory gate, or one whose failure strategy is ``degrade``,
    turns a failure into DEGRADED (an ERROR stays ERROR)."""
    return not blocking or strategy == "degrade"


def degrades(manifest: Manifest, gate: Gate) -> bool:
    """:func:`tolerates_failure` for a gate of ``manifest`` (its strategy after defaults)."""
    return tolerates_failure(gate.blocking, manifest.strategy(gate))


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
    FAIL when every item that ran was skipped (no evidence), else PASS.
    """
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
    failed = counts["failed"] + counts["degraded"]
    if failed:
        first = next(r for r in records if r.outcome in {"failed", "degraded"})
        verdict: Verdict = "DEGRADED" if tolerates_failure else "FAIL"
        return GateVerdict(
            gate_id, verdict, _reason(failed, "failed", first), (), flaky, complete, count_map
        )
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


def _reason(count: int, what: str, first: ItemRecord) -> str:
    name = first.check or first.nodeid
    text = f"{count} item{'s' if count != 1 else ''} {what}; first: {name}"
    if first.message:
        text += f": {first.message.splitlines()[0][:200]}"
    return text


def fold(
    manifest: Manifest, order: Sequence[str], records: Iterable[ItemRecord]
) -> dict[str, GateVerdict]:
    """Every gate's verdict, computed in dependency order."""
    by_gate: dict[str, list[ItemRecord]] = {gate_id: [] for gate_id in order}
    for record in records:
        by_gate.setdefault(record.gate, []).append(record)
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
    if any(v.verdict == "BYPASSED" for v in verdicts.values()):
        return "GO_WITH_BYPASS", "every gate passed or was bypassed by an approval"
    degraded = [v.gate for v in verdicts.values() if v.verdict == "DEGRADED"]
    if degraded:
        return "GO", f"every blocking gate passed; degraded: {', '.join(degraded)}"
    return "GO", "every gate passed"
