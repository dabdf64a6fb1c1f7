"""Re-checking a run's outputs: digests, the log chain, and the verdicts folded again.

``pytest-gates verify DIR`` trusts nothing it is given: it recomputes each evidence file's digest
and its body's, walks the transition log's chain, finds the report's head in it, and folds every
gate's verdict again from the items recorded in the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import JsonValue, ValidationError

from pytest_gates.chain import GateVerdict, decide, fold_gate, tolerates_failure
from pytest_gates.errors import EvidenceError
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import (
    EvidenceDocument,
    LoggedTransition,
    ReportBody,
    ReportDocument,
    first_error,
    load_json,
    read_document,
)
from pytest_gates.outputs.evidence import body_digest
from pytest_gates.outputs.layout import LOG_FILE, REPORT_FILE, evidence_path
from pytest_gates.outputs.translog import log_head, verify_log
from pytest_gates.support.digest import file_digest


def _section(run: Mapping[str, JsonValue], key: str) -> Mapping[str, JsonValue]:
    value = run.get(key)
    return value if isinstance(value, dict) else {}


def recorded_file_digest(run: Mapping[str, JsonValue], gate_id: str) -> JsonValue:
    """The sha256 of a gate's evidence file that the report's ``run`` section recorded."""
    return _section(_section(run, "evidence"), gate_id).get("sha256")


def read_report(outdir: Path) -> ReportDocument:
    """The report of an output folder; :class:`EvidenceError` when it is missing or not one."""
    report, _ = read_document(outdir / REPORT_FILE, ReportDocument, "a pytest-gates report")
    return report


def verify_outputs(outdir: Path) -> list[str]:
    """Every problem found in ``outdir``; an empty list means the outputs hold together."""
    try:
        report = read_report(outdir)
    except EvidenceError as exc:
        return [str(exc)]
    problems, verdicts = _verify_evidence(outdir, report)
    body = report.body
    order = [gate.id for gate in body.gates]
    if len(verdicts) == len(order):
        decision, _ = decide(verdicts)
        if decision != body.decision:
            problems.append(
                f"decision: the report says {body.decision}, the verdicts give {decision}"
            )
    return problems + _verify_log(outdir, report.run, body)


def _verify_evidence(
    outdir: Path, report: ReportDocument
) -> tuple[list[str], dict[str, GateVerdict]]:
    """Each gate's evidence against the report's digests, and its verdict folded again."""
    problems: list[str] = []
    order = [gate.id for gate in report.body.gates]
    verdicts: dict[str, GateVerdict] = {}
    for gate in report.body.gates:
        path = outdir / evidence_path(gate.id)
        try:
            data = load_json(path)
            document = EvidenceDocument.model_validate(data)
        except EvidenceError as exc:
            problems.append(f"gate {gate.id}: {exc}: no evidence, so no verdict")
            continue
        except ValidationError as exc:
            problems.append(
                f"gate {gate.id}: {path}: not pytest-gates evidence: {first_error(exc)}"
            )
            continue
        recorded = recorded_file_digest(report.run, gate.id)
        actual = file_digest(path)
        if recorded != actual:
            problems.append(
                f"gate {gate.id}: {path} has sha256 {actual}, the report recorded {recorded}"
            )
        if body_digest(data["body"]) != gate.evidence.body_sha256:
            problems.append(f"gate {gate.id}: the evidence body does not match the report's digest")
        evidence = document.body
        records = [
            ItemRecord.model_validate({**item.model_dump(), "duration": 0.0})
            for item in evidence.items
        ]
        summary = evidence.gate
        tolerates = tolerates_failure(summary.blocking, summary.strategy)
        folded = fold_gate(gate.id, summary.needs, tolerates, records, verdicts, order)
        verdicts[gate.id] = folded
        if folded.verdict != gate.verdict or evidence.verdict != gate.verdict:
            problems.append(
                f"gate {gate.id}: the report says {gate.verdict}, the evidence says "
                f"{evidence.verdict}, its items fold to {folded.verdict}"
            )
    return problems, verdicts


def _verify_log(outdir: Path, run: Mapping[str, JsonValue], body: ReportBody) -> list[str]:
    path = outdir / LOG_FILE
    try:
        entries = verify_log(path)
    except EvidenceError as exc:
        return [str(exc)]
    order = [gate.id for gate in body.gates]
    cited = _section(run, "transitions")
    lines = cited.get("lines", 0)
    head = cited.get("head")
    if not isinstance(lines, int):
        return [f"{path}: the report cites {lines!r} lines, not a line count"]
    if lines > len(entries):
        return [
            f"{path}: the report cites line {lines}, the log has {len(entries)}: it was truncated"
        ]
    if lines < len(order):
        return [f"{path}: the report cites {lines} lines, fewer than its {len(order)} gates"]
    if lines < len(entries):
        if entries[lines].prev != head:
            return [f"{path}: line {lines + 1} does not follow the report's head {head}"]
    elif log_head(path).head != head:
        return [f"{path}: the last line's digest differs from the report's head (edited)"]
    return _verify_run_lines(path, entries[lines - len(order) : lines], run, body)


def _verify_run_lines(
    path: Path,
    run_entries: Sequence[LoggedTransition],
    run: Mapping[str, JsonValue],
    body: ReportBody,
) -> list[str]:
    """The run's own lines of the log name its gates, evidence digests and verdicts."""
    problems = []
    for gate, entry in zip(body.gates, run_entries, strict=True):
        if entry.gate != gate.id:
            problems.append(f"{path}:{entry.seq}: expected gate {gate.id}, found {entry.gate}")
            continue
        if entry.evidence_sha256 != recorded_file_digest(run, gate.id):
            problems.append(f"{path}:{entry.seq}: evidence digest differs from the report's")
        if entry.to != gate.verdict:
            problems.append(f"{path}:{entry.seq}: logs {entry.to}, the report {gate.verdict}")
    return problems
