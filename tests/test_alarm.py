"""Check items run under pytest-timeout's signal timer, armed by one handler for the session."""

from __future__ import annotations

import signal

import pytest

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - id: first
    class: structural
    timeout: 30
    checks: [{id: ok, kind: scripted}]
  - id: suite
    class: semantic
    needs: [first]
    timeout: 30
    suites: [suites/plain]
  - id: slow
    class: benchmark
    needs: [suite]
    timeout: 0.5
    checks:
      - {id: nap, kind: scripted, outcome: sleep, seconds: 5}
      - {id: after, kind: scripted}
"""

SUITE = {"test_plain.py": "def test_plain():\n    assert True\n"}


def test_a_check_after_a_suite_test_still_times_out_as_an_error(project: GatesProject) -> None:
    """A suite test runs under pytest-timeout's own timer, which leaves the default SIGALRM
    handler behind: the next check's deadline must still be pytest-timeout's failure, not the
    end of the process."""
    project.manifest(MANIFEST)
    project.suite("suites/plain", SUITE)
    result = project.run_subprocess("--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert project.verdicts() == {"first": "PASS", "suite": "PASS", "slow": "ERROR"}
    nap, after = project.evidence("slow")["body"]["items"]
    assert nap["outcome"] == "error"
    assert nap["message"] == "timeout: over the 0.5s gate slow allows each item"
    # The timer was stopped with the item: the next check runs to its end.
    assert after["outcome"] == "passed"
    assert "Timeout (>0.5s) from pytest-timeout" in result.stdout.str()


def test_an_in_process_session_gives_the_alarm_handler_back(project: GatesProject) -> None:
    project.manifest(
        MANIFEST.replace("timeout: 0.5", "timeout: 30").replace("seconds: 5", "seconds: 0")
    )
    project.suite("suites/plain", SUITE)
    before = signal.getsignal(signal.SIGALRM)
    project.run("--gates").assert_outcomes(passed=4)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_without_pytest_timeout_checks_run_without_a_timer(project: GatesProject) -> None:
    project.manifest(
        MANIFEST.replace("timeout: 0.5", "timeout: 30").replace("seconds: 5", "seconds: 0")
    )
    project.suite("suites/plain", SUITE)
    result = project.run("--gates", "-p", "no:timeout")
    result.assert_outcomes(passed=4)
    assert project.verdicts() == {"first": "PASS", "suite": "PASS", "slow": "PASS"}
