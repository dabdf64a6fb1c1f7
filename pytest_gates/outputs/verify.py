"""Re-checking a run's outputs: digests, the log chain, the verdicts folded again, and origin.

``pytest-gates verify DIR`` trusts nothing it is given: it recomputes each evidence file's digest
and its body's, walks the transition log's chain, finds the report's head in it, folds every
gate's verdict again from the items recorded in the evidence, and checks that the report, every
evidence body and every line of the run's log are about one subject. That proves consistency.

With a trust file or a key (:func:`verify_origin`) it proves origin too: ``report.intoto.json`` is
signed by a key trusted for ``release``, is about the expected commit, and states exactly this
report (its gates, evidence digests, decision, log head and body digest), and the log holds the
signature's ``sign`` line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import JsonValue, ValidationError

from pytest_gates.chain import GateVerdict, decide, fold_gate, tolerates_failure
from pytest_gates.errors import EvidenceError
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.attest import NO_COMMIT, decision_facts
from pytest_gates.outputs.bypass import bypass_fact
from pytest_gates.outputs.coverage import verify_coverage
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
from pytest_gates.outputs.incomplete import INCOMPLETE_FILE, incomplete_reason
from pytest_gates.outputs.layout import (
    LOG_FILE,
    REPORT_FILE,
    SIGNED_REPORT_FILE,
    STATEMENT_FILE,
    evidence_path,
)
from pytest_gates.outputs.translog import log_head, verify_log
from pytest_gates.support.digest import file_digest, sha256_bytes
from pytest_gates.support.subject import now
from pytest_gates.trust import Refusal, Trust, VerifiedDecision, verify_decision
from pytest_gates.trust.approval_recheck import recheck_bypass
from pytest_gates.trust.errors import abbreviate


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


def verify_outputs(
    outdir: Path,
    expect_commit: str | None = None,
    label: str = "HEAD",
    trust: Trust | None = None,
) -> list[str]:
    """Every problem found in ``outdir``; an empty list means the outputs hold together.

    With ``expect_commit``, a report about another commit is a problem too (``label`` names
    the expected commit in the message: ``HEAD``, or the revision given). A BYPASSED verdict
    holds only while the approval its evidence names does (:func:`_verify_bypasses`); with
    ``trust``, that approval's signer is checked too.
    """
    incomplete = incomplete_reason(outdir)  # a run that ended before deciding
    if incomplete is not None:
        return [incomplete]
    try:
        report, data = read_document(outdir / REPORT_FILE, ReportDocument, "a pytest-gates report")
    except EvidenceError as exc:
        return [str(exc)]
    problems, verdicts = _verify_evidence(outdir, report)
    problems += _verify_bypasses(outdir, report.body, trust)
    own = f"{outdir / INCOMPLETE_FILE}: "  # the record of the session reading its own folder
    problems += [p for p in verify_coverage(outdir, report, data) if not p.startswith(own)]
    body = report.body
    order = [gate.id for gate in body.gates]
    if len(verdicts) == len(order):
        decision, _ = decide(verdicts)
        if decision != body.decision:
            problems.append(
                f"decision: the report says {body.decision}, the verdicts give {decision}"
            )
    log_problems, run_lines = _verify_log(outdir, report.run, body)
    problems += log_problems + _verify_subject(outdir, body, run_lines)
    commit = body.subject.commit
    if expect_commit is not None and commit != expect_commit:
        shown = abbreviate(commit) if commit else "no commit"
        problems.append(f"subject: report is for {shown}, {label} is {abbreviate(expect_commit)}")
    return problems


def _commit(value: str | None) -> str:
    return abbreviate(value) if value else "no commit"


def _verify_subject(
    outdir: Path, body: ReportBody, run_lines: Sequence[LoggedTransition]
) -> list[str]:
    """The report, every evidence body and every line of the run's log name one subject."""
    problems = []
    subject = body.subject
    for gate in body.gates:
        try:
            evidence = EvidenceDocument.model_validate(load_json(outdir / evidence_path(gate.id)))
        except (EvidenceError, ValidationError):
            continue  # named by the evidence checks already
        if evidence.body.subject != subject:
            problems.append(
                f"subject: report is for {_commit(subject.commit)} (dirty: {subject.dirty}), "
                f"the evidence of gate {gate.id} for {_commit(evidence.body.subject.commit)} "
                f"(dirty: {evidence.body.subject.dirty})"
            )
    for entry in run_lines:
        if entry.commit != subject.commit:
            problems.append(
                f"subject: report is for {_commit(subject.commit)}, {LOG_FILE}:{entry.seq} "
                f"for {_commit(entry.commit)}"
            )
    return problems


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


def _verify_bypasses(outdir: Path, body: ReportBody, trust: Trust | None) -> list[str]:
    """Each BYPASSED gate's approval, re-checked now: present, unchanged, unexpired, and (with
    ``trust``) signed by a key trusted for its role. Approval files are found relative to the
    current directory (the repository root, where ``verify`` runs)."""
    problems = []
    moment = now()
    for gate in body.gates:
        if gate.verdict != "BYPASSED":
            continue
        try:
            evidence = EvidenceDocument.model_validate(load_json(outdir / evidence_path(gate.id)))
        except (EvidenceError, ValidationError):
            continue  # named by the evidence checks already
        fact = bypass_fact(evidence)
        if fact is None:
            problems.append(f"gate {gate.id}: BYPASSED without the approval that allows it")
            continue
        problem = recheck_bypass(gate.id, fact, Path.cwd(), moment, trust)
        if problem is not None:
            problems.append(problem)
    return problems


def _verify_log(
    outdir: Path, run: Mapping[str, JsonValue], body: ReportBody
) -> tuple[list[str], list[LoggedTransition]]:
    """Problems of the log, and the lines of the report's run (its head's run number)."""
    path = outdir / LOG_FILE
    try:
        entries = verify_log(path)
    except EvidenceError as exc:
        return [str(exc)], []
    order = [gate.id for gate in body.gates]
    cited = _section(run, "transitions")
    lines = cited.get("lines", 0)
    head = cited.get("head")
    if not isinstance(lines, int):
        return [f"{path}: the report cites {lines!r} lines, not a line count"], []
    if lines > len(entries):
        return [
            f"{path}: the report cites line {lines}, the log has {len(entries)}: it was truncated"
        ], []
    if lines < len(order):
        return [f"{path}: the report cites {lines} lines, fewer than its {len(order)} gates"], []
    if lines < len(entries):
        if entries[lines].prev != head:
            return [f"{path}: line {lines + 1} does not follow the report's head {head}"], []
    elif log_head(path).head != head:
        return [f"{path}: the last line's digest differs from the report's head (edited)"], []
    if not order:
        return [], []
    number = entries[lines - 1].run
    run_lines = [entry for entry in entries if entry.run == number]
    cited_lines = [entry for entry in run_lines if entry.seq <= lines]
    return _verify_run_lines(path, cited_lines, run, body), run_lines


def _verify_run_lines(
    path: Path,
    run_entries: Sequence[LoggedTransition],
    run: Mapping[str, JsonValue],
    body: ReportBody,
) -> list[str]:
    """The run's state lines name its gates, evidence digests and verdicts, in order."""
    states = [entry for entry in run_entries if entry.event == "state"]
    if len(states) != len(body.gates):
        return [
            f"{path}: the report's run logs {len(states)} state lines, "
            f"the report has {len(body.gates)} gates"
        ]
    problems = []
    for gate, entry in zip(body.gates, states, strict=True):
        if entry.gate != gate.id:
            problems.append(f"{path}:{entry.seq}: expected gate {gate.id}, found {entry.gate}")
            continue
        if entry.evidence_body_sha256 is not None:
            same = entry.evidence_body_sha256 == gate.evidence.body_sha256
        else:  # a log written before events: it cites the whole file
            same = entry.evidence_sha256 == recorded_file_digest(run, gate.id)
        if not same:
            problems.append(f"{path}:{entry.seq}: evidence digest differs from the report's")
        if entry.to != gate.verdict:
            problems.append(f"{path}:{entry.seq}: logs {entry.to}, the report {gate.verdict}")
    return problems


@dataclass(frozen=True)
class OriginCheck:
    """What :func:`verify_origin` found: the signed decision (when it verified) and problems."""

    verified: VerifiedDecision | None
    problems: list[str]


def verify_origin(
    outdir: Path, trust: Trust, expect_commit: str | None, label: str = "HEAD"
) -> OriginCheck:
    """Check the signed decision of ``outdir`` against ``trust``, then every consistency check.

    The first problem, if any, is the origin's (``signature: ...``, ``subject: ...``,
    ``predicate: ...``); the consistency problems of :func:`verify_outputs` follow.
    """
    consistency = verify_outputs(outdir, trust=trust)
    if incomplete_reason(outdir) is not None:
        return OriginCheck(None, consistency)
    envelope_path = outdir / SIGNED_REPORT_FILE
    try:
        envelope = envelope_path.read_bytes()
    except FileNotFoundError:
        return OriginCheck(
            None,
            [f"signature: {envelope_path} is missing: the decision is not signed", *consistency],
        )
    try:
        data = load_json(outdir / REPORT_FILE)
        facts = decision_facts(data if isinstance(data, dict) else {})
    except (EvidenceError, ValidationError) as exc:
        return OriginCheck(None, [f"predicate: the report cannot be stated: {exc}", *consistency])
    try:
        verified = verify_decision(envelope, trust, expect_commit, commit_label=label)
        if facts is None:
            raise Refusal("subject", NO_COMMIT)
        if expect_commit is not None and facts.commit != expect_commit:
            raise Refusal(
                "subject",
                f"report is for {abbreviate(facts.commit)}, {label} is {abbreviate(expect_commit)}",
            )
        verified.require_match(facts)
    except Refusal as refusal:
        return OriginCheck(None, [str(refusal), *consistency])
    return OriginCheck(verified, _signed_in_log(outdir, verified, envelope) + consistency)


def _signed_in_log(outdir: Path, verified: VerifiedDecision, envelope: bytes) -> list[str]:
    """The unsigned statement is the signed payload, and the log holds the ``sign`` line."""
    payload = verified.statement.canonical_bytes()
    digest = sha256_bytes(payload)
    problems = []
    statement = outdir / STATEMENT_FILE
    if statement.exists() and statement.read_bytes() != payload:
        problems.append(f"statement: {statement} differs from the signed payload")
    try:
        entries = verify_log(outdir / LOG_FILE)
    except EvidenceError:
        return problems  # named by the log checks already
    signed = [
        e.signature
        for e in entries
        if e.signature is not None and e.signature.statement_sha256 == digest
    ]
    if not signed:
        problems.append(f"log: no sign line of statement {abbreviate(digest)} in {LOG_FILE}")
    elif signed[-1].keyid != verified.keyid:
        problems.append(
            f"log: the sign line names key {abbreviate(signed[-1].keyid)}, "
            f"the signature is by {abbreviate(verified.keyid)}"
        )
    return problems
