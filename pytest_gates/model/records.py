"""What is known about one item after the run, and how a worker sends it to the controller.

A worker (or the single pytest process) attaches a JSON payload to each phase's report as the user
property ``gates``; the controller folds the payloads into one :class:`ItemRecord` per item.
Reports without a payload (a crashed xdist worker, a foreign plugin's report) are an ``error``.
The process that made a report keeps its payload decoded, so that its hooks read it without
parsing the JSON again (:func:`report_payload`); the JSON is what crosses to the controller.
"""

from __future__ import annotations

import weakref
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from pytest_gates.model.findings import Finding, sorted_findings

#: The user-property name the payload travels under from a worker to the controller.
PROPERTY: Final = "gates"

ItemOutcome = Literal["passed", "failed", "error", "degraded", "blocked", "skipped", "not_run"]
#: Worst first: the outcome of an item is the worst of its phases.
SEVERITY_ORDER: Final[tuple[ItemOutcome, ...]] = (
    "error",
    "failed",
    "degraded",
    "blocked",
    "skipped",
    "passed",
    "not_run",
)


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempt: int
    outcome: Literal["passed", "failed", "error"]
    summary: str = ""
    #: Seconds; a timing field, kept out of the deterministic evidence body.
    duration: float = 0.0


class PhasePayload(BaseModel):
    """What one phase (setup, call, teardown) of an item reports."""

    model_config = ConfigDict(extra="forbid")

    gate: str
    check: str | None = None
    kind: str | None = None
    when: str
    outcome: ItemOutcome
    message: str = ""
    blocked_by: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    details: dict[str, JsonValue] = Field(default_factory=dict)
    output: str = ""

    def encode(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def decode(cls, text: str) -> PhasePayload:
        return cls.model_validate_json(text)


def payload_of(user_properties: list[tuple[str, Any]]) -> PhasePayload | None:
    for name, value in user_properties:
        if name == PROPERTY and isinstance(value, str):
            return PhasePayload.decode(value)
    return None


class _LastPayload:
    """The payload of the report this process's hooks are at, as made or decoded: the hooks of
    one report run one after another, so one report is remembered (not every report: a
    session keeps its reports, and a payload each would be kept as long)."""

    def __init__(self) -> None:
        self.report: weakref.ReferenceType[Any] | None = None
        self.payload: PhasePayload | None = None

    def get(self, report: Any) -> tuple[bool, PhasePayload | None]:
        known = self.report is not None and self.report() is report
        return known, self.payload if known else None

    def set(self, report: Any, payload: PhasePayload | None) -> None:
        self.report, self.payload = weakref.ref(report), payload


_LAST: Final = _LastPayload()


def attach_payload(report: Any, payload: PhasePayload, *, ship: bool) -> None:
    """Put ``payload`` on a phase's ``report`` for this process's hooks (they must not change
    it), and with ``ship`` (on an xdist worker) also as JSON in its user properties, which the
    worker sends the controller."""
    if ship:
        report.user_properties.append((PROPERTY, payload.encode()))
    _LAST.set(report, payload)


def report_payload(report: Any) -> PhasePayload | None:
    """The payload of a phase's ``report`` (None for a report without one), decoded once for
    the hooks of that report."""
    known, payload = _LAST.get(report)
    if not known:
        payload = payload_of(report.user_properties)
        _LAST.set(report, payload)
    return payload


class ItemRecord(BaseModel):
    """An item's result as it goes into the evidence."""

    model_config = ConfigDict(extra="forbid")

    nodeid: str
    gate: str
    check: str | None = None
    kind: str | None = None
    outcome: ItemOutcome = "not_run"
    message: str = ""
    blocked_by: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    flaky: bool = False
    findings: list[Finding] = Field(default_factory=list)
    details: dict[str, JsonValue] = Field(default_factory=dict)
    output: str = ""
    #: The shard that runs this item, in a sharded run.
    shard: int | None = None
    #: setup + call + teardown seconds (timing).
    duration: float = 0.0

    def absorb(
        self,
        payload: PhasePayload | None,
        *,
        when: str,
        failed: bool,
        skipped: bool,
        longrepr: str,
        duration: float,
    ) -> None:
        """Fold one phase's report into this record (worst outcome wins)."""
        self.duration += duration
        if payload is None:
            if failed:
                outcome: ItemOutcome = "error"
                message = longrepr or f"{when} failed without a result"
            elif skipped:
                outcome, message = "skipped", longrepr
            else:
                outcome, message = "passed", ""
            self._merge(outcome, message)
            return
        self.check = payload.check or self.check
        self.kind = payload.kind or self.kind
        if payload.attempts:
            self.attempts = payload.attempts
            self.flaky = payload.attempts[-1].outcome == "passed" and len(payload.attempts) > 1
        if payload.findings:
            self.findings = sorted_findings([*self.findings, *payload.findings])
        if payload.details:
            self.details = {**self.details, **payload.details}
        if payload.output:
            self.output = payload.output
        if payload.blocked_by:
            self.blocked_by = payload.blocked_by
        self._merge(payload.outcome, payload.message)

    def _merge(self, outcome: ItemOutcome, message: str) -> None:
        if self.outcome == "not_run" or SEVERITY_ORDER.index(outcome) < SEVERITY_ORDER.index(
            self.outcome
        ):
            self.outcome = outcome
            if message:
                self.message = message
        elif not self.message and message and outcome == self.outcome:
            self.message = message

    def timing(self) -> dict[str, Any]:
        return {
            "duration": round(self.duration, 6),
            "attempts": [round(a.duration, 6) for a in self.attempts],
        }
