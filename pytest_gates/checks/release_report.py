"""The ``release_report`` kind: release report freshness and closure (required gate family 4).

The last release readiness report (a ``report.json`` that ``pytest --gates`` wrote) exists, was
made for the current subject (its ``body.subject.commit`` is HEAD, on a clean tree, and its
``body.manifest.digest`` is the current manifest's), its outputs verify (``pytest-gates
verify``), every gate in it but this one passed, and its closure metrics hold.

A report is written at the end of a session, so the gate checks the report of an earlier one: a
release pipeline runs the gates once without this gate, then once more with it.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.errors import CheckError, EvidenceError
from pytest_gates.model.findings import Finding, Location, Severity, sorted_findings
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.outputs.documents import ReportDocument, read_document
from pytest_gates.outputs.layout import REPORT_FILE
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.support.digest import file_digest
from pytest_gates.support.paths import RelPath, plural
from pytest_gates.support.subject import find_subject

#: Verdicts a gate may have in a report that a release is made from.
PASSING: Final = ("PASS", "DEGRADED", "BYPASSED")


class ReleaseReportParams(CheckParams):
    """Parameters of ``release_report``."""

    #: The report, relative to the rootdir; its folder holds the evidence and the log.
    report: RelPath = ".gates/report.json"
    #: The manifest the report must have been made with.
    manifest: RelPath = DEFAULT_MANIFEST
    #: Accept a report made on a work tree with uncommitted changes.
    allow_dirty: bool = False
    #: Re-check the report's evidence digests, log chain and verdicts, as ``pytest-gates verify``
    #: does (for a report named ``report.json`` in its output folder).
    verify: bool = True
    #: The most each closure metric may be in the report; a metric it lacks is a finding.
    closure: dict[str, int] = Field(default_factory=dict)


def _short(commit: Any) -> str:
    return str(commit)[:12] if commit else "none (not a git repository)"


#: A missing or stale release report is a matter of freshness: it fails a blocking gate through
#: the check's result, and lets an advisory one degrade.
STALE: Final[Severity] = "minor"


@check_kind("release_report", params=ReleaseReportParams, idempotent=True)
def release_report(params: ReleaseReportParams, ctx: CheckContext) -> CheckResult:
    """The last release report is for this commit and manifest, verifies, and its closure holds."""
    where = Location(path=params.report)
    path = ctx.resolve(params.report)
    if not path.is_file():
        rerun = f"pytest --gates -m \"not gate(id='{ctx.gate_id}')\""
        finding = Finding(
            rule="release.missing_report",
            severity=STALE,
            location=where,
            message=f"no release report at '{params.report}'",
            fix_hint=f"make one with {rerun}, then run pytest --gates again",
        )
        return CheckResult(passed=False, summary=finding.message, findings=[finding])
    try:
        report, _ = read_document(path, ReportDocument, "a pytest-gates report")
    except EvidenceError as exc:
        raise CheckError(f"cannot read the release report '{params.report}': {exc}") from None
    body = report.body
    subject, manifest, closure = body.subject, body.manifest, body.closure
    findings: list[Finding] = []

    def add(rule: str, message: str, hint: str) -> None:
        findings.append(
            Finding(rule=rule, severity=STALE, location=where, message=message, fix_hint=hint)
        )

    remake = "run the gates again to make a report for the current subject"
    head = find_subject(ctx.rootdir).commit
    if subject.commit != head:
        add(
            "release.stale_commit",
            f"the report is for commit {_short(subject.commit)}, HEAD is {_short(head)}",
            remake,
        )
    if subject.dirty and not params.allow_dirty:
        add(
            "release.dirty",
            f"the report was made on a work tree with uncommitted changes (commit "
            f"{_short(subject.commit)})",
            "commit the changes, then run the gates again",
        )
    manifest_path = ctx.resolve(params.manifest)
    current = file_digest(manifest_path) if manifest_path.is_file() else None
    if manifest.digest != current:
        add(
            "release.stale_manifest",
            f"the report is for manifest {manifest.digest}, {params.manifest} is now "
            f"{current or 'missing'}",
            remake,
        )
    for gate in body.gates:
        if gate.id != ctx.gate_id and gate.verdict not in PASSING:
            add(
                "release.gate_not_passed",
                f"gate '{gate.id}' is {gate.verdict} in the report",
                "make the gate pass, then run the gates again",
            )
    for name in sorted(params.closure):
        limit = params.closure[name]
        value = closure.get(name)
        if not isinstance(value, int):
            add(
                "release.closure_missing",
                f"the report has no closure metric '{name}' (no check published it)",
                "run the gate whose check publishes it (a required gate family)",
            )
        elif value > limit:
            add(
                "release.closure",
                f"closure metric '{name}' is {value} in the report, at most {limit} allowed",
                "close what the metric counts, then run the gates again",
            )
    if params.verify and path.name == REPORT_FILE:
        for problem in verify_outputs(path.parent):
            add("release.unverified", problem, "the outputs were changed after the run: run again")
    summary = (
        f"report for commit {_short(subject.commit)}: {plural(len(findings), 'problem')}"
        if findings
        else f"report for commit {_short(head)} and the current manifest; closure holds"
    )
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "report": params.report,
            "commit": subject.commit,
            "decision": body.decision,
            "report_closure": dict(closure),
        },
    )
