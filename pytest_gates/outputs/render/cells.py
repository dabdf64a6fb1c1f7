"""Text the human-readable renderings share: the subject line, table cells, finding lines."""

from __future__ import annotations

from typing import Final

from pytest_gates.outputs.documents import EvidenceDocument, ReportBody, ReportGate

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


def items_cell(gate: ReportGate) -> str:
    items = gate.items
    total = sum(items.values())
    ran = total - items.get("not_run", 0)
    return f"{items.get('passed', 0)}/{ran}" + (
        f" (+{total - ran} not run)" if ran != total else ""
    )


def findings_cell(gate: ReportGate) -> str:
    counts = gate.findings
    shown = [("error", counts.error), ("warning", counts.warning), ("note", counts.note)]
    return ", ".join(f"{count} {severity}" for severity, count in shown if count) or "0"


def finding_lines(document: EvidenceDocument) -> tuple[list[str], int]:
    """The first :data:`FINDINGS_SHOWN` findings of a gate as lines, and how many more there are."""
    lines = []
    for item in document.body.items:
        for finding in item.findings:
            loc = finding.location
            where = loc.path or "(no file)"
            if loc.line:
                where += f":{loc.line}"
                if loc.column:
                    where += f":{loc.column}"
            text = f"`{where}` **{finding.rule}** ({finding.severity}) {finding.message}"
            if finding.fix_hint:
                text += f" — fix: {finding.fix_hint}"
            lines.append(text)
    return lines[:FINDINGS_SHOWN], max(0, len(lines) - FINDINGS_SHOWN)
