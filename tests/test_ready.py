"""READY, the meta-audit: folded last on the controller over the session's written evidence, with
its sub-checks by name; it never passes with warnings and names the gate to run again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_gates.checks.ready import SUBCHECKS, GateState, audit
from pytest_gates.outputs import evidence as evidence_module
from pytest_gates.outputs.evidence import WrittenEvidence
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.session import ready as ready_module
from tests.helpers import KINDS_CONFTEST, GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: build, class: structural, checks: [{id: compile, kind: scripted}]}
  - {id: lint, class: structural, needs: [build], checks: [{id: ruff, kind: scripted}]}
  - {id: release.ready, class: semantic, needs: [lint], checks: [{id: audit, kind: ready}]}
"""
PASSING_WITH_A_FINDING = """

class Noted(CheckParams):
    pass


@check_kind("noted", params=Noted, idempotent=True)
def noted(p, ctx):
    finding = Finding(rule="lint.todo", severity="major", message="a TODO left in",
                      location=Location(path="src/a.py", line=2))
    return CheckResult(passed=True, summary="passed, with a finding", findings=[finding])


def pytest_gates_register_checks(registry):
    registry.register(scripted)
    registry.register(scripted_once)
    registry.register(noted)
"""
MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]


def ready_item(project: GatesProject) -> dict[str, Any]:
    (item,) = project.evidence("release.ready")["body"]["items"]
    assert isinstance(item, dict)
    return item


def subchecks(project: GatesProject) -> dict[str, str]:
    return {s["name"]: s["outcome"] for s in ready_item(project)["details"]["subchecks"]}


@pytest.mark.parametrize("dist", MODES)
def test_ready_passes_over_a_clean_session_with_its_subchecks_by_name(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(MANIFEST)
    assert project.run("--gates", *dist).ret == pytest.ExitCode.OK
    assert project.verdicts() == {"build": "PASS", "lint": "PASS", "release.ready": "PASS"}
    assert subchecks(project) == {
        "required_gates": "passed",
        "evidence_digests": "passed",
        "open_findings": "passed",
        "no_warnings": "passed",
        "approvals": "not_applicable",
        "log": "passed",
    }
    assert list(subchecks(project)) == list(SUBCHECKS)
    approvals = ready_item(project)["details"]["subchecks"][4]
    assert approvals["message"] == "no approval was required or used"
    assert ready_item(project)["attempts"][0]["summary"] == (
        "2 gates ready; the evidence digests, approvals and log are audited when the evidence "
        "is written"
    )


def test_ready_fails_naming_the_gate_whose_evidence_was_altered(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.manifest(MANIFEST)

    def write_then_alter(*args: Any) -> dict[str, WrittenEvidence]:
        written = evidence_module.write_gates_evidence(*args)
        build = written["build"].path  # altered between the gates' run and READY's fold
        data = json.loads(build.read_text())
        data["body"]["reason"] = "everything is fine, trust me"
        build.write_text(json.dumps(data))
        return written

    monkeypatch.setattr(ready_module, "write_gates_evidence", write_then_alter)
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"build": "PASS", "lint": "PASS", "release.ready": "FAIL"}
    item = ready_item(project)
    assert item["outcome"] == "failed"
    assert item["message"] == "not READY: run again build (evidence_digests)"
    (finding,) = item["findings"]
    assert finding["rule"] == "ready.evidence_digests"
    assert finding["severity"] == "critical"
    assert finding["fix_hint"] == "run gate build again"
    assert finding["message"].startswith(
        "gate build its evidence was altered after it was written (body sha256:"
    )
    assert item["details"]["run_again"] == ["build"]
    assert subchecks(project)["evidence_digests"] == "failed"
    # The outputs written afterwards are whole again, and say READY failed.
    assert verify_outputs(project.root / ".gates") == []


def test_ready_never_passes_with_warnings_even_when_advisory(project: GatesProject) -> None:
    project.manifest(
        MANIFEST.replace("kind: ready}]}", "kind: ready}], blocking: false}").replace(
            "needs: [lint]", "needs: [lint, size]"
        )
        + "  - {id: size, class: structural, blocking: false,"
        " checks: [{id: lines, kind: file_size, paths: [big.py], max_lines: 1}]}\n"
    )
    (project.root / "big.py").write_text("a = 1\nb = 2\n")
    assert project.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts()["size"] == "DEGRADED"
    assert project.verdicts()["release.ready"] == "FAIL"
    assert ready_item(project)["message"] == "not READY: run again size (no_warnings)"
    reason = project.evidence("release.ready")["body"]["reason"]
    assert reason.startswith("severity.critical: a critical finding blocks the gate: ")
    assert reason.endswith(
        "critical[ready.no_warnings] gate size is DEGRADED: READY never passes with warnings "
        "(fix: run gate size again)"
    )


def test_ready_names_a_required_gate_that_did_not_run(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    project.run("--gates", "-k", "not compile")
    assert project.verdicts()["release.ready"] == "FAIL"
    assert ready_item(project)["details"]["run_again"] == ["build"]
    assert subchecks(project)["required_gates"] == "failed"


def test_ready_says_why_a_gate_that_passed_in_part_has_no_whole_verdict(
    project: GatesProject,
) -> None:
    project.manifest(
        MANIFEST.replace(
            "checks: [{id: compile, kind: scripted}]",
            "checks: [{id: compile, kind: scripted}, {id: docs, kind: scripted}]",
        )
    )
    project.run("--gates", "-k", "not docs")
    assert project.verdicts()["build"] == "PASS"
    assert project.verdicts()["release.ready"] == "FAIL"
    (required,) = (
        sub
        for sub in ready_item(project)["details"]["subchecks"]
        if sub["name"] == "required_gates"
    )
    assert required["message"] == (
        "build: has no whole verdict in this session (PASS; 1 of 2 items not run here: deselected)"
    )


def test_ready_is_blocked_by_a_failed_gate_and_never_runs(project: GatesProject) -> None:
    project.manifest(
        MANIFEST.replace("{id: ruff, kind: scripted}", "{id: ruff, kind: scripted, outcome: fail}")
    )
    project.run("--gates")
    assert project.verdicts() == {"build": "PASS", "lint": "FAIL", "release.ready": "BLOCKED"}
    assert ready_item(project)["outcome"] == "blocked"


def test_a_gate_after_ready_does_not_run_when_ready_fails_and_is_not_audited(
    project: GatesProject,
) -> None:
    """READY runs in its place in the chain: a deploy that needs it never runs on an unready
    change, and what comes after READY (the deploy's own findings) is not READY's business."""
    (project.root / "conftest.py").write_text(KINDS_CONFTEST + PASSING_WITH_A_FINDING)
    project.manifest(
        MANIFEST.replace("{id: ruff, kind: scripted}", "{id: ruff, kind: noted}")
        + "  - {id: deploy, class: structural, needs: [release.ready],"
        " checks: [{id: sync, kind: scripted}]}\n"
    )
    project.run("--gates")
    assert project.verdicts() == {
        "build": "PASS",
        "lint": "PASS",
        "release.ready": "FAIL",
        "deploy": "BLOCKED",
    }
    (deploy,) = project.evidence("deploy")["body"]["items"]
    assert deploy["outcome"] == "blocked"
    # And with a clean lint, the deploy's own findings do not fail READY after the fact.
    project.manifest(
        MANIFEST + "  - {id: deploy, class: structural, needs: [release.ready],"
        " checks: [{id: sync, kind: noted}]}\n"
    )
    project.run("--gates")
    assert project.verdicts()["release.ready"] == "PASS"
    assert project.verdicts()["deploy"] == "PASS"


def test_ready_names_a_gate_with_an_open_major_finding(project: GatesProject) -> None:
    (project.root / "conftest.py").write_text(KINDS_CONFTEST + PASSING_WITH_A_FINDING)
    project.manifest(MANIFEST.replace("{id: ruff, kind: scripted}", "{id: ruff, kind: noted}"))
    project.run("--gates")
    assert project.verdicts() == {"build": "PASS", "lint": "PASS", "release.ready": "FAIL"}
    assert ready_item(project)["details"]["run_again"] == ["lint"]
    assert subchecks(project)["open_findings"] == "failed"
    finding = ready_item(project)["findings"][0]
    assert finding["message"] == (
        "gate lint 1 open critical or major finding(s); first: src/a.py:2: error[lint.todo] a "
        "TODO left in"
    )
    assert finding["location"]["path"] == "manifests/gates.yaml"  # not "<no file>"


def _state(gate: str, **changes: Any) -> GateState:
    values: dict[str, Any] = {
        "gate": gate,
        "blocking": True,
        "verdict": "PASS",
        "complete": True,
        "records": [],
        "written": "sha256:a",
        "on_disk": "sha256:a",
    }
    return GateState(**{**values, **changes})


def test_the_log_subcheck_wants_one_state_line_per_gate_in_order() -> None:
    states = [_state("a"), _state("b")]
    ok = audit(
        states,
        approval_checks=(),
        log_problem=None,
        state_lines=[("a", "sha256:a"), ("b", "sha256:a")],
    )
    assert ok.passed
    twice = audit(
        states,
        approval_checks=(),
        log_problem=None,
        state_lines=[("a", "sha256:a"), ("a", "sha256:a"), ("b", "sha256:a")],
    )
    assert twice.summary == "not READY: run again a (log)"
    swapped = audit(
        states,
        approval_checks=(),
        log_problem=None,
        state_lines=[("b", "sha256:a"), ("a", "sha256:a")],
    )
    assert swapped.summary == "not READY: run again b (log)"
    broken = audit(
        states,
        approval_checks=(),
        log_problem="x:3: chain broken",
        state_lines=[("a", "sha256:a"), ("b", "sha256:a")],
    )
    assert [f.message for f in broken.findings] == [
        "gate a the log it continues is broken: x:3: chain broken"
    ]
