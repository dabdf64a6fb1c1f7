"""The bypasses of a run, read from its evidence: for the report's banner and for ``verify``.

A BYPASSED gate's evidence holds the record of the approval that allowed it (``details["bypass"]``,
see :mod:`pytest_gates.session.approvals`): who signed it (identity and key id), why, which gates,
and the approval file with its sha256.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_gates.chain import BYPASS_DETAIL
from pytest_gates.trust.errors import abbreviate

if TYPE_CHECKING:  # annotations only: the documents load when a run ends
    from pytest_gates.outputs.documents import EvidenceDocument, ReportBody

#: The ``details`` key of a gate's approval record (:mod:`pytest_gates.session.approvals`).
APPROVAL_DETAIL: Final = "approval"


def bypass_fact(evidence: EvidenceDocument) -> dict[str, Any] | None:
    """The approval facts of the record that bypassed this gate, if one did."""
    for item in evidence.body.items:
        fact = item.details.get(BYPASS_DETAIL)
        if item.outcome == "passed" and isinstance(fact, dict):
            return dict(fact)
    return None


@dataclass(frozen=True)
class Bypass:
    """One bypassed gate, as the report's banner names it."""

    gate: str
    kind: str
    identity: str
    keyid: str
    reason: str
    file: str
    sha256: str

    def sentence(self) -> str:
        """``gate deploy: override approval by alice (key 3f2a1b2c3d4e...): <reason>; approval
        approvals/override.deploy.....json (sha256:1a2b...)``."""
        return (
            f"gate {self.gate}: {self.kind} approval by {self.identity} (key "
            f"{abbreviate(self.keyid)}): {self.reason}; approval {self.file} "
            f"({abbreviate(self.sha256)})"
        )


def bypasses(body: ReportBody, evidence: Mapping[str, EvidenceDocument]) -> list[Bypass]:
    """The report's BYPASSED gates with their approvals, in gate order."""
    found = []
    for gate in body.gates:
        document = evidence.get(gate.id)
        fact = bypass_fact(document) if document is not None else None
        if gate.verdict != "BYPASSED" or fact is None:
            continue
        found.append(
            Bypass(
                gate=gate.id,
                kind=str(fact.get("kind", "")),
                identity=str(fact.get("identity", "")),
                keyid=str(fact.get("keyid", "")),
                reason=str(fact.get("reason", "")),
                file=str(fact.get("file", "")),
                sha256=str(fact.get("sha256", "")),
            )
        )
    return found


def _logged(fact: Mapping[str, Any]) -> dict[str, Any]:
    return {key: fact.get(key) for key in ("kind", "identity", "keyid", "reason", "file", "sha256")}


def approval_events(verdict: str, evidence: EvidenceDocument) -> list[dict[str, Any]]:
    """A gate's ``bypass`` line (its verdict is BYPASSED: the signer and the reason) and its
    ``review`` lines (one per reviewer, with the reviewed gate's executor), as the data of a
    :class:`~pytest_gates.outputs.documents.Transition` without the fields every line has."""
    events: list[dict[str, Any]] = []
    fact = bypass_fact(evidence)
    if verdict == "BYPASSED" and fact is not None:
        events.append(
            {
                "event": "bypass",
                "to": "BYPASSED",
                "reason": fact.get("reason"),
                "approval": _logged(fact),
            }
        )
    for item in evidence.body.items:
        approval = item.details.get(APPROVAL_DETAIL)
        if item.outcome != "passed" or not isinstance(approval, dict) or "reviewer" not in approval:
            continue
        signed = approval.get("approvals")
        for review in signed if isinstance(signed, list) else []:
            if isinstance(review, dict):
                logged = {**_logged(review), "executor": approval.get("executor")}
                events.append({"event": "review", "approval": logged})
    return events
