"""Every finding as SARIF 2.1.0 (``findings.sarif``), for code-scanning tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from pytest_gates.model.findings import Finding
from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument
from pytest_gates.outputs.render.api import ReportFormat


def _result(finding: Finding, gate: str, nodeid: str) -> dict[str, Any]:
    text = finding.message + (f" (fix: {finding.fix_hint})" if finding.fix_hint else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": finding.severity,
        "message": {"text": text},
        "properties": {"gate": gate, "nodeid": nodeid},
    }
    loc = finding.location
    if loc.path:
        region = {}
        if loc.line:
            region["startLine"] = loc.line
            if loc.column:
                region["startColumn"] = loc.column
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path}}
        if region:
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    return result


def render_sarif(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """One SARIF run: a rule per finding rule, a result per finding (its gate and node id)."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for gate in report.body.gates:
        for item in evidence[gate.id].body.items:
            for finding in item.findings:
                rules.setdefault(
                    finding.rule, {"id": finding.rule, "shortDescription": {"text": finding.rule}}
                )
                results.append(_result(finding, gate.id, item.nodeid))
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pytest-gates",
                        "version": report.body.generator.rsplit(" ", 1)[-1],
                        "rules": [rules[r] for r in sorted(rules)],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


FORMAT: Final = ReportFormat("sarif", "findings.sarif", render_sarif)
