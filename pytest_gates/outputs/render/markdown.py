"""The report as Markdown, readable as a CI job summary (``report.md``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pytest_gates.outputs.documents import EvidenceDocument, ReportBody, ReportDocument
from pytest_gates.outputs.render.api import ReportFormat
from pytest_gates.outputs.render.cells import (
    finding_lines,
    findings_cell,
    items_cell,
    level,
    subject_line,
)

#: The file the Markdown report is written to.
FILENAME: Final = "report.md"
DECISION_MARK: Final = {"GO": "✅", "GO_WITH_BYPASS": "⚠️", "NO_GO": "❌", "INCOMPLETE": "⏸️"}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _check_lines(body: ReportBody, evidence: Mapping[str, EvidenceDocument]) -> list[str]:
    """One row per check that ran: what its last attempt said (coverage total, exit code...)."""
    rows = []
    for gate in body.gates:
        for item in evidence[gate.id].body.items:
            if item.check is None or not item.attempts:
                continue
            attempts = item.attempts
            outcome = item.outcome + (
                f" after {len(attempts)} attempts" if len(attempts) > 1 else ""
            )
            rows.append(
                f"| `{gate.id}` | `{item.check}` | {outcome} | {_md(attempts[-1].summary)} |"
            )
    return rows


def render_markdown(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """The report as Markdown: the decision, the gate table, each check's summary, the findings."""
    body = report.body
    decision = body.decision
    out = [
        f"# {DECISION_MARK[decision]} Release decision: {decision}",
        "",
        f"**{_md(body.reason)}**",
        "",
        subject_line(body),
        "",
        "| Gate | Class | Level | Verdict | Items passed | Findings | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for gate in body.gates:
        verdict = gate.verdict + (" (flaky)" if gate.flaky else "")
        out.append(
            f"| `{gate.id}` | {gate.class_} | {level(gate)} | **{verdict}** | {items_cell(gate)} | "
            f"{findings_cell(gate)} | {_md(gate.reason)} |"
        )
    checks = _check_lines(body, evidence)
    if checks:
        out += [
            "",
            "## Checks",
            "",
            "| Gate | Check | Outcome | Summary |",
            "| --- | --- | --- | --- |",
        ]
        out += checks
    detail = []
    for gate in body.gates:
        lines, more = finding_lines(evidence[gate.id])
        if not lines:
            continue
        detail += ["", f"### `{gate.id}` ({gate.verdict})", ""]
        detail += [f"- {_md(line)}" for line in lines]
        if more:
            detail.append(f"- … {more} more in `{gate.evidence.path}`")
    if detail:
        out += ["", "## Findings", *detail]
    out += [
        "",
        f"<sub>{body.generator} · evidence in `evidence/` · verify with `pytest-gates verify`</sub>",
        "",
    ]
    return "\n".join(out)


def refusal_markdown(problems: Sequence[str]) -> str:
    """``report.md`` of a refused merge: the problems, one a line."""
    lines = ["# ❌ Release decision: NO_GO", "", "**The shard outputs could not be merged:**", ""]
    return "\n".join([*lines, *(f"- {problem}" for problem in problems), ""])


FORMAT: Final = ReportFormat("markdown", FILENAME, render_markdown)
