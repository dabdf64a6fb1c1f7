"""The report as a standalone HTML page (``report.html``): no scripts, no external resources.

It holds what ``report.md`` holds (the decision, the gate table, the checks table, the findings)
written as HTML rather than shown as Markdown source, and pictures of the chain and of the shard
load (:mod:`.chain_svg`). Every value from the report is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
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
from pytest_gates.outputs.render.chain_svg import chain_svg, load_svg
from pytest_gates.trust.errors import abbreviate

_CSS: Final = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#1b1b1b}"
    "table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;"
    "padding:.3rem .6rem;text-align:left;vertical-align:top}"
    ".PASS{color:#176f2c}.DEGRADED,.NOT_RUN,.BYPASSED{color:#8a6100}"
    ".FAIL,.ERROR,.BLOCKED{color:#b00020}code{background:#f4f4f4;padding:0 .2rem}"
    "h1.decision{padding:.5rem 1rem;border-radius:.4rem;color:#fff}"
    "h1.GO{background:#176f2c}h1.GO_WITH_BYPASS,h1.INCOMPLETE{background:#8a6100}"
    "h1.NO_GO{background:#b00020}.sev-error{color:#b00020}.sev-warning{color:#8a6100}"
    "figure{margin:0 0 1rem;overflow-x:auto}"
    ".bypass{border:2px solid #8a6100;padding:.2rem 1rem;border-radius:.4rem;margin-bottom:1rem}"
)
_CODE_SPAN: Final = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """``text`` escaped, its ``code`` spans set as ``<code>``."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text))


def _finding(entry: FindingEntry) -> str:
    e = html.escape
    text = (
        f"<li><code>{e(entry.where)}</code> <b>{e(entry.rule)}</b> "
        f'(<span class="sev-{e(entry.severity)}">{e(entry.severity)}</span>) '
        f"{inline(entry.message)}"
    )
    if entry.fix_hint:
        text += f" — fix: {inline(entry.fix_hint)}"
    return text + "</li>"


def _bypass_banner(body: ReportBody, evidence: Mapping[str, EvidenceDocument]) -> str:
    """A box naming each bypassed gate: who signed (identity, key id), why, and the approval."""
    e = html.escape
    rows = "".join(
        f"<li><code>{e(b.gate)}</code>: <b>{e(b.kind)}</b> approval by <b>{e(b.identity)}</b> "
        f"(key <code>{e(abbreviate(b.keyid))}</code>): {e(b.reason)} — approval "
        f"<code>{e(b.file)}</code> (<code>{e(abbreviate(b.sha256))}</code>)</li>"
        for b in bypasses(body, evidence)
    )
    if not rows:
        return ""
    return f'<div class="bypass"><p><b>Bypassed by signed approval:</b></p><ul>{rows}</ul></div>'


def _table(header: tuple[str, ...], rows: list[str]) -> str:
    head = "".join(f"<th>{cell}</th>" for cell in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """The decision, the chain, the gate and check tables, the load and the findings."""
    body = report.body
    e = html.escape
    gate_rows = [
        f"<tr><td><code>{e(gate.id)}</code></td><td>{e(gate.class_)}</td>"
        f'<td>{level(gate)}</td><td class="{e(gate.verdict)}"><b>{e(gate.verdict)}</b>'
        f"{' (flaky)' if gate.flaky else ''}</td><td>{e(items_cell(gate))}</td>"
        f"<td>{e(findings_cell(gate))}</td><td>{inline(gate.reason)}</td></tr>"
        for gate in body.gates
    ]
    check_html = [
        f"<tr><td><code>{e(row.gate)}</code></td><td><code>{e(row.check)}</code></td>"
        f"<td>{e(row.outcome)}</td><td>{inline(row.summary)}</td></tr>"
        for row in check_rows(body, evidence)
    ]
    sections = []
    for gate in body.gates:
        entries, more = finding_entries(evidence[gate.id])
        if entries:
            items = "".join(_finding(entry) for entry in entries)
            extra = (
                f"<li>… {more} more in <code>{e(gate.evidence.path)}</code></li>" if more else ""
            )
            sections.append(
                f'<h3><code>{e(gate.id)}</code> (<span class="{e(gate.verdict)}">'
                f"{e(gate.verdict)}</span>)</h3><ul>{items}{extra}</ul>"
            )
    load = load_svg(report.run)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(body.project)}: {e(body.decision)}</title><style>{_CSS}</style></head>"
        f'<body><h1 class="decision {e(body.decision)}">Release decision: {e(body.decision)}'
        f"</h1><p><b>{inline(body.reason)}</b></p><p>{inline(subject_line(body))}</p>"
        f"{_bypass_banner(body, evidence)}"
        f"<h2>Chain</h2><figure>{chain_svg(body.gates)}<figcaption>Each gate coloured by its "
        "verdict; an arrow from each gate it needs, red where a failure blocked it."
        "</figcaption></figure>"
        "<h2>Gates</h2>"
        + _table(
            ("Gate", "Class", "Level", "Verdict", "Items passed", "Findings", "Reason"),
            gate_rows,
        )
        + (
            "<h2>Checks</h2>" + _table(("Gate", "Check", "Outcome", "Summary"), check_html)
            if check_html
            else ""
        )
        + (
            f"<h2>Shard load</h2><figure>{load}<figcaption>Seconds per shard: actual (filled), "
            "predicted (dashed), the lower bound no split can beat (red line).</figcaption>"
            "</figure>"
            if load
            else ""
        )
        + ("<h2>Findings</h2>" + "".join(sections) if sections else "")
        + f"<p><small>{e(body.generator)}</small></p></body></html>\n"
    )


FORMAT: Final = ReportFormat("html", "report.html", render_html)
