"""The report as a standalone HTML page (``report.html``): no scripts, no external resources."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Final

from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument
from pytest_gates.outputs.render.api import ReportFormat
from pytest_gates.outputs.render.cells import (
    finding_lines,
    findings_cell,
    items_cell,
    level,
    subject_line,
)

_CSS: Final = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}.PASS{color:#176f2c}.DEGRADED,.NOT_RUN{color:#8a6100}"
    ".FAIL,.ERROR,.BLOCKED{color:#b00020}code{background:#f4f4f4;padding:0 .2rem}"
)


def render_html(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """The decision, the gate table and the findings; every shown value is escaped."""
    body = report.body
    e = html.escape
    rows = []
    for gate in body.gates:
        rows.append(
            f"<tr><td><code>{e(gate.id)}</code></td><td>{e(gate.class_)}</td>"
            f'<td>{level(gate)}</td><td class="{e(gate.verdict)}"><b>{e(gate.verdict)}</b>'
            f"{' (flaky)' if gate.flaky else ''}</td><td>{e(items_cell(gate))}</td>"
            f"<td>{e(findings_cell(gate))}</td><td>{e(gate.reason)}</td></tr>"
        )
    sections = []
    for gate in body.gates:
        lines, more = finding_lines(evidence[gate.id])
        if lines:
            items = "".join(f"<li>{e(line)}</li>" for line in lines)
            extra = f"<li>… {more} more in {e(gate.evidence.path)}</li>" if more else ""
            sections.append(
                f"<h3><code>{e(gate.id)}</code> ({e(gate.verdict)})</h3><ul>{items}{extra}</ul>"
            )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(body.project)}: {e(body.decision)}</title><style>{_CSS}</style></head>"
        f'<body><h1 class="{e(body.decision)}">Release decision: {e(body.decision)}</h1>'
        f"<p><b>{e(body.reason)}</b></p><p>{e(subject_line(body).replace('`', ''))}</p>"
        "<table><thead><tr><th>Gate</th><th>Class</th><th>Level</th><th>Verdict</th>"
        "<th>Items passed</th><th>Findings</th><th>Reason</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + ("<h2>Findings</h2>" + "".join(sections) if sections else "")
        + f"<p><small>{e(body.generator)}</small></p></body></html>\n"
    )


FORMAT: Final = ReportFormat("html", "report.html", render_html)
