"""The run budget (issue 10, item 10): ``defaults.max_duration`` bounds the whole run; what has
not finished by then is ERROR and the decision NO_GO, in one process and on two xdist workers.

No timing is asserted: the budget is tiny and a check sleeps far past it, so whichever item the
deadline finds running, and every item after it, is ERROR with the same message.
"""

from __future__ import annotations

import pytest

from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.session.budget import budget_message
from tests.helpers import GatesProject

MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]


@pytest.fixture(params=MODES)
def dist(request: pytest.FixtureRequest) -> tuple[str, ...]:
    mode: tuple[str, ...] = request.param
    return mode


def manifest(budget: float) -> str:
    return (
        "version: 1\nproject: demo\n"
        f"defaults: {{max_duration: {budget}}}\n"
        "gates:\n"
        "  - {id: slow, class: structural, "
        "checks: [{id: nap, kind: scripted, outcome: sleep, seconds: 120}]}\n"
        "  - {id: later, class: structural, needs: [slow], "
        "checks: [{id: a, kind: scripted}, {id: b, kind: scripted}]}\n"
        "  - {id: other, class: structural, checks: [{id: c, kind: scripted, outcome: sleep, "
        "seconds: 120}]}\n"
    )


@pytest.mark.timeout(120)
def test_a_run_past_its_budget_is_no_go_with_the_unfinished_items_error(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(manifest(1))
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = project.report()
    assert report["body"]["decision"] == "NO_GO"
    assert report["run"]["budget"] == {"max_duration": 1.0, "exceeded": True}
    verdicts = project.verdicts()
    assert verdicts["slow"] == verdicts["other"] == "ERROR"
    assert verdicts["later"] in {"ERROR", "BLOCKED"}  # blocked when slow's ERROR came first
    for gate in ("slow", "other"):
        [item] = project.evidence(gate)["body"]["items"]
        assert (item["outcome"], item["message"]) == ("error", "run budget of 1 s exceeded")
    reasons = {g["id"]: g["reason"] for g in report["body"]["gates"]}
    assert reasons["slow"] == "1 item errored; first: nap: run budget of 1 s exceeded"
    result.stdout.fnmatch_lines(["decision: NO_GO: *slow*"])
    assert verify_outputs(project.root / ".gates") == []


def test_a_run_within_its_budget_says_so(project: GatesProject) -> None:
    project.manifest(
        "version: 1\nproject: demo\ndefaults: {max_duration: 3600}\ngates:\n"
        "  - {id: quick, class: structural, checks: [{id: a, kind: scripted}]}\n"
    )
    assert project.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.OK
    report = project.report()
    assert report["body"]["decision"] == "GO"
    assert report["run"]["budget"] == {"max_duration": 3600.0, "exceeded": False}


def test_without_a_budget_the_report_has_none(project: GatesProject) -> None:
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: quick, class: structural, checks: [{id: a, kind: scripted}]}\n"
    )
    assert project.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.OK
    assert "budget" not in project.report()["run"]


def test_the_message_names_the_budget() -> None:
    assert budget_message(90) == "run budget of 90 s exceeded"
    assert budget_message(0.5) == "run budget of 0.5 s exceeded"
