"""Severity decides: a critical finding blocks even in an advisory gate, a major one degrades only
with an override approval, minor ones never fail; tools' levels map onto severities, and the
reports show them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_gates.chain import BYPASS_DETAIL, fold_gate
from pytest_gates.checks.parsers import parse_bandit, parse_mypy
from pytest_gates.model.findings import Finding
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import FindingCounts
from pytest_gates.outputs.render.cells import shown_level
from tests.helpers import KINDS_CONFTEST, GatesProject

FINDING_KIND = """

class Found(CheckParams):
    severity: str = "major"
    passed: bool = False


@check_kind("found", params=Found, idempotent=True)
def found(p, ctx):
    finding = Finding(rule="demo.found", severity=p.severity, message=f"a {p.severity} thing",
                      location=Location(path="src/a.py", line=1))
    return CheckResult(passed=p.passed, summary=f"1 {p.severity} finding", findings=[finding])


def pytest_gates_register_checks(registry):
    registry.register(scripted)
    registry.register(scripted_once)
    registry.register(found)
"""


def advisory(severity: str, passed: bool = False) -> str:
    return (
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: docs, class: structural, blocking: false, checks: "
        f"[{{id: check, kind: found, severity: {severity}, passed: {str(passed).lower()}}}]}}\n"
        "  - {id: site, class: semantic, needs: [docs], checks: [{id: ok, kind: scripted}]}\n"
    )


@pytest.fixture
def found(project: GatesProject) -> GatesProject:
    (project.root / "conftest.py").write_text(KINDS_CONFTEST + FINDING_KIND)
    return project


def test_a_critical_finding_in_an_advisory_gate_is_no_go(found: GatesProject) -> None:
    found.manifest(advisory("critical"))
    assert found.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert found.verdicts() == {"docs": "FAIL", "site": "BLOCKED"}
    body = found.report()["body"]
    assert body["decision"] == "NO_GO"
    assert body["gates"][0]["reason"] == (
        "severity.critical: a critical finding blocks the gate: "
        "src/a.py:1: critical[demo.found] a critical thing"
    )


def test_a_critical_finding_blocks_even_when_its_check_passed(found: GatesProject) -> None:
    found.manifest(advisory("critical", passed=True))
    assert found.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert found.verdicts()["docs"] == "FAIL"


def test_a_major_finding_degrades_only_with_an_approval(found: GatesProject) -> None:
    found.manifest(advisory("major"))
    assert found.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert found.verdicts() == {"docs": "FAIL", "site": "BLOCKED"}
    assert found.report()["body"]["gates"][0]["reason"] == (
        "severity.major: a major finding may degrade only with an override approval: "
        "src/a.py:1: error[demo.found] a major thing; 1 item failed; first: check: "
        "1 major finding"
    )


@pytest.mark.parametrize(("passed", "verdict"), [(False, "DEGRADED"), (True, "PASS")])
def test_minor_findings_are_recorded_and_never_fail(
    found: GatesProject, passed: bool, verdict: str
) -> None:
    found.manifest(advisory("minor", passed=passed))
    assert found.run("--gates").ret == pytest.ExitCode.OK
    assert found.verdicts() == {"docs": verdict, "site": "PASS"}
    (item,) = found.evidence("docs")["body"]["items"]
    assert [f["severity"] for f in item["findings"]] == ["minor"]


def test_an_override_approval_lets_a_major_finding_through_as_bypassed() -> None:
    finding = Finding(rule="r", message="m")
    failed = ItemRecord(nodeid="m::g::c", gate="g", check="c", outcome="degraded")
    failed.findings = [finding]
    bypass = ItemRecord(
        nodeid="m::g::@bypass",
        gate="g",
        check="@bypass",
        outcome="passed",
        message="override by bob",
        details={BYPASS_DETAIL: {"kind": "override"}},
    )
    assert fold_gate("g", [], True, [failed], {}, ["g"]).verdict == "FAIL"
    assert fold_gate("g", [], True, [failed, bypass], {}, ["g"]).verdict == "BYPASSED"


@pytest.mark.parametrize(
    ("level", "severity"),
    [("error", "major"), ("warning", "minor"), ("note", "minor"), ("major", "major")],
)
def test_a_tools_level_is_read_as_a_severity(level: str, severity: str) -> None:
    data: dict[str, Any] = {"rule": "r", "message": "m", "severity": level}
    assert Finding.model_validate(data).severity == severity
    assert Finding(rule="r", message="m").severity == "major"
    old = FindingCounts.model_validate({"error": 2, "warning": 1, "note": 3})
    assert (old.critical, old.major, old.minor) == (0, 2, 4)


def test_the_parsers_map_their_tools_levels() -> None:
    mypy = parse_mypy("a.py:1: error: bad  [misc]\na.py:2: note: see  [misc]\n")
    assert [f.severity for f in mypy] == ["major", "minor"]
    results = [
        {"filename": "a.py", "test_id": f"B{n}", "issue_text": "t", "issue_severity": level}
        for n, level in enumerate(["HIGH", "MEDIUM", "LOW", "UNDEFINED"])
    ]
    bandit = parse_bandit(json.dumps({"results": results}))
    assert [f.severity for f in bandit] == ["critical", "major", "minor", "minor"]


@pytest.mark.parametrize(
    ("severity", "blocking", "level"),
    [
        ("critical", True, "error"),
        ("critical", False, "error"),
        ("major", True, "error"),
        ("major", False, "warning"),
        ("minor", True, "note"),
        ("minor", False, "note"),
    ],
)
def test_sarif_levels(severity: Any, blocking: bool, level: str) -> None:
    assert shown_level(severity, blocking) == level


def test_the_reports_count_findings_by_severity(found: GatesProject) -> None:
    found.manifest(advisory("minor"))
    found.run("--gates")
    markdown = (found.root / ".gates" / "report.md").read_text()
    assert "| `docs` | structural | advisory | **DEGRADED** | 0/1 | 1 minor |" in markdown
    assert "- `src/a.py:1` **demo.found** (minor) a minor thing" in markdown
    sarif = json.loads((found.root / ".gates" / "findings.sarif").read_text())
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "demo.found"]
    assert (result["level"], result["properties"]["severity"]) == ("note", "minor")
