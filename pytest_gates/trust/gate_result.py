"""One gate's result as an in-toto ``test-result/v0.1`` statement, the form policy engines read.

https://github.com/in-toto/attestation/blob/main/spec/predicates/test-result.md: ``result`` is
PASSED, WARNED or FAILED; ``configuration`` holds the gate as a resource descriptor (its id and
the digest of its manifest entry); the checks go to ``passedTests``, ``warnedTests`` and
``failedTests``. The subjects are the commit and the manifest, as in the signed decision.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from pytest_gates.trust.decision import (
    DEFAULT_MANIFEST_PATH,
    CommitId,
    Digest,
    GateId,
    Verdict,
)
from pytest_gates.trust.statement import Statement, commit_subject, digest_hex, file_subject

TEST_RESULT_PREDICATE_TYPE: Final = "https://in-toto.io/attestation/test-result/v0.1"

ResultValue = Literal["PASSED", "WARNED", "FAILED"]
#: A gate's verdict as a test result; NOT_RUN has none (the gate did not run here).
RESULT_OF: Final[dict[str, ResultValue]] = {
    "PASS": "PASSED",
    "DEGRADED": "WARNED",
    "BYPASSED": "WARNED",
    "FAIL": "FAILED",
    "ERROR": "FAILED",
    "BLOCKED": "FAILED",
}


class GateResultFacts(BaseModel):
    """What a gate's test-result statement says; filled from the gate's evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    gate_id: GateId
    verdict: Verdict
    #: ``sha256:<hex>`` of the gate's manifest entry (its canonical JSON).
    definition_digest: Digest
    #: Check ids by outcome (a degraded check is warned).
    passed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    commit: CommitId
    manifest_digest: Digest
    manifest_path: str = DEFAULT_MANIFEST_PATH


def gate_result_statement(facts: GateResultFacts) -> Statement:
    """The ``test-result/v0.1`` statement of one gate that ran.

    Raises ValueError for a NOT_RUN gate: it has no result to state.
    """
    if facts.verdict not in RESULT_OF:
        raise ValueError(f"gate '{facts.gate_id}' did not run ({facts.verdict}): no test result")
    predicate = {
        "result": RESULT_OF[facts.verdict],
        "configuration": [
            {
                "name": f"gate:{facts.gate_id}",
                "digest": {"sha256": digest_hex(facts.definition_digest)},
                "annotations": {"manifest": facts.manifest_path, "verdict": facts.verdict},
            }
        ],
        "passedTests": list(facts.passed),
        "warnedTests": list(facts.warned),
        "failedTests": list(facts.failed),
    }
    return Statement(
        (
            commit_subject(facts.commit),
            file_subject(facts.manifest_path, facts.manifest_digest),
        ),
        TEST_RESULT_PREDICATE_TYPE,
        predicate,
    )
