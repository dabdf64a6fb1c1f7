"""Rollbacks that check themselves (issue 10, item 7): ``rollback.verify``, ``rollback_on`` and
the ``pytest_gates_alert`` hook, in one process and on two xdist workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject

MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]
WRITE = "open('rolled', 'w').write('yes')"


@pytest.fixture(params=MODES)
def dist(request: pytest.FixtureRequest) -> tuple[str, ...]:
    mode: tuple[str, ...] = request.param
    return mode


class Pager:
    """A plugin that pages: it keeps every alert it is given."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def pytest_gates_alert(self, config: pytest.Config, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)


def run(project: GatesProject, pager: Pager, *args: str) -> pytest.RunResult:
    return project.pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--gates",
        *args,
        plugins=[pager],
    )


def deploy(rollback: str, smoke: str = "pass", extra: str = "") -> str:
    return (
        "version: 1\nproject: demo\ngates:\n"
        f"  - {{id: deploy, class: semantic, rollback: {rollback}, {extra}"
        "checks: [{id: push, kind: scripted}]}\n"
        "  - {id: smoke, class: semantic, needs: [deploy], "
        f"checks: [{{id: probe, kind: scripted, outcome: {smoke}}}]}}\n"
    )


def logged_rollbacks(root: Path) -> list[dict[str, Any]]:
    lines = (root / ".gates" / "transitions.jsonl").read_text().splitlines()
    return [entry for line in lines if (entry := json.loads(line))["event"] == "rollback"]


def test_a_failing_downstream_gate_rolls_back_the_gate_that_names_it_and_verifies(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        deploy(
            f'{{run: [python, -c, "{WRITE}"], verify: {{run: [python, -c, "pass"]}}}}',
            smoke="fail",
            extra="rollback_on: [smoke], ",
        )
    )
    pager = Pager()
    assert run(project, pager, *dist).ret == pytest.ExitCode.TESTS_FAILED
    assert (project.root / "rolled").read_text() == "yes"
    assert project.verdicts() == {"deploy": "PASS", "smoke": "FAIL"}
    rollback = project.evidence("deploy")["body"]["rollback"]
    assert rollback["trigger"] == "gate smoke is FAIL (rollback_on of gate deploy)"
    assert (rollback["outcome"], rollback["ok"]) == ("ok", True)
    assert rollback["verify"] == {
        "run": ["python", "-c", "pass"],
        "exit_code": 0,
        "ok": True,
        "output": "",
    }
    assert pager.alerts == []
    assert [e["rollback"]["outcome"] for e in logged_rollbacks(project.root)] == ["ok"]
    assert verify_outputs(project.root / ".gates") == []


def test_a_rollback_whose_verification_fails_is_an_error_and_pages(
    project: GatesProject, dist: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", "hunter2-hunter2")
    check = "import os; print('still serving', os.environ['DEPLOY_TOKEN']); raise SystemExit(4)"
    project.manifest(
        deploy(
            f'{{run: [python, -c, "{WRITE}"], verify: {{run: [python, -c, "{check}"]}}}}',
            smoke="fail",
            extra="rollback_on: [smoke], ",
        )
    )
    pager = Pager()
    assert run(project, pager, *dist).ret == pytest.ExitCode.TESTS_FAILED
    rollback = project.evidence("deploy")["body"]["rollback"]
    assert (rollback["outcome"], rollback["ok"], rollback["exit_code"]) == ("error", False, 0)
    assert rollback["error"] == "the rollback's verification did not pass: exit code 4"
    assert rollback["verify"]["output"] == "still serving ***\n"
    [alert] = pager.alerts
    run_id = alert.pop("run_id")
    assert isinstance(run_id, str)
    assert len(run_id) == 32
    assert alert == {
        "gate": "deploy",
        "reason": "the rollback of gate deploy errored: the rollback's verification did not "
        "pass: exit code 4",
        "trigger": "gate smoke is FAIL (rollback_on of gate deploy)",
        "outcome": "error",
        "commands": [["python", "-c", WRITE], ["python", "-c", check]],
        "exit_codes": [0, 4],
        "output": "still serving ***",
    }
    [logged] = logged_rollbacks(project.root)
    assert logged["reason"] == (
        "rollback error: the rollback's verification did not pass: exit code 4"
    )
    assert verify_outputs(project.root / ".gates") == []


def test_a_failing_rollback_command_pages_and_its_verification_does_not_run(
    project: GatesProject,
) -> None:
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: deploy, class: semantic, on_failure: rollback, rollback: {run: [python, -c, "
        "'raise SystemExit(3)'], verify: {run: [python, -c, 'open(\"verified\", \"w\")']}}, "
        "checks: [{id: push, kind: scripted, outcome: fail}]}\n"
    )
    pager = Pager()
    assert run(project, pager, "-p", "no:xdist").ret == pytest.ExitCode.TESTS_FAILED
    assert not (project.root / "verified").exists()
    [alert] = pager.alerts
    assert alert["reason"] == "the rollback of gate deploy failed: exit code 3"
    assert alert["trigger"] == "gate deploy is FAIL"
    assert (alert["outcome"], alert["exit_codes"]) == ("failed", [3])
    assert project.evidence("deploy")["body"]["rollback"]["outcome"] == "failed"
    assert [e["rollback"]["outcome"] for e in logged_rollbacks(project.root)] == ["failed"]


def test_a_rollback_that_cannot_run_logs_why(project: GatesProject) -> None:
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: deploy, class: semantic, on_failure: rollback, "
        "rollback: {cwd: .., run: [python, -c, 'pass']}, "
        "checks: [{id: push, kind: scripted, outcome: fail}]}\n"
    )
    pager = Pager()
    assert run(project, pager, "-p", "no:xdist").ret == pytest.ExitCode.TESTS_FAILED
    [logged] = logged_rollbacks(project.root)
    assert logged["reason"].startswith("rollback error: rollback cwd '..' is outside the project")
    assert [a["outcome"] for a in pager.alerts] == ["error"]
    assert project.evidence("deploy")["body"]["rollback"]["outcome"] == "error"


def test_no_rollback_when_the_named_gate_passes(project: GatesProject) -> None:
    project.manifest(
        deploy(f'{{run: [python, -c, "{WRITE}"]}}', smoke="pass", extra="rollback_on: [smoke], ")
    )
    pager = Pager()
    assert run(project, pager, "-p", "no:xdist").ret == pytest.ExitCode.OK
    assert not (project.root / "rolled").exists()
    assert project.evidence("deploy")["body"]["rollback"] is None
    assert logged_rollbacks(project.root) == []
