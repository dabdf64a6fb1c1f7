"""What the human-readable renderings share: the subject line, table cells, the findings and
checks of a gate as data (each format writes them in its own syntax and escaping)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from pytest_gates.model.findings import Finding, Severity
from pytest_gates.outputs.documents import EvidenceDocument, ReportBody, ReportGate

#: A finding's level in SARIF (``result.level``).
Level = Literal["error", "warning", "note"]
#: Findings listed per gate in the Markdown and HTML reports; the evidence has all of them.
FINDINGS_SHOWN: Final = 20


def short_digest(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def subject_line(body: ReportBody) -> str:
    subject = body.subject
    if subject.commit:
        state = "dirty" if subject.dirty else "clean"
        commit = f"commit `{subject.commit[:12]}` ({state} tree)"
    else:
        commit = "no git commit"
    manifest = body.manifest
    return (
        f"Project `{body.project}` · {commit} · manifest `{manifest.path}` "
        f"(`{short_digest(manifest.digest)}`)"
    )


def level(gate: ReportGate) -> str:
    return "blocking" if gate.blocking else "advisory"


def shown_level(severity: Severity, blocking: bool) -> Level:
    """A finding's level as SARIF shows it: critical and major are errors, minor a note; in an
    advisory gate a major finding only warns (a critical one blocks there too)."""
    if severity == "critical" or (severity == "major" and blocking):
        return "error"
    return "warning" if severity == "major" else "note"


def items_cell(gate: ReportGate) -> str:
    items = gate.items
    total = sum(items.values())
    ran = total - items.get("not_run", 0)
    return f"{items.get('passed', 0)}/{ran}" + (
        f" (+{total - ran} not run)" if ran != total else ""
    )


def findings_cell(gate: ReportGate) -> str:
    """The gate's findings by severity, worst first: ``1 critical, 2 major``."""
    counts = gate.findings
    shown = [("critical", counts.critical), ("major", counts.major), ("minor", counts.minor)]
    return ", ".join(f"{count} {severity}" for severity, count in shown if count) or "0"


@dataclass(frozen=True)
class FindingEntry:
    """One finding as the reports show it."""

    #: ``path:line:column``, or ``(no file)``.
    where: str
    rule: str
    severity: Severity
    message: str
    fix_hint: str | None


def _where(finding: Finding) -> str:
    loc = finding.location
    where = loc.path or "(no file)"
    if loc.line:
        where += f":{loc.line}"
        if loc.column:
            where += f":{loc.column}"
    return where


def finding_entries(document: EvidenceDocument) -> tuple[list[FindingEntry], int]:
    """The first :data:`FINDINGS_SHOWN` findings of a gate, and how many more there are."""
    entries = [
        FindingEntry(
            where=_where(finding),
            rule=finding.rule,
            severity=finding.severity,
            message=finding.message,
            fix_hint=finding.fix_hint,
        )
        for item in document.body.items
        for finding in item.findings
    ]
    return entries[:FINDINGS_SHOWN], max(0, len(entries) - FINDINGS_SHOWN)


@dataclass(frozen=True)
class CheckRow:
    """A check that ran: what its last attempt said (coverage total, exit code...)."""

    gate: str
    check: str
    outcome: str
    summary: str


def check_rows(body: ReportBody, evidence: Mapping[str, EvidenceDocument]) -> list[CheckRow]:
    """One row per check that ran, in gate order."""
    rows = []
    for gate in body.gates:
        for item in evidence[gate.id].body.items:
            if item.check is None or not item.attempts:
                continue
            attempts = item.attempts
            outcome = item.outcome + (
                f" after {len(attempts)} attempts" if len(attempts) > 1 else ""
            )
            rows.append(CheckRow(gate.id, item.check, outcome, attempts[-1].summary))
    return rows
