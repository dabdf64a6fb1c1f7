"""Writing a run's outputs in order: evidence, then the log that cites it, then the reports,
then the statements and the signature over the report (:mod:`pytest_gates.outputs.attest`).

Every file is written atomically, so a reader sees a whole file or the one before it; the order
means a report never cites evidence or a log line that is not on disk yet, and a signature never
covers a report that is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from pytest_gates.chain import Decision, GateVerdict, records_by_gate
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.attest import Attestation, attest
from pytest_gates.outputs.bypass import approval_events
from pytest_gates.outputs.documents import (
    EvidenceDocument,
    ReportDocument,
    Transition,
    dump,
    to_json,
)
from pytest_gates.outputs.evidence import WrittenEvidence, write_gates_evidence
from pytest_gates.outputs.layout import (
    ATTESTATIONS_DIR,
    EVIDENCE_DIR,
    LOG_FILE,
    RENDERED_KEY,
    REPORT_FILE,
    evidence_path,
)
from pytest_gates.outputs.redact import redact_document, redact_text, secret_values
from pytest_gates.outputs.render.registry import written_files
from pytest_gates.outputs.report import build_report
from pytest_gates.outputs.translog import TransitionLog
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import sha256_bytes
from pytest_gates.support.subject import Subject, isoformat, now

if TYPE_CHECKING:
    from pytest_gates.trust import PrivateKey


@dataclass(frozen=True)
class RunOutputs:
    """What a run wrote: the report and each gate's evidence."""

    document: ReportDocument
    evidence: Mapping[str, WrittenEvidence]
    #: The statements written beside the report; None when the run has no commit.
    attestation: Attestation | None = None

    @cached_property
    def report(self) -> dict[str, Any]:
        """The report's JSON data, as written to ``report.json`` (what the report hook gets)."""
        return to_json(self.document)


def write_report(
    outdir: Path, report: ReportDocument, evidence: Mapping[str, EvidenceDocument]
) -> ReportDocument:
    """Each rendering of the report that is written to a file, then ``report.json`` with their
    sha256 in its ``run`` section (:data:`RENDERED_KEY`), so that every file is covered by a
    digest of the report; the report as written is returned. The body does not change."""
    secrets = secret_values()
    rendered: dict[str, JsonValue] = {}
    for filename, render in written_files():
        data = redact_text(render(report, evidence), secrets).encode()
        atomic_write(outdir / filename, data)
        rendered[filename] = sha256_bytes(data)
    written = report.model_copy(update={"run": {**report.run, RENDERED_KEY: rendered}})
    atomic_write(outdir / REPORT_FILE, dump(written))
    return written


def remove_leftovers(outdir: Path) -> list[Path]:
    """Remove the temporary files of atomic writes a killed run left (``.<name>.*.tmp``) in the
    output folder, its evidence folder and its attestations folder; return them."""
    removed = []
    for folder in (outdir, outdir / EVIDENCE_DIR, outdir / ATTESTATIONS_DIR):
        for path in sorted(folder.glob(".?*.*.tmp")):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def run_events(
    loaded: LoadedManifest,
    verdicts: Mapping[str, GateVerdict],
    previous: Mapping[str, str],
    evidence: Mapping[str, WrittenEvidence],
    rollbacks: Mapping[str, Mapping[str, Any]],
    subject: Subject,
    moment: str,
) -> list[Transition]:
    """The run's lines of the log, gate by gate in manifest order: each retry attempt of its
    items, its state change, its degradation, its rollback."""
    events: list[Transition] = []
    for gate_id in loaded.order:
        common: dict[str, Any] = {
            "time": moment,
            "gate": gate_id,
            "manifest_digest": loaded.digest,
            "commit": subject.commit,
        }
        written = evidence[gate_id]
        for item in written.document.body.items:
            if len(item.attempts) > 1:
                events += [
                    Transition.model_validate(
                        {
                            **common,
                            "event": "retry",
                            "attempt": {"nodeid": item.nodeid, **a.model_dump()},
                        }
                    )
                    for a in item.attempts
                ]
        verdict = verdicts[gate_id]
        state = {"from": previous.get(gate_id), "to": verdict.verdict}
        events.append(
            Transition.model_validate(
                {
                    **common,
                    "event": "state",
                    **state,
                    "evidence": evidence_path(gate_id),
                    "evidence_body_sha256": written.body_digest,
                }
            )
        )
        if verdict.verdict == "DEGRADED":
            events.append(
                Transition.model_validate(
                    {**common, "event": "degrade", "to": "DEGRADED", "reason": verdict.reason}
                )
            )
        events += [
            Transition.model_validate({**common, **event})
            for event in approval_events(verdict.verdict, written.document)
        ]
        rollback = rollbacks.get(gate_id)
        if rollback is not None:
            exit_code = rollback.get("exit_code")
            done = {
                "run": [str(part) for part in rollback.get("run", [])],
                "exit_code": exit_code if isinstance(exit_code, int) else None,
                "outcome": rollback.get("outcome") or ("ok" if rollback.get("ok") else "failed"),
            }
            error = rollback.get("error")  # why it could not run, or its verification failed
            extra = {"reason": f"rollback error: {error}"} if error else {}
            events.append(
                Transition.model_validate(
                    {**common, "event": "rollback", "rollback": done, **extra}
                )
            )
    return events


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
    sign_key: PrivateKey | None = None,
    log_from: Path | None = None,
) -> RunOutputs:
    """Evidence per gate, the log's lines for this run, the report and its renderings, then
    the statements, and the signed decision when ``sign_key`` is given.

    ``log_from`` is a log this run continues (``--gates-log-from``): checked, then copied to the
    output folder unless the folder's log continues it already.
    """
    by_gate = records_by_gate(loaded.order, records)
    remove_leftovers(outdir)
    log = TransitionLog(outdir / LOG_FILE)
    if log_from is not None:
        log.start_from(log_from)
    previous = log.last_states()  # verifies the chain before anything is written
    evidence = write_gates_evidence(
        outdir, loaded, verdicts, by_gate, subject, manifest_path, rollbacks
    )
    moment = isoformat(now())
    events = run_events(loaded, verdicts, previous, evidence, rollbacks, subject, moment)
    head = log.append([redact_document(event) for event in events])
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
    documents = {gate_id: w.document for gate_id, w in evidence.items()}
    report = write_report(outdir, redact_document(report), documents)
    attestation = attest(outdir, loaded, report, documents, sign_key, moment)
    return RunOutputs(report, evidence, attestation)
