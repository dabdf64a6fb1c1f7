"""The gate table printed at the end of ``pytest --gates``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument
from pytest_gates.outputs.render.api import ReportFormat
from pytest_gates.outputs.render.cells import findings_cell, items_cell, level

_HEADER: Final = ("gate", "class", "level", "verdict", "items", "findings", "reason")


def terminal_table(report: ReportDocument | Mapping[str, Any]) -> list[str]:
    """The table's lines: a report document, or its JSON data as written to ``report.json``."""
    if not isinstance(report, ReportDocument):
        report = ReportDocument.model_validate(report)
    rows = [
        (
            gate.id,
            gate.class_,
            level(gate),
            gate.verdict + ("*" if gate.flaky else ""),
            items_cell(gate),
            findings_cell(gate),
            gate.reason.splitlines()[0][:80] if gate.reason else "",
        )
        for gate in report.body.gates
    ]
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(len(_HEADER) - 1)]
    lines = []
    for row in [_HEADER, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def render_terminal(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """The table as one text (the evidence is not needed for it)."""
    return "\n".join(terminal_table(report)) + "\n"


FORMAT: Final = ReportFormat("terminal", None, render_terminal)
