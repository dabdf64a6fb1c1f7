"""The decision as a SLSA Verification Summary (VSA v1), for policy engines that read VSAs.

https://slsa.dev/spec/v1.0/verification_summary: "verifier V checked resource R against policy P:
PASSED". The signed decision is our own predicate (:mod:`pytest_gates.trust.decision`); this is a
companion statement built from the same facts, where the VSA's fixed fields allow:

* ``policy`` is the manifest (path and digest); ``resourceUri`` is given by the caller;
* ``inputAttestations`` are the evidence bodies (``evidence/<gate>``) and the log head;
* ``verificationResult`` is PASSED for GO and GO_WITH_BYPASS, FAILED otherwise (INCOMPLETE
  included: a partial run is never a release decision); ``verifiedLevels`` carries the exact
  decision as a custom level, ``PYTEST_GATES_<DECISION>``;
* ``timeVerified`` is a wall clock: ``SOURCE_DATE_EPOCH`` when set, so the bytes are reproducible.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Final

from pytest_gates.support.subject import now
from pytest_gates.trust.decision import VERIFIER_ID, DecisionFacts
from pytest_gates.trust.statement import Statement, commit_subject, digest_hex

VSA_PREDICATE_TYPE: Final = "https://slsa.dev/verification_summary/v1"
SLSA_VERSION: Final = "1.0"
PASSING: Final = frozenset({"GO", "GO_WITH_BYPASS"})


def verification_summary(
    facts: DecisionFacts, resource_uri: str, time_verified: datetime | None = None
) -> Statement:
    """The VSA statement of a decision; its subject is the commit (see the module docstring)."""
    moment = (time_verified or now()).astimezone(timezone.utc)
    inputs: list[dict[str, Any]] = [
        {"name": f"evidence/{gate.id}", "digest": {"sha256": digest_hex(gate.evidence)}}
        for gate in sorted(facts.gates, key=lambda g: g.id)
        if gate.evidence is not None
    ]
    if facts.log_head is not None:
        inputs.append(
            {"name": "transitions.jsonl#head", "digest": {"sha256": digest_hex(facts.log_head)}}
        )
    predicate = {
        "verifier": {"id": VERIFIER_ID, "version": {"pytest-gates": facts.tool_version}},
        "timeVerified": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resourceUri": resource_uri,
        "policy": {
            "uri": facts.manifest_path,
            "digest": {"sha256": digest_hex(facts.manifest_digest)},
        },
        "inputAttestations": inputs,
        "verificationResult": "PASSED" if facts.decision in PASSING else "FAILED",
        "verifiedLevels": [f"PYTEST_GATES_{facts.decision}"],
        "slsaVersion": SLSA_VERSION,
    }
    return Statement((commit_subject(facts.commit),), VSA_PREDICATE_TYPE, predicate)
