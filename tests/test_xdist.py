"""Under xdist: the same verdicts, evidence and report as without it; a lost worker is ERROR."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: a, kind: scripted}, {id: b, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted, outcome: fail}]}
  - {id: review, class: semantic, needs: [lint], suites: [gate_suites/review]}
  - {id: size, class: structural, blocking: false, checks: [{id: lines, kind: scripted, outcome: fail}]}
  - {id: types, class: semantic, checks: [{id: mypy, kind: scripted}]}
  - {id: perf, class: benchmark, suites: [gate_suites/perf]}
"""


@pytest.fixture
def demo(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite(
        "gate_suites/review",
        {"test_review.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"},
    )
    project.suite(
        "gate_suites/perf",
        {
            "test_perf.py": "import pytest\n\n@pytest.mark.parametrize('n', range(4))\ndef test_fast(n):\n    assert n < 3\n"
        },
    )
    return project


def bodies(project: GatesProject, out: str) -> str:
    report = project.report(out)
    evidence = {g["id"]: project.evidence(g["id"], out)["body"] for g in report["body"]["gates"]}
    return json.dumps({"report": report["body"], "evidence": evidence}, sort_keys=True, indent=1)


@pytest.mark.slow
def test_n2_gives_the_same_verdicts_evidence_and_report_as_no_xdist(demo: GatesProject) -> None:
    plain = demo.run("--gates", "-p", "no:xdist", "--gates-out", "plain")
    assert plain.ret == pytest.ExitCode.TESTS_FAILED
    dist = demo.run("--gates", "-n", "2", "--gates-out", "dist")
    assert dist.ret == pytest.ExitCode.TESTS_FAILED
    assert demo.verdicts("plain") == {
        "files": "PASS",
        "lint": "FAIL",
        "review": "BLOCKED",
        "size": "DEGRADED",
        "types": "PASS",
        "perf": "FAIL",
    }
    assert bodies(demo, "plain") == bodies(demo, "dist")
    assert demo.report("dist")["run"]["workers"] == 2


@pytest.mark.slow
def test_a_crashed_worker_is_error_and_no_item_goes_missing(demo: GatesProject) -> None:
    demo.manifest(
        MANIFEST.replace("{id: mypy, kind: scripted}", "{id: mypy, kind: scripted, outcome: exit}")
    )
    result = demo.run("--gates", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    verdicts = demo.verdicts()
    assert verdicts["types"] == "ERROR"
    assert verdicts["files"] == "PASS"
    (item,) = demo.evidence("types")["body"]["items"]
    assert item["outcome"] == "error"
    assert "crashed while running 'manifests/gates.yaml::types::mypy'" in item["message"]
    report = demo.report()
    assert report["body"]["decision"] == "NO_GO"
    counted = sum(sum(g["items"].values()) for g in report["body"]["gates"])
    assert counted == 11  # every collected item is in the report


@pytest.mark.slow
def test_zero_two_and_four_workers_give_the_same_verdicts_and_evidence(demo: GatesProject) -> None:
    demo.run("--gates", "-p", "no:xdist", "--gates-out", "n0")
    demo.run("--gates", "-n", "2", "--gates-out", "n2")
    demo.run("--gates", "-n", "4", "--gates-out", "n4")
    assert bodies(demo, "n0") == bodies(demo, "n2") == bodies(demo, "n4")


CROSS = """\
version: 1
project: demo
gates:
  - {id: base, class: structural, checks: [{id: slow, kind: scripted, outcome: sleep, seconds: 0.3}, {id: bad, kind: scripted, outcome: fail}]}
  - {id: later, class: semantic, needs: [base], suites: [gate_suites/later]}
  - {id: free, class: semantic, suites: [gate_suites/free]}
"""


@pytest.mark.slow
def test_a_need_that_fails_on_one_worker_blocks_its_dependents_on_the_other(
    project: GatesProject,
) -> None:
    project.manifest(CROSS)
    tests = "".join(f"def test_{i}():\n    open('ran-{i}', 'w').close()\n\n" for i in range(6))
    project.suite("gate_suites/later", {"test_later.py": tests})
    project.suite("gate_suites/free", {"test_free.py": "def test_free():\n    pass\n"})
    result = project.run("--gates", "-n", "2", "-rs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {"base": "FAIL", "later": "BLOCKED", "free": "PASS"}
    assert not list(project.root.glob("ran-*"))  # not one dependent test ran
    items = project.evidence("later")["body"]["items"]
    assert {(i["outcome"], i["message"]) for i in items} == {("blocked", "blocked by base")}


@pytest.mark.slow
def test_when_xdist_gives_up_on_crashed_workers_nothing_goes_missing(demo: GatesProject) -> None:
    demo.manifest(
        MANIFEST.replace("{id: a, kind: scripted}", "{id: a, kind: scripted, outcome: exit}")
    )
    result = demo.run("--gates", "-n", "2", "--max-worker-restart=0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = demo.report()
    assert report["body"]["decision"] == "NO_GO"
    assert sum(sum(g["items"].values()) for g in report["body"]["gates"]) == 11
    outcomes = {
        i["outcome"]
        for g in report["body"]["gates"]
        for i in demo.evidence(g["id"])["body"]["items"]
    }
    assert "error" in outcomes
    assert demo.verdicts()["files"] == "ERROR"


@pytest.mark.slow
def test_waiting_for_a_need_on_another_worker_does_not_count_against_the_timeout(
    project: GatesProject,
) -> None:
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: slow, class: structural, checks: [{id: nap, kind: scripted, outcome: sleep, seconds: 2}]}\n"
        "  - {id: quick, class: semantic, needs: [slow], timeout: 1, suites: [gate_suites/quick]}\n"
    )
    project.suite(
        "gate_suites/quick",
        {"test_quick.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"},
    )
    result = project.run("--gates", "-n", "2")
    assert result.ret == pytest.ExitCode.OK
    assert project.verdicts() == {"slow": "PASS", "quick": "PASS"}
