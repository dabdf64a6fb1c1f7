"""The ``ledger`` kind: issue status and dependency checks (required gate family 1).

Every issue that blocks the release is closed; every dependency and milestone an issue names
exists; no closed issue depends on an open one; the dependencies form no cycle. The structural
rules are shared with ``pytest-gates generate``, which refuses a ledger that breaks them.
"""

from __future__ import annotations

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.schema import json_pointer
from pytest_gates.model.document import breadcrumb, line_of
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.sources.ledger import Violation, structure_violations
from pytest_gates.sources.load import load_for_check
from pytest_gates.sources.models import Issue, Ledger, ReleaseName
from pytest_gates.support.paths import RelPath, plural


def blocks(issue: Issue, ledger: Ledger, release: str | None) -> bool:
    """The issue blocks ``release``: it says so, and its milestone (if any) is of that release."""
    if not issue.blocks_release:
        return False
    if release is None or issue.milestone is None:
        return True
    milestone = next((m for m in ledger.milestones if m.id == issue.milestone), None)
    return milestone is None or milestone.release == release


def status_violations(ledger: Ledger, release: str | None) -> list[Violation]:
    """Open issues that block the release, and closed issues that depend on open ones."""
    by_id = {issue.id: issue for issue in reversed(ledger.issues)}
    what = f"release {release}" if release is not None else "the release"
    found = []
    for index, issue in enumerate(ledger.issues):
        if issue.status != "closed" and blocks(issue, ledger, release):
            found.append(
                Violation(
                    "ledger.open_blocker",
                    ("issues", index, "status"),
                    f"issue '{issue.id}' blocks {what} and is {issue.status}; expected closed",
                    "close the issue, or move it to a later milestone",
                )
            )
        if issue.status != "closed":
            continue
        for dep_index, dep in enumerate(issue.depends_on):
            other = by_id.get(dep)
            if other is not None and other.status != "closed":
                found.append(
                    Violation(
                        "ledger.closed_depends_on_open",
                        ("issues", index, "depends_on", dep_index),
                        f"issue '{issue.id}' is closed but depends on issue '{dep}', "
                        f"which is {other.status}",
                        f"reopen issue '{issue.id}', or close issue '{dep}' first",
                    )
                )
    return found


class LedgerParams(CheckParams):
    """Parameters of ``ledger``."""

    #: The issue and milestone ledger, relative to the rootdir.
    ledger: RelPath
    #: The release gated; without it every blocking issue counts.
    release: ReleaseName | None = None


@check_kind("ledger", params=LedgerParams, idempotent=True)
def ledger(params: LedgerParams, ctx: CheckContext) -> CheckResult:
    """Blocking issues are closed; dependencies exist, hold and form no cycle."""
    source = load_for_check(ctx.rootdir, params.ledger, Ledger)
    model = source.model
    violations = structure_violations(model) + status_violations(model, params.release)
    doc = source.document
    findings = [
        Finding(
            rule=v.rule,
            location=Location(
                path=source.display,
                line=line_of(doc.root, list(v.where)),
                pointer=json_pointer(v.where),
            ),
            message=f"{breadcrumb(doc.data, list(v.where))}: {v.message}",
            fix_hint=v.fix_hint,
        )
        for v in violations
    ]
    open_blockers = sum(v.rule == "ledger.open_blocker" for v in violations)
    what = f"release {params.release}" if params.release is not None else "the release"
    summary = f"{plural(len(model.issues), 'issue')}; {plural(open_blockers, 'open issue')} blocking {what}"
    if findings:
        summary += f"; {plural(len(findings), 'violation')}"
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "issues": len(model.issues),
            "release": params.release,
            "closure": {"open_blocking_issues": open_blockers},
        },
    )
