"""Writing a run's outputs in order: evidence, then the log that cites it, then the reports."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gates.chain import Decision, GateVerdict
from pytest_gates.model.manifest import LoadedManifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.evidence import WrittenEvidence, evidence_document, write_evidence
from pytest_gates.outputs.report import build_report, render_html, render_markdown, render_sarif
from pytest_gates.outputs.translog import TransitionLog
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.subject import Subject, isoformat, now


@dataclass(frozen=True)
class RunOutputs:
    report: dict[str, Any]
    evidence: Mapping[str, WrittenEvidence]


def write_outputs(
    *,
    outdir: Path,
    generator: str,
    loaded: LoadedManifest,
    manifest_path: str,
    subject: Subject,
    records: Sequence[ItemRecord],
    verdicts: Mapping[str, GateVerdict],
    rollbacks: Mapping[str, Mapping[str, Any]],
    decision: Decision,
    reason: str,
    selection: Mapping[str, Any],
    run: Mapping[str, Any],
) -> RunOutputs:
    by_gate: dict[str, list[ItemRecord]] = {gate_id: [] for gate_id in loaded.order}
    for record in records:
        by_gate[record.gate].append(record)
    log = TransitionLog(outdir / "transitions.jsonl")
    previous = log.last_states()  # verifies the chain before anything is written
    evidence: dict[str, WrittenEvidence] = {}
    for gate in loaded.gates_in_order():
        document = evidence_document(
            loaded,
            gate,
            verdicts[gate.id],
            by_gate[gate.id],
            subject,
            manifest_path,
            rollbacks.get(gate.id),
        )
        evidence[gate.id] = write_evidence(outdir, gate.id, document)
    moment = isoformat(now())
    head = log.append(
        [
            {
                "time": moment,
                "gate": gate_id,
                "from": previous.get(gate_id),
                "to": verdicts[gate_id].verdict,
                "evidence": f"evidence/{gate_id}.json",
                "evidence_sha256": evidence[gate_id].file_digest,
                "manifest_digest": loaded.digest,
                "commit": subject.commit,
            }
            for gate_id in loaded.order
        ]
    )
    report = build_report(
        generator=generator,
        loaded=loaded,
        manifest_path=manifest_path,
        subject=subject,
        verdicts=verdicts,
        decision=decision,
        reason=reason,
        evidence=evidence,
        selection=selection,
        run={**run, "transitions": {"path": "transitions.jsonl", **head.as_dict()}},
    )
    atomic_write(
        outdir / "report.json",
        (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
    )
    atomic_write(outdir / "report.md", render_markdown(report, evidence).encode())
    atomic_write(outdir / "report.html", render_html(report, evidence).encode())
    atomic_write(outdir / "findings.sarif", render_sarif(report, evidence).encode())
    return RunOutputs(report, evidence)
