"""Evidence per gate, and writing a run's outputs: evidence, transition log, reports.

An evidence file has two parts. ``body`` is a deterministic function of the repository state and
the outcomes (no wall-clock); ``timing`` holds the durations. The report's deterministic body
records each evidence body's sha256; the transition log and the report's ``run`` section record
the sha256 of each whole file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_gates.chain import GateVerdict
from pytest_gates.model.manifest import Gate, LoadedManifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import json_digest, sha256_bytes
from pytest_gates.support.subject import Subject

EVIDENCE_SCHEMA: Final = "pytest-gates/evidence/v1"


def evidence_path(outdir: Path, gate_id: str) -> Path:
    # Gate ids match [a-z0-9][a-z0-9._-]*, so this never leaves the evidence folder.
    return outdir / "evidence" / f"{gate_id}.json"


def record_order(loaded: LoadedManifest, gate: Gate, record: ItemRecord) -> tuple[int, str]:
    """Checks in manifest order, then suite tests by node id: independent of completion order."""
    ids = [check.id for check in gate.checks]
    if record.check is not None and record.check in ids:
        return (ids.index(record.check), record.nodeid)
    return (len(ids), record.nodeid)


def findings_count(records: Sequence[ItemRecord]) -> dict[str, int]:
    counts = Counter(f.severity for record in records for f in record.findings)
    return {severity: counts[severity] for severity in ("error", "warning", "note")}


def gate_summary(loaded: LoadedManifest, gate: Gate) -> dict[str, Any]:
    manifest = loaded.manifest
    return {
        "id": gate.id,
        "class": gate.class_,
        "blocking": gate.blocking,
        "needs": list(gate.needs),
        "strategy": manifest.strategy(gate),
        "timeout": manifest.timeout(gate),
        "checks": [check.id for check in gate.checks],
        "suites": list(gate.suites),
    }


def evidence_document(
    loaded: LoadedManifest,
    gate: Gate,
    verdict: GateVerdict,
    records: Sequence[ItemRecord],
    subject: Subject,
    manifest_path: str,
    rollback: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: record_order(loaded, gate, r))
    body = {
        "gate": gate_summary(loaded, gate),
        "verdict": verdict.verdict,
        "reason": verdict.reason,
        "blocked_by": list(verdict.blocked_by),
        "flaky": verdict.flaky,
        "complete": verdict.complete,
        "manifest": {"path": manifest_path, "digest": loaded.digest},
        "subject": subject.as_dict(),
        "items": [record.body() for record in ordered],
        "findings": findings_count(ordered),
        "rollback": dict(rollback) if rollback is not None else None,
    }
    timing = {
        "items": {record.nodeid: record.timing() for record in ordered},
        "total": round(sum(record.duration for record in ordered), 6),
    }
    return {"schema": EVIDENCE_SCHEMA, "body": body, "timing": timing}


def body_digest(document: Mapping[str, Any]) -> str:
    return json_digest(document["body"])


def dump(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class WrittenEvidence:
    gate: str
    path: Path
    #: sha256 of the whole file.
    file_digest: str
    #: sha256 of the canonical JSON of ``body``.
    body_digest: str
    document: Mapping[str, Any]


def write_evidence(outdir: Path, gate_id: str, document: Mapping[str, Any]) -> WrittenEvidence:
    data = dump(document)
    path = evidence_path(outdir, gate_id)
    atomic_write(path, data)
    return WrittenEvidence(gate_id, path, sha256_bytes(data), body_digest(document), document)
