"""Writing a run's outputs in order: evidence, then the log that cites it, then the reports.

Every file is written atomically, so a reader sees a whole file or the one before it; the order
means a report never cites evidence or a log line that is not on disk yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_gates.chain import Decision, GateVerdict
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import (
    EvidenceDocument,
    ReportDocument,
    Transition,
    dump,
    to_json,
)
from pytest_gates.outputs.evidence import WrittenEvidence, evidence_document, write_evidence
from pytest_gates.outputs.layout import LOG_FILE, REPORT_FILE, evidence_path
from pytest_gates.outputs.render.registry import written_files
from pytest_gates.outputs.report import build_report
from pytest_gates.outputs.translog import TransitionLog
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.subject import Subject, isoformat, now


@dataclass(frozen=True)
class RunOutputs:
    """What a run wrote: the report and each gate's evidence."""

    document: ReportDocument
    evidence: Mapping[str, WrittenEvidence]

    @cached_property
    def report(self) -> dict[str, Any]:
        """The report's JSON data, as written to ``report.json`` (what the report hook gets)."""
        return to_json(self.document)


def write_report(
    outdir: Path, report: ReportDocument, evidence: Mapping[str, EvidenceDocument]
) -> None:
    """``report.json``, then each rendering of it that is written to a file."""
    atomic_write(outdir / REPORT_FILE, dump(report))
    for filename, render in written_files():
        atomic_write(outdir / filename, render(report, evidence).encode())


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
    """Evidence per gate, the log's lines for this run, the report and its renderings."""
    by_gate: dict[str, list[ItemRecord]] = {gate_id: [] for gate_id in loaded.order}
    for record in records:
        by_gate[record.gate].append(record)
    log = TransitionLog(outdir / LOG_FILE)
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
        evidence[gate.id] = write_evidence(outdir, document)
    moment = isoformat(now())
    head = log.append(
        [
            Transition.model_validate(
                {
                    "time": moment,
                    "gate": gate_id,
                    "from": previous.get(gate_id),
                    "to": verdicts[gate_id].verdict,
                    "evidence": evidence_path(gate_id),
                    "evidence_sha256": evidence[gate_id].file_digest,
                    "manifest_digest": loaded.digest,
                    "commit": subject.commit,
                }
            )
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
        run={**run, "transitions": {"path": LOG_FILE, **head.as_dict()}},
    )
    write_report(outdir, report, {gate_id: w.document for gate_id, w in evidence.items()})
    return RunOutputs(report, evidence)
