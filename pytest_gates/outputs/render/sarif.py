"""Every finding, and every failed item without one, as SARIF 2.1.0 (``findings.sarif``).

What code-scanning platforms need beside the schema: URIs percent-encoded; a rule per rule id, with
the rule page (a URL in a fix hint) as ``helpUri``; a ``partialFingerprints`` entry that follows a
finding across commits; an ``automationDetails`` id whose category differs per shard and
selection, so the uploads of one run do not replace each other; a real file as every location (a
glob or a missing path points at the manifest that defines the gate). An advisory gate's error is
a ``warning``: it does not block the release.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from pytest_gates.model.findings import Finding, Severity
from pytest_gates.outputs.documents import EvidenceDocument, ItemBody, ReportDocument, ReportGate
from pytest_gates.outputs.render.api import ReportFormat
from pytest_gates.outputs.render.cells import Level, shown_level
from pytest_gates.support.paths import is_glob

#: The key our fingerprint is stored under in ``partialFingerprints``.
FINGERPRINT: Final = "pytestGates/v1"
#: Rules of the results for failed items that have no finding of their own.
ITEM_RULES: Final = {
    "failed": ("pytest-gates.item-failed", "A check or test of a gate failed."),
    "degraded": ("pytest-gates.item-failed", "A check or test of a gate failed."),
    "error": (
        "pytest-gates.item-error",
        "A check or test of a gate could not run to a verdict (crash, timeout, lost worker).",
    ),
}
_URL: Final = re.compile(r"\s*\(?(?:see\s+)?(https?://[^\s)]+)\)?\.?", re.IGNORECASE)


def uri(path: str) -> str:
    """A rootdir-relative path as a SARIF ``uri-reference``: posix, percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/")


def _location(path: str, line: int | None = None, column: int | None = None) -> dict[str, Any]:
    # Relative to the rootdir, which is the repository root code scanning resolves it against.
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(path)}}
    if line:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    return {"physicalLocation": physical}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def split_url(text: str | None) -> tuple[str | None, str | None]:
    """``text`` without its first URL (``see https://...``), and that URL."""
    if not text:
        return text, None
    match = _URL.search(text)
    if match is None:
        return text, None
    rest = (text[: match.start()] + text[match.end() :]).strip(" ;,")
    return rest or None, match.group(1)


class _Run:
    """The results and rules of one SARIF run, gathered gate by gate."""

    def __init__(self, manifest: str) -> None:
        self.manifest = manifest
        self.rules: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []

    def rule(self, rule_id: str, description: str, help_uri: str | None) -> None:
        rule = self.rules.setdefault(
            rule_id,
            {
                "id": rule_id,
                "shortDescription": {"text": rule_id},
                "fullDescription": {"text": description},
            },
        )
        if help_uri and "helpUri" not in rule:
            rule["helpUri"] = help_uri

    def finding(self, finding: Finding, gate: ReportGate, item: ItemBody) -> None:
        hint, help_uri = split_url(finding.fix_hint)
        message, message_uri = split_url(finding.message)
        help_uri = help_uri or message_uri
        self.rule(finding.rule, f"{finding.rule}: {message or finding.message}", help_uri)
        text = (message or finding.message) + (f" (fix: {hint})" if hint else "")
        loc = finding.location
        if loc.path and not is_glob(loc.path):
            location = _location(loc.path, loc.line, loc.column)
        else:
            if loc.path:
                text += f" (files: {loc.path})"
            location = _location(self.manifest)
        self._add(
            finding.rule,
            shown_level(finding.severity, gate.blocking),
            text,
            location,
            gate,
            item,
            _fingerprint(gate.id, finding.rule, loc.path or "", finding.message),
            finding.severity,
        )

    def failed_item(self, gate: ReportGate, item: ItemBody) -> None:
        rule_id, description = ITEM_RULES[item.outcome]
        self.rule(rule_id, description, None)
        what = f"check {item.check}" if item.check else f"test {item.nodeid}"
        text = f"gate {gate.id}: {what} {item.outcome}" + (
            f": {item.message}" if item.message else ""
        )
        path = item.nodeid.split("::", 1)[0] if item.check is None else self.manifest
        level: Level = "error" if item.outcome == "error" else "warning"
        if item.outcome == "failed":
            level = shown_level("major", gate.blocking)
        self._add(
            rule_id,
            level,
            text,
            _location(path),
            gate,
            item,
            _fingerprint(gate.id, rule_id, item.nodeid),
        )

    def _add(
        self,
        rule_id: str,
        level: Level,
        text: str,
        location: dict[str, Any],
        gate: ReportGate,
        item: ItemBody,
        fingerprint: str,
        severity: Severity | None = None,
    ) -> None:
        properties = {"gate": gate.id, "nodeid": item.nodeid}
        if severity is not None:
            properties["severity"] = severity
        self.results.append(
            {
                "ruleId": rule_id,
                "level": level,
                "message": {"text": text},
                "locations": [location],
                "partialFingerprints": {FINGERPRINT: fingerprint},
                "properties": properties,
            }
        )


def automation_id(report: ReportDocument) -> str:
    """``pytest-gates/<project>/<scope>/``: the category (everything up to the last ``/``) is
    the same for every run of one scope, and differs between shards and selections."""
    selection = report.body.selection
    shard = selection.get("shard")
    if isinstance(shard, dict):
        scope = f"shard-{shard.get('index')}-of-{shard.get('total')}"
    else:
        scope = "all"
    chosen = {k: selection.get(k) for k in ("markexpr", "keyword", "args") if selection.get(k)}
    if chosen:
        scope += "-select-" + _fingerprint(json.dumps(chosen, sort_keys=True))[:12]
    project = re.sub(r"[^A-Za-z0-9._-]+", "-", report.body.project).strip("-") or "project"
    return f"pytest-gates/{project}/{scope}/"


def render_sarif(report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /) -> str:
    """One SARIF run: a rule per rule id, a result per finding and per failed item without one."""
    run = _Run(report.body.manifest.path)
    for gate in report.body.gates:
        for item in evidence[gate.id].body.items:
            for finding in item.findings:
                run.finding(finding, gate, item)
            if not item.findings and item.outcome in ITEM_RULES:
                run.failed_item(gate, item)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pytest-gates",
                        "version": report.body.generator.rsplit(" ", 1)[-1],
                        "rules": [run.rules[r] for r in sorted(run.rules)],
                    }
                },
                "automationDetails": {"id": automation_id(report)},
                "results": run.results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


FORMAT: Final = ReportFormat("sarif", "findings.sarif", render_sarif)
