"""A covered gate's suites: items of the gate session, measured in each process, combined on the
controller and by merge, judged once; failing suite tests recorded with file, line and message."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_gates.cli.main import main as cli
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.coverdata import FileLines, combine, coverage_record, files_of
from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: covered
gates:
  - id: qa.tests
    class: semantic
    suites: [tests]
    coverage: {source: [src], min: MIN}
"""

LIB = """\
def one():
    return 1


def two():
    return 2


def three():
    return 3


def never():
    return 4
"""

NODE = "manifests/gates.yaml::qa.tests::[coverage]"


@pytest.fixture
def covered(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST.replace("MIN", "0.8"))
    project.suite("src", {"lib.py": LIB})
    # The conftest imports the code before any test runs: its def lines count all the same.
    project.suite("tests", {"conftest.py": "import sys\nsys.path.insert(0, 'src')\nimport lib\n"})
    for name in ("one", "two", "three"):
        project.suite(
            "tests",
            {f"test_{name}.py": f"import lib\n\n\ndef test_{name}():\n    assert lib.{name}()\n"},
        )
    (project.root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n', encoding="utf-8"
    )
    return project


def _record(project: GatesProject, out: str = ".gates") -> dict[str, Any]:
    items = project.evidence("qa.tests", out)["body"]["items"]
    (record,) = [item for item in items if item["nodeid"] == NODE]
    return record


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_one_process_and_two_workers_measure_the_same_total(covered: GatesProject) -> None:
    one = covered.run_subprocess("--gates", "-p", "no:xdist", "--gates-out", "one")
    assert one.ret == 0, one.stdout.str()
    record = _record(covered, "one")
    # 8 statements: 4 def lines (the conftest's import) and 3 of the 4 bodies.
    assert record["outcome"] == "passed"
    assert record["message"] == "total 87.5% >= minimum 80.0%"
    assert record["details"]["files"] == {
        "src/lib.py": {"executed": [1, 2, 5, 6, 9, 10, 13], "missing": [14]}
    }
    assert covered.verdicts("one") == {"qa.tests": "PASS"}
    two = covered.run_subprocess("--gates", "-n", "2", "--gates-out", "two")
    assert two.ret == 0, two.stdout.str()
    assert _record(covered, "two")["details"] == record["details"]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_below_min_fails_the_gate_once(covered: GatesProject) -> None:
    covered.manifest(MANIFEST.replace("MIN", "0.9"))
    result = covered.run_subprocess("--gates", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    record = _record(covered)
    assert record["outcome"] == "failed"
    assert [(f["rule"], f["message"], f["fix_hint"]) for f in record["findings"]] == [
        (
            "coverage.below_min",
            "total coverage 87.5% is below the minimum 90.0%",
            "add tests for the least covered files: src/lib.py (87.5%)",
        )
    ]
    assert covered.verdicts() == {"qa.tests": "FAIL"}


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_shards_are_partial_and_merge_judges_the_combination(
    covered: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in (1, 2):
        result = covered.run_subprocess(
            "--gates", "-p", "no:xdist", f"--gates-shard={index}/2", "--gates-out", f"s{index}"
        )
        assert result.ret == 0, result.stdout.str()
        shard = _record(covered, f"s{index}")
        assert shard["outcome"] == "not_run"
        assert shard["message"].endswith(f"(shard {index}/2): judged by merge")
    monkeypatch.chdir(covered.root)
    assert cli(["merge", "s1", "s2", "--out", "merged"]) == 0
    merged = _record(covered, "merged")
    assert merged["outcome"] == "passed"
    assert merged["message"] == "total 87.5% >= minimum 80.0%"
    assert covered.verdicts("merged") == {"qa.tests": "PASS"}
    assert cli(["verify", "merged"]) == 0


def test_combine_unites_the_executed_lines_with_coverage_data() -> None:
    a = {"src/m.py": FileLines(frozenset({1, 2}), frozenset({3, 4}))}
    b = {"src/m.py": FileLines(frozenset({1, 3}), frozenset({2, 4}))}
    assert combine([a, b]) == {"src/m.py": FileLines(frozenset({1, 2, 3}), frozenset({4}))}
    record = coverage_record("m::g::[coverage]", "g", combine([a, b]), 0.75)
    assert (record.outcome, record.message) == ("passed", "total 75.0% >= minimum 75.0%")
    assert files_of(ItemRecord.model_validate(record.model_dump())) == combine([a, b])


def test_no_data_is_an_error() -> None:
    record = coverage_record("m::g::[coverage]", "g", {}, 0.5)
    assert (record.outcome, record.message) == (
        "error",
        "coverage collected no data (check the gate's coverage source)",
    )


def test_coverage_needs_suites(project: GatesProject) -> None:
    project.manifest(
        """\
        version: 1
        project: covered
        gates:
          - id: qa.tests
            class: semantic
            checks: [{id: ok, kind: scripted}]
            coverage: {source: [src], min: 0.5}
        """
    )
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*coverage measures a gate's suites: give the gate suites*"])


def test_a_failing_suite_test_is_recorded_with_file_line_and_message(
    project: GatesProject,
) -> None:
    project.manifest(
        """\
        version: 1
        project: failing
        gates:
          - id: qa.tests
            class: semantic
            suites: [tests]
        """
    )
    project.suite(
        "tests",
        {
            "test_bad.py": """
            def test_bad():
                x = 3
                assert x == 4, "x should be four " + "because " * 3
            """
        },
    )
    project.run("--gates")
    (item,) = project.evidence("qa.tests")["body"]["items"]
    (finding,) = item["findings"]
    assert (finding["rule"], finding["location"]["path"], finding["location"]["line"]) == (
        "suites.test_failed",
        "tests/test_bad.py",
        3,
    )
    assert finding["message"] == (
        "tests/test_bad.py::test_bad failed: AssertionError: x should be four "
        "because because because \nassert 3 == 4"
    )
