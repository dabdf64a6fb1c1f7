"""Folding READY last on the controller: after every other gate's verdict, over the evidence the
session wrote (:mod:`pytest_gates.checks.ready` says what it checks).

The items of a READY gate run in their place in the chain, once the gates they need are final,
and audit what those gates' results say (:func:`pytest_gates.checks.ready.ready`), so a gate that
needs READY (a deploy) never runs on an unready change. Once every gate is folded and the
rollbacks ran, the evidence is written, read back from disk and audited again with the digests,
approvals and the log, each passed READY record is replaced by that audit's result (a READY gate
audits the gates it needs, at any depth), and the gates are folded again. The outputs are then
written as usual (the evidence again, byte for byte the same unless something altered it).

On a CI shard, a READY gate that nothing depends on (:meth:`Manifest.judged_at_merge`) is not
judged: the gates it audits may run on other shards, so the plan does not keep them with it; its
READY check is skipped and its records are ``not_run``
(:data:`~pytest_gates.session.context.JUDGED_AT_MERGE`). ``pytest-gates merge`` then audits the
merged evidence (:func:`fold_merged_ready`) exactly as a whole session does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gates.chain import GateVerdict, fold, records_by_gate
from pytest_gates.checks.ready import READY_KIND, GateState, audit
from pytest_gates.errors import EvidenceError
from pytest_gates.model.graph import upstream
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Gate
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import load_json
from pytest_gates.outputs.evidence import (
    WrittenEvidence,
    body_digest,
    write_gates_evidence,
)
from pytest_gates.outputs.layout import LOG_FILE
from pytest_gates.outputs.translog import verify_log
from pytest_gates.session.approvals import APPROVAL_CHECK, BYPASS_CHECK
from pytest_gates.session.context import JUDGED_AT_MERGE, GatesContext
from pytest_gates.support.subject import Subject, isoformat, now


def ready_gates(loaded: LoadedManifest) -> list[Gate]:
    """The gates with a ``ready`` check, in gate order."""
    return [
        gate
        for gate in loaded.gates_in_order()
        if any(check.kind == READY_KIND for check in gate.checks)
    ]


def fold_ready(
    context: GatesContext,
    subject: Subject,
    records: Sequence[ItemRecord],
    verdicts: Mapping[str, GateVerdict],
    rollbacks: Mapping[str, Mapping[str, Any]],
    log_from: Path | None,
) -> tuple[list[ItemRecord], dict[str, GateVerdict]]:
    """The records and verdicts with each READY check folded over the written evidence
    (unchanged when no gate has a ``ready`` check); ``log_from`` is the log the run continues.
    On a CI shard, the READY gates judged at merge are left to it."""
    loaded = context.loaded
    ready = ready_gates(loaded)
    later = {gate.id for gate in ready if context.left_to_merge(gate)}
    if later:
        records = [
            record.model_copy(
                update={
                    "outcome": "not_run",
                    "message": JUDGED_AT_MERGE,
                    "findings": [],
                    "details": {},
                }
            )
            if record.gate in later and record.kind == READY_KIND
            else record
            for record in records
        ]
        verdicts = fold(loaded.manifest, loaded.order, records)
    site = AuditSite(loaded, context.outdir, context.manifest_display, subject)
    judged = [gate for gate in ready if gate.id not in later]
    return audit_ready(site, records, verdicts, rollbacks, log_from, judged)


def fold_merged_ready(
    loaded: LoadedManifest,
    outdir: Path,
    display: str,
    subject: Subject,
    records: Sequence[ItemRecord],
    verdicts: Mapping[str, GateVerdict],
) -> tuple[list[ItemRecord], dict[str, GateVerdict]]:
    """``pytest-gates merge``: the READY gates the shards left to it, audited over the merged
    evidence and log (their records pass to the audit as a session's pending READY check)."""
    gates = [gate for gate in ready_gates(loaded) if loaded.manifest.judged_at_merge(gate)]
    ids = {gate.id for gate in gates}
    pending = [
        record.model_copy(update={"outcome": "passed", "message": ""})
        if record.gate in ids and record.kind == READY_KIND and record.message == JUDGED_AT_MERGE
        else record
        for record in records
    ]
    folded = fold(loaded.manifest, loaded.order, pending)
    site = AuditSite(loaded, outdir, display, subject)
    return audit_ready(site, pending, folded, {}, None, gates)


@dataclass(frozen=True)
class AuditSite:
    """What READY is audited against: the manifest, the folder the evidence is written to, the
    manifest's name in findings, and the subject."""

    loaded: LoadedManifest
    outdir: Path
    display: str
    subject: Subject


def audit_ready(
    site: AuditSite,
    records: Sequence[ItemRecord],
    verdicts: Mapping[str, GateVerdict],
    rollbacks: Mapping[str, Mapping[str, Any]],
    log_from: Path | None,
    ready: Sequence[Gate],
) -> tuple[list[ItemRecord], dict[str, GateVerdict]]:
    """Each passed READY record of the ``ready`` gates replaced by :func:`audit` over the
    evidence written to ``site.outdir`` and read back, and the gates folded again."""
    if not ready:
        return list(records), dict(verdicts)
    loaded, outdir, display, subject = site.loaded, site.outdir, site.display, site.subject
    by_gate = records_by_gate(loaded.order, records)
    written = write_gates_evidence(outdir, loaded, verdicts, by_gate, subject, display, rollbacks)
    states = {
        gate.id: _state(gate, verdicts[gate.id], by_gate[gate.id], written[gate.id])
        for gate in loaded.gates_in_order()
    }
    from pytest_gates.outputs.write import run_events  # the writers load when a run ends

    events = run_events(loaded, verdicts, {}, written, rollbacks, subject, isoformat(now()))
    lines = [
        (event.gate, event.evidence_body_sha256 or "")
        for event in events
        if event.event == "state" and event.gate is not None
    ]
    log_problem = _log_problem([outdir / LOG_FILE, log_from])
    needs = loaded.manifest.needs()
    results = {
        # Each READY gate audits the gates it needs, at any depth: never one that comes after
        # it (a deploy, its verification), which ran because READY passed.
        gate.id: audit(
            [states[gate_id] for gate_id in upstream(gate.id, needs, loaded.order)],
            approval_checks={APPROVAL_CHECK, BYPASS_CHECK},
            log_problem=log_problem,
            state_lines=lines,
            location=display,
        )
        for gate in ready
    }
    folded = []
    for record in records:
        result = results.get(record.gate)
        if result is not None and record.kind == READY_KIND and record.outcome == "passed":
            record = record.model_copy(
                update={
                    "outcome": "passed" if result.passed else "failed",
                    "message": "" if result.passed else result.summary,
                    "findings": result.findings,
                    "details": {**record.details, **result.details},
                }
            )
        folded.append(record)
    return folded, fold(loaded.manifest, loaded.order, folded)


def _state(
    gate: Gate, verdict: GateVerdict, records: Sequence[ItemRecord], written: WrittenEvidence
) -> GateState:
    """An audited gate, with the body digest of its evidence file as it is on disk now."""
    try:
        data = load_json(written.path)
        on_disk: str | None = body_digest(data["body"])
        problem = ""
    except (EvidenceError, KeyError, TypeError) as exc:
        on_disk, problem = None, str(exc)
    return GateState(
        gate=gate.id,
        blocking=gate.blocking,
        verdict=verdict.verdict,
        complete=verdict.complete,
        records=records,
        written=written.body_digest,
        on_disk=on_disk,
        disk_problem=problem,
    )


def _log_problem(logs: Sequence[Path | None]) -> str | None:
    """Why a log this run continues does not hold its chain, or None."""
    for path in logs:
        if path is None:
            continue
        try:
            verify_log(path)
        except EvidenceError as exc:
            return str(exc)
    return None
