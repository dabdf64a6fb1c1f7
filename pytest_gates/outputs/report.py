"""The go/no-go report: its JSON document and its renderings (Markdown, HTML, SARIF, terminal)."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pytest_gates.chain import VERDICTS, Decision, GateVerdict
from pytest_gates.model.manifest import LoadedManifest
from pytest_gates.outputs.evidence import WrittenEvidence, gate_summary
from pytest_gates.support.subject import Subject

REPORT_SCHEMA: Final = "pytest-gates/report/v1"
#: Findings listed per gate in the Markdown and HTML reports; the evidence has all of them.
FINDINGS_SHOWN: Final = 20
DECISION_MARK: Final = {"GO": "✅", "GO_WITH_BYPASS": "⚠️", "NO_GO": "❌", "INCOMPLETE": "⏸️"}


def build_report(
    *,
    generator: str,
    loaded: LoadedManifest,
    manifest_path: str,
    subject: Subject,
    verdicts: Mapping[str, GateVerdict],
    decision: Decision,
    reason: str,
    evidence: Mapping[str, WrittenEvidence],
    selection: Mapping[str, Any],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """The report document: a deterministic ``body`` and the run's ``run`` section (times, digests)."""
    gates = []
    for gate in loaded.gates_in_order():
        verdict = verdicts[gate.id]
        written = evidence[gate.id]
        body = written.document["body"]
        gates.append(
            {
                **gate_summary(loaded, gate),
                "verdict": verdict.verdict,
                "reason": verdict.reason,
                "blocked_by": list(verdict.blocked_by),
                "flaky": verdict.flaky,
                "complete": verdict.complete,
                "items": dict(verdict.counts),
                "findings": body["findings"],
                "evidence": {
                    "path": f"evidence/{gate.id}.json",
                    "body_sha256": written.body_digest,
                },
            }
        )
    totals = Counter(v.verdict for v in verdicts.values())
    closure = closure_metrics(evidence.values())
    return {
        "schema": REPORT_SCHEMA,
        "body": {
            "generator": generator,
            "project": loaded.manifest.project,
            "decision": decision,
            "reason": reason,
            "manifest": {"path": manifest_path, "digest": loaded.digest},
            "subject": subject.as_dict(),
            "selection": dict(selection),
            "gates": gates,
            "totals": {v: totals[v] for v in VERDICTS if totals[v]},
            "closure": closure,
        },
        "run": {
            **run,
            "evidence": {
                gate_id: {"path": f"evidence/{gate_id}.json", "sha256": w.file_digest}
                for gate_id, w in sorted(evidence.items())
            },
        },
    }


def closure_metrics(evidence: Iterable[WrittenEvidence]) -> dict[str, int]:
    """Closure metrics the checks published (``details["closure"]``: name -> count), summed.

    A check kind that counts what stands between the project and a release (open blocking
    issues, undischarged obligations, stale artifacts) publishes the count there; the report
    carries the sums, so a later check can hold a release report to them.
    """
    sums: Counter[str] = Counter()
    for written in evidence:
        for item in written.document["body"]["items"]:
            published = item.get("details", {}).get("closure")
            if isinstance(published, dict):
                for name, value in published.items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        sums[name] += value
    return {name: sums[name] for name in sorted(sums)}


def _short(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def _subject_line(body: Mapping[str, Any]) -> str:
    subject = body["subject"]
    if subject.get("commit"):
        state = "dirty" if subject.get("dirty") else "clean"
        commit = f"commit `{subject['commit'][:12]}` ({state} tree)"
    else:
        commit = "no git commit"
    manifest = body["manifest"]
    return (
        f"Project `{body['project']}` · {commit} · manifest `{manifest['path']}` "
        f"(`{_short(manifest['digest'])}`)"
    )


def _items_cell(gate: Mapping[str, Any]) -> str:
    items = gate["items"]
    total = sum(items.values())
    ran = total - items.get("not_run", 0)
    return f"{items.get('passed', 0)}/{ran}" + (
        f" (+{total - ran} not run)" if ran != total else ""
    )


def _findings_cell(gate: Mapping[str, Any]) -> str:
    counts = gate["findings"]
    parts = [f"{counts[s]} {s}" for s in ("error", "warning", "note") if counts.get(s)]
    return ", ".join(parts) or "0"


def _finding_lines(document: Mapping[str, Any]) -> tuple[list[str], int]:
    lines = []
    for item in document["body"]["items"]:
        for finding in item["findings"]:
            loc = finding.get("location") or {}
            where = loc.get("path") or "(no file)"
            if loc.get("line"):
                where += f":{loc['line']}"
                if loc.get("column"):
                    where += f":{loc['column']}"
            text = f"`{where}` **{finding['rule']}** ({finding['severity']}) {finding['message']}"
            if finding.get("fix_hint"):
                text += f" — fix: {finding['fix_hint']}"
            lines.append(text)
    return lines[:FINDINGS_SHOWN], max(0, len(lines) - FINDINGS_SHOWN)


def _check_lines(body: Mapping[str, Any], evidence: Mapping[str, WrittenEvidence]) -> list[str]:
    """One row per check that ran: what its last attempt said (coverage total, exit code...)."""
    rows = []
    for gate in body["gates"]:
        for item in evidence[gate["id"]].document["body"]["items"]:
            if item["check"] is None or not item["attempts"]:
                continue
            attempts = item["attempts"]
            outcome = item["outcome"] + (
                f" after {len(attempts)} attempts" if len(attempts) > 1 else ""
            )
            rows.append(
                f"| `{gate['id']}` | `{item['check']}` | {outcome} | {_md(attempts[-1]['summary'])} |"
            )
    return rows


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any], evidence: Mapping[str, WrittenEvidence]) -> str:
    """The report as Markdown, readable as a CI job summary."""
    body = report["body"]
    decision = body["decision"]
    out = [
        f"# {DECISION_MARK[decision]} Release decision: {decision}",
        "",
        f"**{_md(body['reason'])}**",
        "",
        _subject_line(body),
        "",
        "| Gate | Class | Level | Verdict | Items passed | Findings | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for gate in body["gates"]:
        level = "blocking" if gate["blocking"] else "advisory"
        verdict = gate["verdict"] + (" (flaky)" if gate["flaky"] else "")
        out.append(
            f"| `{gate['id']}` | {gate['class']} | {level} | **{verdict}** | {_items_cell(gate)} | "
            f"{_findings_cell(gate)} | {_md(gate['reason'])} |"
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
    for gate in body["gates"]:
        lines, more = _finding_lines(evidence[gate["id"]].document)
        if not lines:
            continue
        detail += ["", f"### `{gate['id']}` ({gate['verdict']})", ""]
        detail += [f"- {_md(line)}" for line in lines]
        if more:
            detail.append(f"- … {more} more in `{gate['evidence']['path']}`")
    if detail:
        out += ["", "## Findings", *detail]
    out += [
        "",
        f"<sub>{body['generator']} · evidence in `evidence/` · verify with "
        "`pytest-gates verify`</sub>",
        "",
    ]
    return "\n".join(out)


_CSS: Final = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}.PASS{color:#176f2c}.DEGRADED,.NOT_RUN{color:#8a6100}"
    ".FAIL,.ERROR,.BLOCKED{color:#b00020}code{background:#f4f4f4;padding:0 .2rem}"
)


def render_html(report: Mapping[str, Any], evidence: Mapping[str, WrittenEvidence]) -> str:
    """A standalone HTML page of the report (no scripts, no external resources)."""
    body = report["body"]
    e = html.escape
    rows = []
    for gate in body["gates"]:
        level = "blocking" if gate["blocking"] else "advisory"
        rows.append(
            f"<tr><td><code>{e(gate['id'])}</code></td><td>{e(gate['class'])}</td>"
            f'<td>{level}</td><td class="{e(gate["verdict"])}"><b>{e(gate["verdict"])}</b>'
            f"{' (flaky)' if gate['flaky'] else ''}</td><td>{e(_items_cell(gate))}</td>"
            f"<td>{e(_findings_cell(gate))}</td><td>{e(gate['reason'])}</td></tr>"
        )
    sections = []
    for gate in body["gates"]:
        lines, more = _finding_lines(evidence[gate["id"]].document)
        if lines:
            items = "".join(f"<li>{e(line)}</li>" for line in lines)
            extra = f"<li>… {more} more in {e(gate['evidence']['path'])}</li>" if more else ""
            sections.append(
                f"<h3><code>{e(gate['id'])}</code> ({e(gate['verdict'])})</h3>"
                f"<ul>{items}{extra}</ul>"
            )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(body['project'])}: {e(body['decision'])}</title><style>{_CSS}</style></head>"
        f'<body><h1 class="{e(body["decision"])}">Release decision: {e(body["decision"])}</h1>'
        f"<p><b>{e(body['reason'])}</b></p><p>{e(_subject_line(body).replace('`', ''))}</p>"
        "<table><thead><tr><th>Gate</th><th>Class</th><th>Level</th><th>Verdict</th>"
        "<th>Items passed</th><th>Findings</th><th>Reason</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + ("<h2>Findings</h2>" + "".join(sections) if sections else "")
        + f"<p><small>{e(body['generator'])}</small></p></body></html>\n"
    )


_SARIF_LEVEL: Final = {"error": "error", "warning": "warning", "note": "note"}


def render_sarif(report: Mapping[str, Any], evidence: Mapping[str, WrittenEvidence]) -> str:
    """Every finding as SARIF 2.1.0, for code-scanning tools."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for gate in report["body"]["gates"]:
        for item in evidence[gate["id"]].document["body"]["items"]:
            for finding in item["findings"]:
                rule = finding["rule"]
                rules.setdefault(rule, {"id": rule, "shortDescription": {"text": rule}})
                result: dict[str, Any] = {
                    "ruleId": rule,
                    "level": _SARIF_LEVEL[finding["severity"]],
                    "message": {
                        "text": finding["message"]
                        + (f" (fix: {finding['fix_hint']})" if finding.get("fix_hint") else "")
                    },
                    "properties": {"gate": gate["id"], "nodeid": item["nodeid"]},
                }
                loc = finding.get("location") or {}
                if loc.get("path"):
                    region = {}
                    if loc.get("line"):
                        region["startLine"] = loc["line"]
                        if loc.get("column"):
                            region["startColumn"] = loc["column"]
                    physical: dict[str, Any] = {"artifactLocation": {"uri": loc["path"]}}
                    if region:
                        physical["region"] = region
                    result["locations"] = [{"physicalLocation": physical}]
                results.append(result)
    generator = report["body"]["generator"]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pytest-gates",
                        "version": generator.rsplit(" ", 1)[-1],
                        "rules": [rules[r] for r in sorted(rules)],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def terminal_table(report: Mapping[str, Any]) -> list[str]:
    """The gate table printed at the end of ``pytest --gates``."""
    gates: Sequence[Mapping[str, Any]] = report["body"]["gates"]
    header = ("gate", "class", "level", "verdict", "items", "findings", "reason")
    rows = [
        (
            gate["id"],
            gate["class"],
            "blocking" if gate["blocking"] else "advisory",
            gate["verdict"] + ("*" if gate["flaky"] else ""),
            _items_cell(gate),
            _findings_cell(gate),
            gate["reason"].splitlines()[0][:80] if gate["reason"] else "",
        )
        for gate in gates
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return lines
