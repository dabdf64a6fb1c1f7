"""Evidence per gate: built once as an :class:`EvidenceDocument`, written atomically.

An evidence file has two parts. ``body`` is a deterministic function of the repository state and
the outcomes (no wall-clock); ``timing`` holds the durations. The report's deterministic body
records each evidence body's sha256; the transition log and the report's ``run`` section record
the sha256 of each whole file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gates.chain import GateVerdict
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Gate
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import (
    EVIDENCE_SCHEMA,
    EvidenceBody,
    EvidenceDocument,
    EvidenceTiming,
    FindingCounts,
    GateSummary,
    ItemBody,
    ItemTiming,
    ManifestRef,
    SubjectRef,
    dump_data,
    to_json,
)
from pytest_gates.outputs.layout import evidence_path
from pytest_gates.outputs.redact import redact_document
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import json_digest, sha256_bytes
from pytest_gates.support.subject import Subject


def in_record_order(gate: Gate, records: Sequence[ItemRecord]) -> list[ItemRecord]:
    """Checks in manifest order, then suite tests by node id: independent of completion order."""
    position = {check.id: index for index, check in reversed(list(enumerate(gate.checks)))}
    last = len(gate.checks)
    return sorted(records, key=lambda r: (position.get(r.check or "", last), r.nodeid))


def findings_count(records: Sequence[ItemRecord]) -> FindingCounts:
    return FindingCounts.of(f for record in records for f in record.findings)


def gate_summary(loaded: LoadedManifest, gate: Gate) -> GateSummary:
    """What the manifest says of a gate, as the evidence and the report repeat it."""
    manifest = loaded.manifest
    return GateSummary.model_validate(
        {
            "id": gate.id,
            "class": gate.class_,
            "blocking": gate.blocking,
            "needs": list(gate.needs),
            "strategy": manifest.strategy(gate),
            "timeout": manifest.timeout(gate),
            "checks": [check.id for check in gate.checks],
            "suites": list(gate.suites),
        }
    )


def evidence_document(
    loaded: LoadedManifest,
    gate: Gate,
    verdict: GateVerdict,
    records: Sequence[ItemRecord],
    subject: Subject,
    manifest_path: str,
    rollback: Mapping[str, Any] | None = None,
) -> EvidenceDocument:
    """A gate's evidence: its verdict and its items in a completion-independent order."""
    ordered = in_record_order(gate, records)
    body = EvidenceBody(
        gate=gate_summary(loaded, gate),
        verdict=verdict.verdict,
        reason=verdict.reason,
        blocked_by=list(verdict.blocked_by),
        flaky=verdict.flaky,
        complete=verdict.complete,
        manifest=ManifestRef(path=manifest_path, digest=loaded.digest),
        subject=SubjectRef(commit=subject.commit, dirty=subject.dirty),
        items=[ItemBody.model_validate(record, from_attributes=True) for record in ordered],
        findings=findings_count(ordered),
        rollback=dict(rollback) if rollback is not None else None,
    )
    timing = EvidenceTiming(
        items={record.nodeid: ItemTiming.model_validate(record.timing()) for record in ordered},
        total=round(sum(record.duration for record in ordered), 6),
    )
    return EvidenceDocument(schema=EVIDENCE_SCHEMA, body=body, timing=timing)


def body_digest(body: EvidenceBody | Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of an evidence body (a model, or the data as stored)."""
    return json_digest(to_json(body) if isinstance(body, EvidenceBody) else body)


@dataclass(frozen=True)
class WrittenEvidence:
    """An evidence file as written: where, its digests, and the document."""

    gate: str
    #: The file, under the output folder.
    path: Path
    #: sha256 of the whole file.
    file_digest: str
    #: sha256 of the canonical JSON of ``body``.
    body_digest: str
    document: EvidenceDocument


def write_evidence(outdir: Path, document: EvidenceDocument) -> WrittenEvidence:
    """Write a gate's evidence, its secrets masked first (so the digests are of what is on disk)."""
    document = redact_document(document)
    gate_id = document.body.gate.id
    # One model dump serves both the file and the body's digest.
    tree = to_json(document)
    data = dump_data(tree)
    path = outdir / evidence_path(gate_id)
    atomic_write(path, data)
    return WrittenEvidence(gate_id, path, sha256_bytes(data), json_digest(tree["body"]), document)


def write_gates_evidence(
    outdir: Path,
    loaded: LoadedManifest,
    verdicts: Mapping[str, GateVerdict],
    by_gate: Mapping[str, Sequence[ItemRecord]],
    subject: Subject,
    manifest_path: str,
    rollbacks: Mapping[str, Mapping[str, Any]],
) -> dict[str, WrittenEvidence]:
    """Every gate's evidence file, written in run order."""
    return {
        gate.id: write_evidence(
            outdir,
            evidence_document(
                loaded,
                gate,
                verdicts[gate.id],
                by_gate[gate.id],
                subject,
                manifest_path,
                rollbacks.get(gate.id),
            ),
        )
        for gate in loaded.gates_in_order()
    }
