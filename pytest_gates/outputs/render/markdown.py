"""The report as Markdown, readable as a CI job summary (``report.md``).

A job summary is rendered as GitHub Flavored Markdown with raw HTML allowed, so every text that
comes from a check (a message, a fix hint, a summary, a reason) is escaped as plain text: its
Markdown and HTML characters are shown, never interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from pytest_gates.outputs.bypass import bypasses
from pytest_gates.outputs.documents import EvidenceDocument, ReportBody, ReportDocument
from pytest_gates.outputs.render.api import ReportFormat
from pytest_gates.outputs.render.cells import (
    FindingEntry,
    check_rows,
    finding_entries,
    findings_cell,
    items_cell,
    level,
    subject_line,
)
from pytest_gates.trust.errors import abbreviate

#: The file the Markdown report is written to.
FILENAME: Final = "report.md"
DECISION_MARK: Final = {"GO": "✅", "GO_WITH_BYPASS": "⚠️", "NO_GO": "❌", "INCOMPLETE": "⏸️"}
#: What starts Markdown, HTML or (on GitHub) math syntax inside a line: CommonMark shows each
#: literally after a backslash and hides the backslash. An "_" inside a word ("gates_manifest")
#: an "&" that starts no entity and a "[...]" that no "(", "[" or ":" follows are plain text
#: already, so they stay as they are.
_SYNTAX: Final = re.compile(
    r"([\\`*<|~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?[A-Za-z0-9]+;)|\](?=[(\[:]))"
)
#: What starts a block (heading, list, quote, setext underline) at the start of a line.
_BLOCK_START: Final = re.compile(r"^(\s*(?:\d+)?)([#+\-=.)>\[])")


def text(value: str, *, in_table: bool = False) -> str:
    """``value`` as literal Markdown text on one line: nothing in it becomes markup."""
    value = " ".join(value.splitlines())
    escaped = _BLOCK_START.sub(r"\1\\\2", _SYNTAX.sub(r"\\\1", value))
    if not in_table:
        # Outside a table a "|" is not syntax; escaped or not it renders as "|".
        escaped = escaped.replace("\\|", "|")
    return escaped


def code(value: str, *, in_table: bool = False) -> str:
    """``value`` as an inline code span: a fence longer than any run of backticks in it."""
    value = " ".join(value.splitlines())
    if in_table:
        # GFM splits table cells before it parses code spans: "\|" is a "|" even in code.
        value = value.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _finding(entry: FindingEntry) -> str:
    line = f"- {code(entry.where)} **{text(entry.rule)}** ({entry.severity}) {text(entry.message)}"
    if entry.fix_hint:
        line += f" — fix: {text(entry.fix_hint)}"
    return line


def _bypass_banner(body: ReportBody, evidence: Mapping[str, EvidenceDocument]) -> list[str]:
    """A quote naming each bypassed gate: who signed (identity, key id), why, and the approval."""
    found = bypasses(body, evidence)
    if not found:
        return []
    lines = ["> ⚠️ **Bypassed by signed approval:**", ">"]
    lines += [
        f"> - {code(b.gate)}: **{text(b.kind)}** approval by **{text(b.identity)}** "
        f"(key {code(abbreviate(b.keyid))}): {text(b.reason)} — approval {code(b.file)} "
        f"({code(abbreviate(b.sha256))})"
        for b in found
    ]
    return [*lines, ""]


def render_markdown(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """The report as Markdown: the decision, the gate table, each check's summary, the findings."""
    body = report.body
    decision = body.decision
    out = [
        f"# {DECISION_MARK[decision]} Release decision: {decision}",
        "",
        f"**{text(body.reason)}**",
        "",
        subject_line(body),
        "",
        *_bypass_banner(body, evidence),
        "| Gate | Class | Level | Verdict | Items passed | Findings | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for gate in body.gates:
        verdict = gate.verdict + (" (flaky)" if gate.flaky else "")
        out.append(
            f"| {code(gate.id, in_table=True)} | {gate.class_} | {level(gate)} | **{verdict}** | "
            f"{items_cell(gate)} | {findings_cell(gate)} | {text(gate.reason, in_table=True)} |"
        )
    checks = check_rows(body, evidence)
    if checks:
        out += [
            "",
            "## Checks",
            "",
            "| Gate | Check | Outcome | Summary |",
            "| --- | --- | --- | --- |",
        ]
        out += [
            f"| {code(row.gate, in_table=True)} | {code(row.check, in_table=True)} | "
            f"{row.outcome} | {text(row.summary, in_table=True)} |"
            for row in checks
        ]
    detail = []
    for gate in body.gates:
        entries, more = finding_entries(evidence[gate.id])
        if not entries:
            continue
        detail += ["", f"### {code(gate.id)} ({gate.verdict})", ""]
        detail += [_finding(entry) for entry in entries]
        if more:
            detail.append(f"- … {more} more in {code(gate.evidence.path)}")
    if detail:
        out += ["", "## Findings", *detail]
    out += [
        "",
        f"<sub>{text(body.generator)} · evidence in `evidence/` · verify with "
        "`pytest-gates verify`</sub>",
        "",
    ]
    return "\n".join(out)


def refusal_markdown(problems: Sequence[str]) -> str:
    """``report.md`` of a refused merge: the problems, one a line."""
    lines = ["# ❌ Release decision: NO_GO", "", "**The shard outputs could not be merged:**", ""]
    return "\n".join([*lines, *(f"- {text(problem)}" for problem in problems), ""])


FORMAT: Final = ReportFormat("markdown", FILENAME, render_markdown)
