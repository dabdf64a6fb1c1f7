"""The shapes of the files a run writes (evidence, report), as models: their JSON Schemas are
generated from here, and ``verify`` reads the files through them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from pytest_gates.chain import Decision, Verdict
from pytest_gates.model.findings import Finding
from pytest_gates.model.manifest import GateClass, Strategy
from pytest_gates.model.records import ItemOutcome


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ManifestRef(Document):
    path: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class SubjectRef(Document):
    commit: str | None
    dirty: bool | None


class FindingCounts(Document):
    error: int = Field(ge=0)
    warning: int = Field(ge=0)
    note: int = Field(ge=0)


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


def output_schema(model: type[Document], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema
