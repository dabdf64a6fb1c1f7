"""The go/no-go report, built once as a :class:`ReportDocument`.

Its renderings live in :mod:`pytest_gates.outputs.render`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from pytest_gates.chain import VERDICTS, Decision, GateVerdict
from pytest_gates.model.load import LoadedManifest
from pytest_gates.outputs.documents import (
    NO_DIGEST,
    REPORT_SCHEMA,
    EvidenceRef,
    ManifestRef,
    ReportBody,
    ReportDocument,
    ReportGate,
    SubjectRef,
)
from pytest_gates.outputs.evidence import WrittenEvidence, gate_summary
from pytest_gates.outputs.layout import evidence_path
from pytest_gates.support.subject import Subject

__all__ = ["build_report", "closure_metrics", "refusal_report"]


def build_report(
    *,
    generator: str,
    loaded: LoadedManifest,
    manifest_path: str,
    subject: Subject,
    verdicts: Mapping[str, GateVerdict],
    decision: Decision,
    reason: str,
    evidence: Mapping[str, WrittenEvidence],
    selection: Mapping[str, Any],
    run: Mapping[str, Any],
) -> ReportDocument:
    """The report document: a deterministic ``body`` and the run's ``run`` section (times, digests)."""
    gates = []
    for gate in loaded.gates_in_order():
        verdict = verdicts[gate.id]
        written = evidence[gate.id]
        evidence_ref = EvidenceRef(path=evidence_path(gate.id), body_sha256=written.body_digest)
        gates.append(
            ReportGate.model_validate(
                {
                    **gate_summary(loaded, gate).model_dump(by_alias=True),
                    "verdict": verdict.verdict,
                    "reason": verdict.reason,
                    "blocked_by": list(verdict.blocked_by),
                    "flaky": verdict.flaky,
                    "complete": verdict.complete,
                    "items": dict(verdict.counts),
                    "findings": written.document.body.findings,
                    "evidence": evidence_ref,
                }
            )
        )
    totals = Counter(v.verdict for v in verdicts.values())
    files: dict[str, JsonValue] = {
        gate_id: {"path": evidence_path(gate_id), "sha256": w.file_digest}
        for gate_id, w in sorted(evidence.items())
    }
    return ReportDocument(
        schema=REPORT_SCHEMA,
        body=ReportBody(
            generator=generator,
            project=loaded.manifest.project,
            decision=decision,
            reason=reason,
            manifest=ManifestRef(path=manifest_path, digest=loaded.digest),
            subject=SubjectRef(commit=subject.commit, dirty=subject.dirty),
            selection=dict(selection),
            gates=gates,
            totals={v: totals[v] for v in VERDICTS if totals[v]},
            closure=closure_metrics(evidence.values()),
        ),
        run={**run, "evidence": files},
    )


def refusal_report(
    generator: str, problems: Sequence[str], run: Mapping[str, Any]
) -> ReportDocument:
    """A NO_GO report that says why there is no decision to report (a merge refused).

    It has no gates, so no verdicts; it names no manifest (:data:`NO_DIGEST`) and no subject,
    since no one run is behind it. The problems are listed in ``run``, beside the times.
    """
    return ReportDocument(
        schema=REPORT_SCHEMA,
        body=ReportBody(
            generator=generator,
            project="",
            decision="NO_GO",
            reason="merge refused: " + "; ".join(problems),
            manifest=ManifestRef(path="", digest=NO_DIGEST),
            subject=SubjectRef(commit=None, dirty=None),
            selection={},
            gates=[],
            totals={},
            closure={},
        ),
        run={**run, "problems": list(problems)},
    )


def closure_metrics(evidence: Iterable[WrittenEvidence]) -> dict[str, int]:
    """Closure metrics the checks published (``details["closure"]``: name -> count), summed.

    A check kind that counts what stands between the project and a release (open blocking
    issues, undischarged obligations, stale artifacts) publishes the count there; the report
    carries the sums, so a later check can hold a release report to them.
    """
    sums: Counter[str] = Counter()
    for written in evidence:
        for item in written.document.body.items:
            published = item.details.get("closure")
            if isinstance(published, dict):
                for name, value in published.items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        sums[name] += value
    return {name: sums[name] for name in sorted(sums)}
