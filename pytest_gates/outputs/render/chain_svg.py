"""Pictures for ``report.html``, as inline SVG (no script, no external resource).

:func:`chain_svg` draws the chain: a box per gate coloured by its verdict, placed in the column of
its depth in the ``needs`` graph, an arrow from each need to the gate needing it (red where a
failure blocked the gate), and on a blocked gate the failures that blocked it.
:func:`load_svg` draws, for a sharded or merged run, each shard's actual (and, when the report
carries it, predicted) seconds as bars against the lower bound of the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

from pydantic import JsonValue

from pytest_gates.outputs.documents import ReportGate

#: Fill and stroke of a gate's box, by verdict.
VERDICT_COLOURS: Final = {
    "PASS": ("#dcf5e3", "#176f2c"),
    "DEGRADED": ("#fff1cc", "#8a6100"),
    "BYPASSED": ("#fff1cc", "#8a6100"),
    "NOT_RUN": ("#eeeeee", "#666666"),
    "FAIL": ("#fde0e4", "#b00020"),
    "ERROR": ("#fde0e4", "#b00020"),
    "BLOCKED": ("#f3e5f5", "#6a1b9a"),
}
_FAILED: Final = frozenset({"FAIL", "ERROR", "BLOCKED"})
_BOX_W: Final = 210
_BOX_H: Final = 58
_GAP_X: Final = 56
_GAP_Y: Final = 16
_PAD: Final = 10
_CHARS: Final = 30


def _cut(text: str, limit: int = _CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _depths(gates: Sequence[ReportGate]) -> dict[str, int]:
    # The gates come in dependency order, so each need's depth is known before its dependents'.
    depth: dict[str, int] = {}
    for gate in gates:
        needs = [depth[need] for need in gate.needs if need in depth]
        depth[gate.id] = 1 + max(needs) if needs else 0
    return depth


def chain_svg(gates: Sequence[ReportGate]) -> str:
    """The chain of ``gates`` (in dependency order) as one ``<svg>`` element."""
    depth = _depths(gates)
    rows: dict[int, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for gate in gates:
        column = depth[gate.id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        where[gate.id] = (
            _PAD + column * (_BOX_W + _GAP_X),
            _PAD + row * (_BOX_H + _GAP_Y),
        )
    width = _PAD * 2 + (max(depth.values(), default=0) + 1) * (_BOX_W + _GAP_X) - _GAP_X
    height = _PAD * 2 + max(rows.values(), default=1) * (_BOX_H + _GAP_Y) - _GAP_Y
    verdicts = {gate.id: gate.verdict for gate in gates}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chain" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" '
        'font-size="12"><title>The gate chain: each gate with its verdict, arrows from the gates '
        "it needs</title>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'fill="context-stroke"/></marker></defs>'
    ]
    for gate in gates:
        x2, y2 = where[gate.id]
        drawn = [need for need in gate.needs if need in where]
        for index, need in enumerate(drawn):
            x1, y1 = where[need]
            # Several arrows into one box end apart, so each stays visible.
            end = (index + 1) * _BOX_H // (len(drawn) + 1)
            blocking = gate.verdict == "BLOCKED" and verdicts[need] in _FAILED
            colour = "#b00020" if blocking else "#777777"
            dash = ' stroke-dasharray="5 3"' if blocking else ""
            sx, sy, ex, ey = x1 + _BOX_W, y1 + _BOX_H // 2, x2, y2 + end
            mid = (sx + ex) // 2
            parts.append(
                f'<path class="need" d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#arrow)">'
                f"<title>{escape(gate.id)} needs {escape(need)}</title></path>"
            )
    for gate in gates:
        parts.append(_box(gate, *where[gate.id]))
    parts.append("</svg>")
    return "".join(parts)


def _box(gate: ReportGate, x: int, y: int) -> str:
    fill, stroke = VERDICT_COLOURS.get(gate.verdict, ("#ffffff", "#333333"))
    level = "blocking" if gate.blocking else "advisory"
    lines = [
        f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{escape(_cut(gate.id))}</text>',
        f'<text x="{x + 8}" y="{y + 34}" fill="{stroke}">{escape(gate.verdict)} · {level}</text>',
    ]
    if gate.blocked_by:
        blockers = "blocked by " + ", ".join(gate.blocked_by)
        lines.append(f'<text x="{x + 8}" y="{y + 50}">{escape(_cut(blockers, 34))}</text>')
    tip = f"{gate.id}: {gate.verdict} ({level}). {gate.reason}"
    return (
        f'<g class="gate {escape(gate.verdict)}" data-gate="{escape(gate.id)}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{3 if gate.verdict in _FAILED else 1.5}"/>'
        + "".join(lines)
        + "</g>"
    )


def _seconds(value: JsonValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def load_svg(run: Mapping[str, JsonValue]) -> str | None:
    """Each shard's or worker's load as bars, or ``None`` when the run section has none.

    Read from ``run``: ``shards`` (a merge: ``{"index", "duration", "predicted"?}`` each) or
    ``workers`` (xdist: ``{"id", "duration", "predicted"?}`` each), and ``lower_bound`` (the
    seconds no partition can beat); each part is drawn when present.
    """
    groups = run.get("shards")
    if not isinstance(groups, list):
        groups = run.get("workers")
    if not isinstance(groups, list):
        return None
    bars: list[tuple[str, float | None, float | None]] = []
    for shard in groups:
        if not isinstance(shard, dict):
            continue
        label = f"shard {shard['index']}" if "index" in shard else f"worker {shard.get('id', '?')}"
        actual, predicted = _seconds(shard.get("duration")), _seconds(shard.get("predicted"))
        if actual is not None or predicted is not None:
            bars.append((label, actual, predicted))
    if not bars:
        return None
    bound = _seconds(run.get("lower_bound"))
    top = max([bound or 0.0, *(v for _, a, p in bars for v in (a, p) if v is not None)]) or 1.0
    label_w, bar_w, row_h = 80, 360, 30
    width, height = label_w + bar_w + 120, _PAD * 2 + row_h * len(bars) + 20
    scale = bar_w / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="load" role="img" width="{width}" '
        f'height="{height}" font-family="system-ui,sans-serif" font-size="12">'
        "<title>Seconds per shard: actual (filled), predicted (outline), lower bound (line)"
        "</title>"
    ]
    for row, (label, actual, predicted) in enumerate(bars):
        y = _PAD + row * row_h
        parts.append(f'<text x="0" y="{y + 16}">{escape(label)}</text>')
        if actual is not None:
            parts.append(
                f'<rect class="actual" x="{label_w}" y="{y + 4}" width="{actual * scale:.1f}" '
                f'height="16" fill="#4a78c2"><title>{escape(label)}: {actual:.1f} s actual'
                f"</title></rect>"
            )
        if predicted is not None:
            parts.append(
                f'<rect class="predicted" x="{label_w}" y="{y + 2}" '
                f'width="{predicted * scale:.1f}" height="20" fill="none" stroke="#222" '
                f'stroke-dasharray="3 2"><title>{escape(label)}: {predicted:.1f} s predicted'
                "</title></rect>"
            )
        shown = actual if actual is not None else predicted
        parts.append(
            f'<text x="{label_w + (shown or 0) * scale + 6:.1f}" y="{y + 16}">{shown:.1f} s</text>'
        )
    if bound is not None:
        x = label_w + bound * scale
        parts.append(
            f'<line class="bound" x1="{x:.1f}" y1="{_PAD - 4}" x2="{x:.1f}" y2="{height - 18}" '
            f'stroke="#b00020" stroke-width="2"><title>lower bound {bound:.1f} s</title></line>'
            f'<text x="{x:.1f}" y="{height - 4}" fill="#b00020">lower bound</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
