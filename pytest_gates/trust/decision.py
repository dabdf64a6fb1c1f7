"""The decision predicate: what a signed report says, in our own versioned predicate type.

``https://pytest-gates.dev/decision/v1`` carries the decision, every gate's verdict with the digest
of its evidence body, the head of the transition log and the digest of the report body. Its JSON
Schema is generated from :class:`DecisionPredicate` and committed as
``manifests/schema/decision-predicate.schema.json``. Nothing in it is a wall clock: the same facts
give the same bytes.

The commit and the manifest are not in the predicate: they are the statement's subjects.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pytest_gates.support.version import __version__
from pytest_gates.trust.statement import (
    COMMIT_PATTERN,
    DIGEST_PATTERN,
    Statement,
    commit_subject,
    file_subject,
)

DECISION_PREDICATE_TYPE: Final = "https://pytest-gates.dev/decision/v1"
#: Who computed the decision, as a VSA names its verifier.
VERIFIER_ID: Final = "https://pytest-gates.dev"
DEFAULT_MANIFEST_PATH: Final = "manifests/gates.yaml"

# The chain's vocabulary, repeated because trust sits below nothing that may change it lightly.
Verdict = Literal["PASS", "FAIL", "ERROR", "DEGRADED", "BLOCKED", "BYPASSED", "NOT_RUN"]
Decision = Literal["GO", "GO_WITH_BYPASS", "NO_GO", "INCOMPLETE"]

Digest = Annotated[str, Field(pattern=DIGEST_PATTERN.pattern)]
CommitId = Annotated[str, Field(pattern=COMMIT_PATTERN.pattern)]
GateId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class GateFacts(_Frozen):
    """One gate's verdict and the digest of its evidence body (none when it has no evidence)."""

    id: GateId
    verdict: Verdict
    evidence: Digest | None = None


class DecisionFacts(_Frozen):
    """Everything a signed decision states; filled from the report by whoever signs it."""

    #: The commit the decision is about (full id).
    commit: CommitId
    #: ``sha256:<hex>`` of the manifest's bytes, and its path relative to the repository.
    manifest_digest: Digest
    manifest_path: str = DEFAULT_MANIFEST_PATH
    decision: Decision
    #: Every gate of the manifest; order does not matter (the predicate sorts by id).
    gates: tuple[GateFacts, ...]
    #: ``sha256:<hex>`` of the last transition log line, if a log was written.
    log_head: Digest | None = None
    #: ``sha256:<hex>`` of the report body (``report.json``'s ``body``).
    report_digest: Digest | None = None
    #: The version of pytest-gates that decided.
    tool_version: str = __version__

    @model_validator(mode="after")
    def _gate_ids_unique(self) -> DecisionFacts:
        ids = [gate.id for gate in self.gates]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"gate ids must be unique, found {', '.join(duplicates)} twice")
        return self


class Verifier(_Frozen):
    """Who decided: an id (URI) and the versions of its parts, shaped like a VSA's verifier."""

    id: str
    version: dict[str, str]


class GateVerdictEntry(_Frozen):
    """One gate in the predicate."""

    id: GateId
    verdict: Verdict
    #: ``sha256:<hex>`` of the gate's evidence body; null for a gate without evidence (NOT_RUN).
    evidence: Digest | None


class DecisionPredicate(_Frozen):
    """The predicate of ``https://pytest-gates.dev/decision/v1``."""

    decision: Decision
    verifier: Verifier
    #: Every gate, sorted by id.
    gates: list[GateVerdictEntry]
    #: ``sha256:<hex>`` of the last line of the transition log.
    log_head: Digest | None = Field(alias="logHead")
    #: ``sha256:<hex>`` of the report body.
    report: Digest | None

    @classmethod
    def from_facts(cls, facts: DecisionFacts) -> DecisionPredicate:
        return cls(
            decision=facts.decision,
            verifier=Verifier(id=VERIFIER_ID, version={"pytest-gates": facts.tool_version}),
            gates=[
                GateVerdictEntry(id=g.id, verdict=g.verdict, evidence=g.evidence)
                for g in sorted(facts.gates, key=lambda g: g.id)
            ],
            logHead=facts.log_head,
            report=facts.report_digest,
        )

    def as_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


def decision_statement(facts: DecisionFacts) -> Statement:
    """The in-toto Statement of a decision: commit and manifest as subjects, our predicate."""
    return Statement(
        (commit_subject(facts.commit), file_subject(facts.manifest_path, facts.manifest_digest)),
        DECISION_PREDICATE_TYPE,
        DecisionPredicate.from_facts(facts).as_dict(),
    )
