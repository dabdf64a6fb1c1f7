"""The chain: verdicts, blocking, degrading, errors, timeouts, retries, rollback."""

from __future__ import annotations

import pytest

from pytest_gates.chain import GateVerdict, Verdict, decide, fold_gate, tolerates_failure
from pytest_gates.model.records import ItemOutcome, ItemRecord
from tests.helpers import GatesProject

#: Every chain test runs in one process and on two xdist workers, with the same expectations.
MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]


@pytest.fixture(params=MODES)
def dist(request: pytest.FixtureRequest) -> tuple[str, ...]:
    mode: tuple[str, ...] = request.param
    return mode


def manifest(*gates: str) -> str:
    return "version: 1\nproject: demo\ngates:\n" + "".join(f"  - {g}\n" for g in gates)


def test_a_failing_blocking_gate_blocks_its_dependents_transitively(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: files, class: structural, checks: [{id: exist, kind: scripted, outcome: fail}]}",
            "{id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted}]}",
            "{id: review, class: semantic, needs: [lint], checks: [{id: look, kind: scripted}]}",
            "{id: size, class: structural, checks: [{id: lines, kind: scripted}]}",
        )
    )
    result = project.run(*dist, "--gates", "-rs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, skipped=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "decision: NO_GO: 3 gates did not pass: files, lint, review",
            "SKIPPED [[]2[]] manifests/gates.yaml: blocked by files",
        ]
    )
    assert project.verdicts() == {
        "size": "PASS",
        "files": "FAIL",
        "lint": "BLOCKED",
        "review": "BLOCKED",
    }
    review = project.evidence("review")["body"]
    assert review["blocked_by"] == ["files"]
    assert review["reason"] == "blocked by files"
    assert review["items"][0]["outcome"] == "blocked"


def test_an_advisory_failure_degrades_warns_and_does_not_fail_the_session(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: size, class: structural, blocking: false, checks: [{id: lines, kind: scripted, outcome: fail}]}",
            "{id: review, class: semantic, needs: [size], checks: [{id: look, kind: scripted}]}",
        )
    )
    result = project.run(*dist, "--gates", "-rx")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*manifests/gates.yaml:4: DegradedGateWarning: gate size is DEGRADED: 1 item failed; first: lines: 1 bad thing",
            "decision: GO: every blocking gate passed; degraded: size",
            "XFAIL manifests/gates.yaml::size::lines - degraded: gate size allows failure: 1 bad thing",
        ]
    )
    assert project.verdicts() == {"size": "DEGRADED", "review": "PASS"}
    finding = project.evidence("size")["body"]["items"][0]["findings"][0]
    assert finding == {
        "rule": "demo.bad",
        "severity": "minor",
        "message": "bad thing",
        "fix_hint": "fix it",
        "location": {"path": "src/a.py", "line": 3, "column": 1, "pointer": None},
    }


def test_degrade_strategy_on_a_blocking_gate(project: GatesProject, dist: tuple[str, ...]) -> None:
    project.manifest(
        manifest(
            "{id: perf, class: benchmark, on_failure: degrade, checks: [{id: b, kind: scripted, outcome: fail}]}"
        )
    )
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.OK
    assert project.verdicts() == {"perf": "DEGRADED"}


def test_a_check_that_raises_is_error_and_blocks(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: files, class: structural, blocking: false, checks: [{id: exist, kind: scripted, outcome: raise}]}",
            "{id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted}]}",
        )
    )
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"files": "ERROR", "lint": "BLOCKED"}
    item = project.evidence("files")["body"]["items"][0]
    assert item["outcome"] == "error"
    assert item["message"] == "check crashed: RuntimeError: the tool blew up"


def test_an_unknown_check_kind_is_error_naming_the_known_kinds(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(manifest("{id: odd, class: semantic, checks: [{id: x, kind: telepathy}]}"))
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*unknown check kind 'telepathy' (known kinds: artifacts, benchmark, command, coverage, differential, file_size, files, http, ledger, links, manifest_fresh, obligations, ready, release_report, research, schema, scripted, scripted_once, site_conformity, symbols, sync)*"
        ]
    )
    assert project.verdicts() == {"odd": "ERROR"}


def test_a_timeout_is_error(project: GatesProject, dist: tuple[str, ...]) -> None:
    project.manifest(
        manifest(
            "{id: slow, class: benchmark, timeout: 0.5, checks: [{id: nap, kind: scripted, outcome: sleep, seconds: 5}]}",
            "{id: quick, class: structural, checks: [{id: ok, kind: scripted}]}",
        )
    )
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"slow": "ERROR", "quick": "PASS"}
    item = project.evidence("slow")["body"]["items"][0]
    assert item["message"] == "timeout: over the 0.5s gate slow allows each item"


def test_retry_passes_a_flaky_check_and_flags_it(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: net, class: differential, retry: {attempts: 3, backoff: [0.01]}, "
            "checks: [{id: ping, kind: scripted, outcome: flaky, counter: n.txt, passes_on: 2}]}"
        )
    )
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.OK
    body = project.evidence("net")["body"]
    assert body["verdict"] == "PASS"
    assert body["flaky"] is True
    assert [(a["attempt"], a["outcome"]) for a in body["items"][0]["attempts"]] == [
        (1, "failed"),
        (2, "passed"),
    ]
    timing = project.evidence("net")["timing"]["items"]["manifests/gates.yaml::net::ping"]
    assert len(timing["attempts"]) == 2
    result.stdout.fnmatch_lines(["net *PASS[*]*"])


def test_retry_gives_up_after_the_attempts_and_records_each(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: net, class: differential, retry: {attempts: 3}, "
            "checks: [{id: ping, kind: scripted, outcome: flaky, counter: n.txt, passes_on: 9}]}"
        )
    )
    assert project.run(*dist, "--gates").ret == pytest.ExitCode.TESTS_FAILED
    attempts = project.evidence("net")["body"]["items"][0]["attempts"]
    assert [a["summary"] for a in attempts] == ["attempt 1", "attempt 2", "attempt 3"]
    assert project.verdicts() == {"net": "FAIL"}


def test_a_kind_that_is_not_idempotent_is_not_retried(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: net, class: differential, retry: {attempts: 3}, "
            "checks: [{id: ping, kind: scripted_once, outcome: flaky, counter: n.txt, passes_on: 2}]}"
        )
    )
    assert project.run(*dist, "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert len(project.evidence("net")["body"]["items"][0]["attempts"]) == 1


def test_rollback_runs_once_when_its_gate_fails(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: deploy, class: semantic, on_failure: rollback, "
            'rollback: {run: [python, -c, \'open("rolled", "w").write("yes")\']}, '
            "checks: [{id: smoke, kind: scripted, outcome: fail}]}"
        )
    )
    assert project.run(*dist, "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert (project.root / "rolled").read_text() == "yes"
    rollback = project.evidence("deploy")["body"]["rollback"]
    assert rollback["ok"] is True
    assert rollback["exit_code"] == 0
    assert project.verdicts() == {"deploy": "FAIL"}


def test_a_suite_test_failure_fails_its_gate_and_a_skip_only_suite_is_no_evidence(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: review, class: semantic, suites: [gate_suites/review]}",
            "{id: skipped, class: semantic, suites: [gate_suites/skipped]}",
        )
    )
    project.suite(
        "gate_suites/review",
        {"test_r.py": "def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n"},
    )
    project.suite(
        "gate_suites/skipped",
        {
            "test_s.py": "import pytest\n\n@pytest.mark.skip(reason='no tool')\ndef test_s():\n    pass\n"
        },
    )
    assert project.run(*dist, "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"review": "FAIL", "skipped": "FAIL"}
    assert (
        project.evidence("skipped")["body"]["reason"]
        == "no item passed: 1 skipped, so there is no evidence"
    )
    bad = [i for i in project.evidence("review")["body"]["items"] if i["outcome"] == "failed"]
    assert bad[0]["nodeid"] == "gate_suites/review/test_r.py::test_bad"
    assert bad[0]["message"] == "AssertionError: assert 1 == 2"


def test_a_suite_that_collects_nothing_is_error(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(manifest("{id: review, class: semantic, suites: [gate_suites/review]}"))
    project.suite("gate_suites/review", {"helpers.py": "X = 1\n"})
    assert project.run(*dist, "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"review": "ERROR"}
    assert project.report()["body"]["decision"] == "NO_GO"


def test_a_selection_is_incomplete_and_exits_zero(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(
        manifest(
            "{id: files, class: structural, checks: [{id: exist, kind: scripted}]}",
            "{id: review, class: semantic, needs: [files], checks: [{id: look, kind: scripted}]}",
        )
    )
    result = project.run(*dist, "--gates", "-m", "semantic")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "decision: INCOMPLETE: 1 gate not run completely in this session: files; this is not a release decision"
        ]
    )
    assert project.verdicts() == {"files": "NOT_RUN", "review": "PASS"}
    assert project.report()["body"]["selection"]["markexpr"] == "semantic"


def test_exitfirst_stops_and_the_rest_is_not_run(project: GatesProject) -> None:
    """One process only: under xdist the other worker may finish its item before -x stops it."""
    project.manifest(
        manifest(
            "{id: a, class: structural, checks: [{id: x, kind: scripted, outcome: fail}]}",
            "{id: b, class: structural, checks: [{id: y, kind: scripted}]}",
        )
    )
    assert project.run("-p", "no:xdist", "--gates", "-x").ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"a": "FAIL", "b": "NOT_RUN"}
    assert project.evidence("b")["body"]["items"][0]["message"].startswith(
        "not run: the session stopped early"
    )


def record(outcome: ItemOutcome, gate: str = "g") -> ItemRecord:
    return ItemRecord(nodeid=f"m::{gate}::{outcome}", gate=gate, outcome=outcome)


@pytest.mark.parametrize(
    ("outcomes", "tolerates", "verdict"),
    [
        (["passed", "passed"], False, "PASS"),
        (["passed", "failed"], False, "FAIL"),
        (["passed", "failed"], True, "DEGRADED"),
        (["error", "failed"], True, "ERROR"),
        (["skipped"], False, "FAIL"),
        (["not_run", "not_run"], False, "NOT_RUN"),
        (["passed", "not_run"], False, "PASS"),
    ],
)
def test_fold_gate(outcomes: list[ItemOutcome], tolerates: bool, verdict: Verdict) -> None:
    folded = fold_gate("g", [], tolerates, [record(o) for o in outcomes], {}, ["g"])
    assert folded.verdict == verdict
    assert folded.complete == ("not_run" not in outcomes)


def test_fold_gate_blocks_on_failed_errored_or_blocked_needs_naming_the_roots() -> None:
    verdicts = {
        "a": GateVerdict("a", "FAIL", ""),
        "b": GateVerdict("b", "BLOCKED", "", ("z",)),
        "c": GateVerdict("c", "DEGRADED", ""),
        "z": GateVerdict("z", "ERROR", ""),
    }
    folded = fold_gate(
        "g", ["c", "b", "a"], False, [record("passed")], verdicts, ["z", "a", "b", "c", "g"]
    )
    assert (folded.verdict, folded.blocked_by, folded.reason) == (
        "BLOCKED",
        ("z", "a"),
        "blocked by z, a",
    )
    assert fold_gate("g", ["c"], False, [record("passed")], verdicts, ["c", "g"]).verdict == "PASS"


def test_decide() -> None:
    def v(verdict: Verdict, complete: bool = True) -> GateVerdict:
        return GateVerdict("g" + verdict, verdict, "", complete=complete)

    assert decide({"a": v("PASS")}) == ("GO", "every gate passed")
    assert decide({"a": v("PASS"), "b": v("DEGRADED")})[0] == "GO"
    assert decide({"a": v("PASS", complete=False)})[0] == "INCOMPLETE"
    assert decide({"a": v("NOT_RUN"), "b": v("FAIL")})[0] == "NO_GO"
    assert decide({"a": v("BYPASSED")})[0] == "GO_WITH_BYPASS"


@pytest.mark.parametrize(
    ("blocking", "strategy", "tolerates"),
    [
        (True, "block", False),
        (True, "retry", False),
        (True, "rollback", False),
        (True, "degrade", True),
        (False, "block", True),
        (False, "degrade", True),
    ],
)
def test_an_advisory_gate_or_the_degrade_strategy_tolerates_failure(
    blocking: bool, strategy: str, tolerates: bool
) -> None:
    assert tolerates_failure(blocking, strategy) is tolerates
