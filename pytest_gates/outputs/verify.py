"""Re-checking a run's outputs: digests, the log chain, and the verdicts folded again.

``pytest-gates verify DIR`` trusts nothing it is given: it recomputes each evidence file's digest
and its body's, walks the transition log's chain, finds the report's head in it, and folds every
gate's verdict again from the items recorded in the evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pytest_gates.chain import GateVerdict, decide, fold_gate
from pytest_gates.errors import EvidenceError
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument
from pytest_gates.outputs.evidence import body_digest
from pytest_gates.outputs.translog import log_head, verify_log
from pytest_gates.support.digest import file_digest


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"{path}: unreadable: {exc}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"{where}: {err['msg']}"


def verify_outputs(outdir: Path) -> list[str]:
    """Every problem found in ``outdir``; an empty list means the outputs hold together."""
    problems: list[str] = []
    try:
        report = _load_json(outdir / "report.json")
        ReportDocument.model_validate(report)
    except EvidenceError as exc:
        return [str(exc)]
    except ValidationError as exc:
        return [f"{outdir / 'report.json'}: not a pytest-gates report: {_first_error(exc)}"]
    body, run = report["body"], report["run"]
    order = [gate["id"] for gate in body.get("gates", [])]
    verdicts: dict[str, GateVerdict] = {}
    for gate in body.get("gates", []):
        gate_id = gate["id"]
        path = outdir / "evidence" / f"{gate_id}.json"
        try:
            document = _load_json(path)
            EvidenceDocument.model_validate(document)
        except EvidenceError as exc:
            problems.append(f"gate {gate_id}: {exc}: no evidence, so no verdict")
            continue
        except ValidationError as exc:
            problems.append(
                f"gate {gate_id}: {path}: not pytest-gates evidence: {_first_error(exc)}"
            )
            continue
        recorded = run.get("evidence", {}).get(gate_id, {}).get("sha256")
        actual = file_digest(path)
        if recorded != actual:
            problems.append(
                f"gate {gate_id}: {path} has sha256 {actual}, the report recorded {recorded}"
            )
        if body_digest(document) != gate["evidence"]["body_sha256"]:
            problems.append(f"gate {gate_id}: the evidence body does not match the report's digest")
        evidence = document["body"]
        records = [
            ItemRecord.model_validate({**item, "duration": 0.0}) for item in evidence["items"]
        ]
        summary = evidence["gate"]
        tolerates = not summary["blocking"] or summary["strategy"] == "degrade"
        folded = fold_gate(gate_id, summary["needs"], tolerates, records, verdicts, order)
        verdicts[gate_id] = folded
        if folded.verdict != gate["verdict"] or evidence["verdict"] != gate["verdict"]:
            problems.append(
                f"gate {gate_id}: the report says {gate['verdict']}, the evidence says "
                f"{evidence['verdict']}, its items fold to {folded.verdict}"
            )
    if len(verdicts) == len(order):
        decision, _ = decide(verdicts)
        if decision != body.get("decision"):
            problems.append(
                f"decision: the report says {body.get('decision')}, the verdicts give {decision}"
            )
    problems += _verify_log(outdir, run, body, order)
    return problems


def _verify_log(
    outdir: Path, run: dict[str, Any], body: dict[str, Any], order: list[str]
) -> list[str]:
    path = outdir / "transitions.jsonl"
    try:
        entries = verify_log(path)
    except EvidenceError as exc:
        return [str(exc)]
    head = run.get("transitions", {})
    lines = head.get("lines", 0)
    if lines > len(entries):
        return [
            f"{path}: the report cites line {lines}, the log has {len(entries)}: it was truncated"
        ]
    if lines < len(order):
        return [f"{path}: the report cites {lines} lines, fewer than its {len(order)} gates"]
    if lines < len(entries):
        following = entries[lines]
        if following.get("prev") != head.get("head"):
            return [
                f"{path}: line {lines + 1} does not follow the report's head {head.get('head')}"
            ]
    else:
        if log_head(path).head != head.get("head"):
            return [f"{path}: the last line's digest differs from the report's head (edited)"]
    problems = []
    run_entries = entries[lines - len(order) : lines]
    for gate_id, entry in zip(order, run_entries, strict=True):
        if entry.get("gate") != gate_id:
            problems.append(
                f"{path}:{entry.get('seq')}: expected gate {gate_id}, found {entry.get('gate')}"
            )
            continue
        expected = run.get("evidence", {}).get(gate_id, {}).get("sha256")
        if entry.get("evidence_sha256") != expected:
            problems.append(f"{path}:{entry.get('seq')}: evidence digest differs from the report's")
        gate = next(g for g in body["gates"] if g["id"] == gate_id)
        if entry.get("to") != gate["verdict"]:
            problems.append(
                f"{path}:{entry.get('seq')}: logs {entry.get('to')}, the report {gate['verdict']}"
            )
    return problems
