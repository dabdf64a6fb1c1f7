"""The ``ready`` kind: READY, the meta-audit of a session's evidence.

A READY gate audits the gates it needs, at any depth. Its check runs in its place in the chain
(so a deploy that needs READY never runs on an unready change) over those gates' final results;
it is then folded again last, on the controller, after every gate's evidence is written
(:mod:`pytest_gates.session.ready`), like pytest's terminal summary after every report: a
passed record is replaced by :func:`audit` over what the session wrote. Its sub-checks, each in the evidence by
name (``details["subchecks"]``):

* ``required_gates``: every blocking gate has a whole verdict of this session, and no gate is
  FAIL, ERROR or BLOCKED;
* ``evidence_digests``: every evidence file on disk is the one the session wrote (its body's
  sha256 matches);
* ``open_findings``: no critical or major finding is open outside a BYPASSED gate;
* ``no_warnings``: no gate is DEGRADED (READY never passes with warnings);
* ``approvals``: every approval the session checked is valid ("not applicable" without any);
* ``log``: the log this run continues holds its chain, and this run adds one state line per gate,
  in gate order, citing the evidence just checked.

Each problem is a critical finding (``ready.<sub-check>``), so READY FAILs even in an advisory
gate, and names the gate to run again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from pydantic import JsonValue

from pytest_gates.checks.api import (
    CheckContext,
    CheckParams,
    CheckResult,
    NeedNotFinal,
    check_kind,
)
from pytest_gates.model.findings import Finding
from pytest_gates.model.names import READY_KIND as READY_KIND
from pytest_gates.model.records import ItemRecord

#: What the check says while the items run, before the controller folds it.
PENDING: Final = "the evidence digests, approvals and log are audited when the evidence is written"
#: The sub-checks, in the order they are reported.
SUBCHECKS: Final = (
    "required_gates",
    "evidence_digests",
    "open_findings",
    "no_warnings",
    "approvals",
    "log",
)

SubOutcome = Literal["passed", "failed", "not_applicable"]


class ReadyParams(CheckParams):
    """READY takes no parameters: it audits every gate its gate needs, at any depth."""


@check_kind(READY_KIND, params=ReadyParams, idempotent=True)
def ready(params: ReadyParams, ctx: CheckContext) -> CheckResult:
    """READY: every gate it audits (those its gate needs, at any depth) passed, with no open
    critical or major finding and no warning. Run in its place in the chain, so that a gate
    needing READY (a deploy) never runs on an unready change; the evidence digests, the
    approvals and the log are audited once the session's evidence is written."""
    states: list[GateState] = []
    missing: list[str] = []
    for gate_id in ctx.readable:
        try:
            need = ctx.needed(gate_id)
        except NeedNotFinal:
            missing.append(gate_id)
            continue
        states.append(
            GateState(gate_id, True, need.verdict, True, need.records, written="", on_disk="")
        )
    required = _required(states)
    for gate_id in missing:
        required.fail(gate_id, "has no result in this session")
    subs = [required, _open_findings(states), _warnings(states)]
    result = _result(subs, list(ctx.readable), ctx.manifest)
    if result.passed:
        result.summary = f"{len(ctx.readable)} gates ready; {PENDING}"
    return result


@dataclass(frozen=True)
class GateState:
    """What READY knows of one audited gate."""

    gate: str
    blocking: bool
    verdict: str
    complete: bool
    records: Sequence[ItemRecord]
    #: The body sha256 of the evidence the session wrote, and of the file on disk now (None
    #: when the file is missing or unreadable, with why).
    written: str
    on_disk: str | None
    disk_problem: str = ""


@dataclass
class SubCheck:
    """One named sub-check of READY and the gates it asks to run again."""

    name: str
    outcome: SubOutcome = "passed"
    message: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, gate: str, problem: str) -> None:
        self.outcome = "failed"
        self.problems.append((gate, problem))

    def as_json(self) -> dict[str, JsonValue]:
        message = self.message or "; ".join(f"{gate}: {text}" for gate, text in self.problems)
        gates: list[JsonValue] = [gate for gate in sorted({gate for gate, _ in self.problems})]
        return {"name": self.name, "outcome": self.outcome, "message": message, "run_again": gates}


def _required(states: Sequence[GateState]) -> SubCheck:
    sub = SubCheck("required_gates")
    for state in states:
        if state.verdict in {"FAIL", "ERROR", "BLOCKED"}:
            sub.fail(state.gate, f"is {state.verdict}")
        elif state.blocking and (state.verdict == "NOT_RUN" or not state.complete):
            sub.fail(state.gate, f"has no whole verdict in this session ({_partial(state)})")
    return sub


def _partial(state: GateState) -> str:
    """Why a gate's verdict is partial: ``PASS; 13 of 636 items not run here: deselected``."""
    idle = [record for record in state.records if record.outcome == "not_run"]
    if not idle:
        return state.verdict
    why = sorted({record.message for record in idle if record.message})
    because = f": {', '.join(why[:3])}{', ...' if len(why) > 3 else ''}" if why else ""
    return f"{state.verdict}; {len(idle)} of {len(state.records)} items not run here{because}"


def _digests(states: Sequence[GateState]) -> SubCheck:
    sub = SubCheck("evidence_digests")
    for state in states:
        if state.on_disk is None:
            sub.fail(state.gate, f"its evidence cannot be read: {state.disk_problem}")
        elif state.on_disk != state.written:
            sub.fail(
                state.gate,
                f"its evidence was altered after it was written (body {state.on_disk}, "
                f"written {state.written})",
            )
    return sub


def _open_findings(states: Sequence[GateState]) -> SubCheck:
    sub = SubCheck("open_findings")
    for state in states:
        if state.verdict == "BYPASSED":
            continue
        serious = [
            finding
            for record in state.records
            for finding in record.findings
            if finding.severity in {"critical", "major"} and not finding.rule.startswith("ready.")
        ]
        if serious:
            first = min(serious, key=Finding.sort_key)
            sub.fail(
                state.gate,
                f"{len(serious)} open critical or major finding(s); first: {first.render()}",
            )
    return sub


def _warnings(states: Sequence[GateState]) -> SubCheck:
    sub = SubCheck("no_warnings")
    for state in states:
        if state.verdict == "DEGRADED":
            sub.fail(state.gate, "is DEGRADED: READY never passes with warnings")
    return sub


def _approvals(states: Sequence[GateState], approval_checks: Collection[str]) -> SubCheck:
    sub = SubCheck("approvals")
    checked = [
        (state.gate, record)
        for state in states
        for record in state.records
        if record.check in approval_checks
    ]
    if not checked:
        sub.outcome, sub.message = "not_applicable", "no approval was required or used"
    for gate, record in checked:
        if record.outcome == "failed":
            sub.fail(gate, f"its approval is not valid: {record.message}")
    return sub


def _log(
    states: Sequence[GateState], log_problem: str | None, state_lines: Sequence[tuple[str, str]]
) -> SubCheck:
    sub = SubCheck("log")
    if log_problem is not None:
        sub.fail(states[0].gate if states else "", f"the log it continues is broken: {log_problem}")
    expected = [(state.gate, state.written) for state in states]
    audited = {state.gate for state in states}
    lines = [line for line in state_lines if line[0] in audited]
    if lines != expected:
        gates = [gate for gate, _ in lines]
        for state in states:
            if gates.count(state.gate) != 1:
                sub.fail(state.gate, f"has {gates.count(state.gate)} state lines in this run")
            elif (state.gate, state.written) not in lines:
                sub.fail(state.gate, "its state line cites other evidence")
        if sub.outcome == "passed":
            sub.fail(lines[0][0], "the state lines are not in gate order")
    return sub


def audit(
    states: Sequence[GateState],
    *,
    approval_checks: Collection[str],
    log_problem: str | None,
    state_lines: Sequence[tuple[str, str]],
    location: str | None = None,
) -> CheckResult:
    """READY's result over the audited gates (every gate but the READY gates, in gate order)."""
    subs = [
        _required(states),
        _digests(states),
        _open_findings(states),
        _warnings(states),
        _approvals(states, approval_checks),
        _log(states, log_problem, state_lines),
    ]
    return _result(subs, [state.gate for state in states], location)


def _result(subs: Sequence[SubCheck], gates: Sequence[str], location: str | None) -> CheckResult:
    """READY's result from its sub-checks; ``gates`` (the audited ones) orders what to rerun."""
    findings = [
        Finding.model_validate(
            {
                "rule": f"ready.{sub.name}",
                "severity": "critical",
                "location": {"path": location},
                "message": f"gate {gate} {problem}",
                "fix_hint": f"run gate {gate} again",
            }
        )
        for sub in subs
        for gate, problem in sub.problems
    ]
    order = {gate: index for index, gate in enumerate(gates)}
    named = {gate for sub in subs for gate, _ in sub.problems}
    again = sorted(named, key=lambda gate: order.get(gate, len(order)))
    details: dict[str, JsonValue] = {
        "subchecks": [sub.as_json() for sub in subs],
        "run_again": list(again),
    }
    if not again:
        done = [sub.name for sub in subs if sub.outcome == "passed"]
        return CheckResult(passed=True, summary=f"READY: {', '.join(done)} hold", details=details)
    failed = [sub.name for sub in subs if sub.outcome == "failed"]
    summary = f"not READY: run again {', '.join(again)} ({', '.join(failed)})"
    return CheckResult(passed=False, summary=summary, findings=findings, details=details)
