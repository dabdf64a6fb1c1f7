"""The documents a run writes, as models: the evidence, the report and the transition-log line.

Each document is built once as its model, validated when it is made, written from it and read back
through it (by ``verify``, ``merge``, the renderers and the ``release_report`` kind). The JSON
Schemas of the evidence and the report are generated from here (``pytest-gates schema``), so the
model classes carry no docstrings beyond the two the committed schemas hold.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from pytest_gates.chain import Decision, Verdict
from pytest_gates.errors import EvidenceError
from pytest_gates.model.findings import LEVEL_SEVERITY, Finding
from pytest_gates.model.manifest import GateClass, Strategy
from pytest_gates.model.records import ItemOutcome

EVIDENCE_SCHEMA: Final = "pytest-gates/evidence/v1"
REPORT_SCHEMA: Final = "pytest-gates/report/v1"
#: The digest that stands for "nothing": before the log's first line, and the manifest of a
#: report that names none (a refused merge).
NO_DIGEST: Final = "sha256:" + "0" * 64
#: How every digest of ours is written.
DIGEST_PATTERN: Final = r"^sha256:[0-9a-f]{64}$"


class Document(BaseModel):
    """A document of the output folder, or a part of one: unknown keys are an error."""

    # Built on first use: a session's workers never write a document, and the controller only
    # when the run ends (0.015 s of every start-up otherwise).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ManifestRef(Document):
    path: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class SubjectRef(Document):
    commit: str | None
    dirty: bool | None


class FindingCounts(Document):
    critical: int = Field(ge=0)
    major: int = Field(ge=0)
    minor: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _levels(cls, data: Any) -> Any:
        # Counts by a tool's level (written before severities) are read as severities.
        if isinstance(data, dict) and {"error", "warning", "note"} & data.keys():
            levels = {k: v for k, v in data.items() if k in LEVEL_SEVERITY}
            counts = {k: v for k, v in data.items() if k not in LEVEL_SEVERITY}
            for level, count in levels.items():
                severity = LEVEL_SEVERITY[level]
                counts[severity] = counts.get(severity, 0) + count
            return {"critical": 0, "major": 0, "minor": 0, **counts}
        return data

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingCounts:
        """The count of each severity among ``findings``."""
        counts = Counter(finding.severity for finding in findings)
        return cls(critical=counts["critical"], major=counts["major"], minor=counts["minor"])


class GateSummary(Document):
    id: str
    class_: GateClass = Field(alias="class")
    blocking: bool
    needs: list[str]
    strategy: Strategy
    timeout: float | None
    checks: list[str]
    suites: list[str]


class AttemptBody(Document):
    attempt: int = Field(ge=1)
    outcome: Literal["passed", "failed", "error"]
    summary: str


class ItemBody(Document):
    nodeid: str
    gate: str
    check: str | None
    kind: str | None
    outcome: ItemOutcome
    message: str
    blocked_by: list[str]
    attempts: list[AttemptBody]
    flaky: bool
    findings: list[Finding]
    details: dict[str, JsonValue]
    output: str
    shard: int | None


class EvidenceBody(Document):
    gate: GateSummary
    verdict: Verdict
    reason: str
    blocked_by: list[str]
    flaky: bool
    complete: bool
    manifest: ManifestRef
    subject: SubjectRef
    items: list[ItemBody]
    findings: FindingCounts
    rollback: dict[str, JsonValue] | None


class ItemTiming(Document):
    duration: float = Field(ge=0)
    attempts: list[float]


class EvidenceTiming(Document):
    items: dict[str, ItemTiming]
    total: float = Field(ge=0)


class EvidenceDocument(Document):
    """``evidence/<gate-id>.json``: the deterministic ``body`` and the ``timing``."""

    schema_: Literal["pytest-gates/evidence/v1"] = Field(alias="schema")
    body: EvidenceBody
    timing: EvidenceTiming


class EvidenceRef(Document):
    path: str
    body_sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class ReportGate(GateSummary):
    verdict: Verdict
    reason: str
    blocked_by: list[str]
    flaky: bool
    complete: bool
    items: dict[ItemOutcome, int]
    findings: FindingCounts
    evidence: EvidenceRef


class ReportBody(Document):
    generator: str
    project: str
    decision: Decision
    reason: str
    manifest: ManifestRef
    subject: SubjectRef
    selection: dict[str, JsonValue]
    gates: list[ReportGate]
    totals: dict[Verdict, int]
    closure: dict[str, int]


class ReportDocument(Document):
    """``report.json``: the deterministic ``body`` (the decision) and the run's ``run`` section."""

    schema_: Literal["pytest-gates/report/v1"] = Field(alias="schema")
    body: ReportBody
    run: dict[str, JsonValue]


LogEvent = Literal["state", "retry", "degrade", "rollback", "sign", "bypass", "review"]
#: What each event of the log needs beside the common fields (a state line of a log written
#: before events existed has ``evidence_sha256``, the whole file's digest, instead of the body's).
EVENT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "state": ("gate", "to", "evidence"),
    "retry": ("gate", "attempt"),
    "degrade": ("gate", "to", "reason"),
    "rollback": ("gate", "rollback"),
    "sign": ("signature",),
    "bypass": ("gate", "to", "reason", "approval"),
    "review": ("gate", "approval"),
}


class LoggedAttempt(Document):
    """One attempt of a retried item (``retry`` lines)."""

    nodeid: str
    attempt: int = Field(ge=1)
    outcome: Literal["passed", "failed", "error"]
    summary: str


class LoggedRollback(Document):
    """The rollback command a failed gate ran (``rollback`` lines)."""

    run: list[str]
    exit_code: int | None
    outcome: Literal["ok", "failed", "error"]


class LoggedSignature(Document):
    """A signed decision (``sign`` lines): the key and the digest of the signed statement."""

    keyid: str = Field(pattern=r"^[0-9a-f]{64}$")
    statement_sha256: str = Field(pattern=DIGEST_PATTERN)
    predicate_type: str


class LoggedApproval(Document):
    """The signed approval behind a ``bypass`` or a ``review`` line: who signed (identity, key),
    why, the approval file and its sha256; for a review, the reviewed gate's executor."""

    kind: Literal["approve", "override", "emergency", "review"]
    identity: str
    keyid: str = Field(pattern=r"^[0-9a-f]{64}$")
    reason: str
    file: str
    sha256: str = Field(pattern=DIGEST_PATTERN)
    executor: str | None = None


class Transition(Document):
    """An event of one run: a line of ``transitions.jsonl`` before it is chained.

    ``event`` says what happened: a gate's ``state`` change (``from`` -> ``to``), a ``retry``
    attempt, a ``degrade``, a ``rollback``, a ``bypass`` (the approval that made a gate
    BYPASSED), a ``review`` (the reviewer of a reviewing gate), or the decision's ``sign``. A line
    without ``event`` (written before events existed) is a ``state`` line.
    """

    #: When the run that logged it finished writing its evidence (``SOURCE_DATE_EPOCH`` if set).
    time: str
    event: LogEvent = "state"
    gate: str | None = None
    from_: Verdict | None = Field(default=None, alias="from")
    to: Verdict | None = None
    #: The evidence file, relative to the output folder, and the sha256 of its body.
    evidence: str | None = None
    evidence_body_sha256: str | None = Field(default=None, pattern=DIGEST_PATTERN)
    #: Logs before events: the sha256 of the whole evidence file (timings included).
    evidence_sha256: str | None = Field(default=None, pattern=DIGEST_PATTERN)
    manifest_digest: str = Field(pattern=DIGEST_PATTERN)
    commit: str | None
    #: The shard that logged it, for lines a merge chained from a shard's log.
    shard: int | None = Field(default=None, ge=1)
    reason: str | None = None
    attempt: LoggedAttempt | None = None
    rollback: LoggedRollback | None = None
    signature: LoggedSignature | None = None
    approval: LoggedApproval | None = None

    @model_validator(mode="after")
    def _fields_of_event(self) -> Transition:
        missing = [name for name in EVENT_FIELDS[self.event] if getattr(self, name) is None]
        no_digest = self.evidence_body_sha256 is None and self.evidence_sha256 is None
        if self.event == "state" and no_digest:
            missing.append("evidence_body_sha256")
        if missing:
            raise ValueError(f"a {self.event} line needs {', '.join(missing)}")
        return self

    def line_data(self) -> dict[str, Any]:
        """The JSON data of the line: the fields it was given (an unused field is left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class LoggedTransition(Transition):
    """A line of ``transitions.jsonl``: an event with its place in the hash chain."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)

    #: The line's 1-based position in the log.
    seq: int = Field(ge=1)
    #: The run that logged it: 1 for the first run that wrote the log, then counting up.
    run: int = Field(ge=1)
    #: The sha256 of the line before it, :data:`NO_DIGEST` for the first line.
    prev: str = Field(pattern=DIGEST_PATTERN)


D = TypeVar("D", bound=Document)


def to_json(document: Document) -> dict[str, Any]:
    """The document as the JSON data it is written as (aliases, not attribute names)."""
    return document.model_dump(mode="json", by_alias=True)


def dump(document: Document) -> bytes:
    """The bytes of a document file: sorted keys, indented, UTF-8, one final newline."""
    return dump_data(to_json(document))


def dump_data(data: Any) -> bytes:
    """:func:`dump` of a document already turned into its JSON data by :func:`to_json`.

    orjson writes it (the standard library's encoder is pure Python once it indents: 20 times
    slower on an evidence file of 100 items); the standard library writes what orjson refuses
    (an integer beyond 64 bits). The two differ only in how a float is spelled (``0.00001``,
    ``1e-05``), which no digest depends on: bodies are digested as canonical JSON.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:
        return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def load_json(path: Path) -> Any:
    """A JSON file's data; :class:`EvidenceError` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"{path}: unreadable: {exc}") from None


def first_error(exc: ValidationError) -> str:
    """The first thing a validation found, as ``where.in.the.data: what``."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"{where}: {err['msg']}"


def read_document(path: Path, model: type[D], what: str) -> tuple[D, dict[str, Any]]:
    """The document at ``path`` as ``model``, and its JSON data as stored (digests are taken of
    what is stored, not of a re-serialisation). :class:`EvidenceError` names what is wrong."""
    data = load_json(path)
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise EvidenceError(f"{path}: not {what}: {first_error(exc)}") from None


def output_schema(model: type[Document], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema
