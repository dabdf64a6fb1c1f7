from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.coverage import clean_environ, coverage
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location

CALC = """\
def add(a, b):
    return a + b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b
"""

TEST_CALC = """\
from app.calc import add, div


def test_add():
    assert add(1, 2) == 3


def test_div():
    assert div(4, 2) == 2
"""

TEST_BAD = """\
from app.calc import add


def test_wrong():
    assert add(1, 2) == 4
"""


@pytest.fixture
def project(check_ctx: CheckContext, write) -> CheckContext:
    """app/calc.py (6 statements, 5 run by the tests), app/unused.py (2, never imported), tests/.

    Installed plugins are left out, for speed.
    """
    write("app/__init__.py", "")
    write("app/calc.py", CALC)
    write("app/unused.py", "def never():\n    return 1\n")
    write("tests/test_calc.py", TEST_CALC)
    write("pyproject.toml", "[tool.pytest.ini_options]\n")
    environ = {**check_ctx.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return dataclasses.replace(check_ctx, environ=environ)


def _run(ctx: CheckContext, **raw):
    return coverage.run(coverage.parse(raw), ctx)


def test_coverage_above_the_minimum_passes(project) -> None:
    result = _run(project, run=["tests"], min=0.5, source=["app"])
    assert result.passed, result.output
    # calc.py 5 of 6 statements, unused.py (never imported) 0 of 2: 5 of 8.
    assert result.summary == "total 62.5% >= minimum 50.0%"
    assert result.findings == []
    assert result.details == {
        "pytest_exit_code": 0,
        "min": 0.5,
        "total": 0.625,
        "worst": [
            {"path": "app/unused.py", "percent": 0.0, "missing_lines": "1-2"},
            {"path": "app/calc.py", "percent": 83.33, "missing_lines": "7"},
        ],
    }
    assert "2 passed" in result.output
    assert str(project.tmp_path) not in result.model_dump_json(exclude={"output"})
    # The output enters the evidence body: its wall-clock time is replaced, so two runs agree.
    assert result.output.splitlines()[-1] == "=== 2 passed in <duration> ==="
    assert str(project.tmp_path) not in result.output


def test_coverage_below_the_minimum_fails(project) -> None:
    result = _run(project, run=["tests"], min=0.85, source=["app"], worst=1)
    assert not result.passed
    assert result.summary == "total 62.5% < minimum 85.0%"
    assert result.findings == [
        Finding(
            rule="coverage.below_min",
            message="total coverage 62.5% is below the minimum 85.0%",
            fix_hint="add tests for the least covered files: app/unused.py (0.0%)",
        )
    ]
    assert result.details["worst"] == [
        {"path": "app/unused.py", "percent": 0.0, "missing_lines": "1-2"}
    ]


def test_failing_tests_fail_the_check(project, write) -> None:
    write("tests/test_bad.py", TEST_BAD)
    result = _run(project, run=["tests"], min=0.1, source=["app"])
    assert not result.passed
    assert result.summary == "1 test failed; total 62.5%"
    assert result.findings == [
        Finding(
            rule="coverage.tests_failed",
            location=Location(path="tests/test_bad.py", line=5),
            message="tests/test_bad.py::test_wrong failed: assert 3 == 4\n +  where 3 = add(1, 2)",
        )
    ]
    assert result.details["pytest_exit_code"] == 1


def test_no_tests_collected(project) -> None:
    result = _run(project, run=["tests", "-m", "no_such_marker"], min=0.5, source=["app"])
    assert not result.passed
    assert result.summary == "no tests collected (pytest exit code 5)"
    assert [(f.rule, f.message) for f in result.findings] == [
        ("coverage.no_tests", "pytest collected no tests from: tests -m no_such_marker")
    ]


def test_a_pytest_usage_error_raises(project) -> None:
    with pytest.raises(CheckError) as info:
        _run(project, run=["--no-such-option"], min=0.5)
    assert str(info.value) == (
        "pytest under coverage exited with code 4 (usage error):"
        " python -m pytest: error: unrecognized arguments: --no-such-option"
    )


def test_an_interrupted_run_raises(project, write) -> None:
    write("tests/test_broken.py", "import no_such_module_here\n")
    with pytest.raises(CheckError) as info:
        _run(project, run=["tests"], min=0.5)
    assert str(info.value) == (
        "pytest under coverage exited with code 2 (interrupted):"
        " ModuleNotFoundError: No module named 'no_such_module_here'"
    )


def test_no_data_raises(project) -> None:
    with pytest.raises(CheckError) as info:
        _run(project, run=["tests"], min=0.5, source=["nothing_here"])
    assert str(info.value) == (
        "coverage collected no data (check source and the coverage configuration):"
        " Module nothing_here was never imported.; No data was collected."
    )


def test_the_outer_environment_does_not_leak_in(project) -> None:
    leaky = {
        **project.environ,
        "PYTEST_ADDOPTS": "--no-such-option",
        "PYTEST_XDIST_WORKER": "gw3",
        "COVERAGE_PROCESS_START": "/nonexistent/.coveragerc",
    }
    result = _run(
        dataclasses.replace(project, environ=leaky), run=["tests"], min=0.5, source=["app"]
    )
    assert result.passed, result.output


def test_clean_environ() -> None:
    environ = {
        "PATH": "/bin",
        "PYTEST_ADDOPTS": "-x",
        "PYTEST_XDIST_WORKER": "gw0",
        "PYTEST_XDIST_TESTRUNUID": "abc",
        "PYTEST_CURRENT_TEST": "t",
        "COVERAGE_PROCESS_START": "x",
        "COVERAGE_PROCESS_CONFIG": "y",
        "COV_CORE_SOURCE": "z",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    assert clean_environ(environ) == {
        "PATH": "/bin",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_GATES_NESTED": "1",
    }


def test_the_projects_parallel_configuration_is_combined(project, write) -> None:
    # The project measures subprocesses too: their data files must be combined.
    write(
        "pyproject.toml",
        """\
        [tool.pytest.ini_options]
        [tool.coverage.run]
        source = ["app"]
        parallel = true
        patch = ["subprocess"]
        """,
    )
    write(
        "tests/test_sub.py",
        """\
        import subprocess
        import sys


        def test_never_in_a_subprocess():
            code = "from app.unused import never; never()"
            subprocess.run([sys.executable, "-c", code], check=True)
        """,
    )
    result = _run(project, run=["tests"], min=0.85)
    assert result.passed, result.output
    assert result.summary == "total 87.5% >= minimum 85.0%"
    assert result.details["worst"] == [
        {"path": "app/calc.py", "percent": 83.33, "missing_lines": "7"}
    ]
    assert not [p.name for p in project.tmp_path.iterdir() if p.name.startswith(".coverage.")]


def test_a_coverage_config_file(project, write) -> None:
    write("conf/cov.ini", "[run]\nsource = app\n[report]\nomit = app/unused.py\n")
    result = _run(project, run=["tests"], min=0.8, config="conf/cov.ini")
    assert result.passed, result.output
    assert result.summary == "total 83.3% >= minimum 80.0%"
    assert [w["path"] for w in result.details["worst"]] == ["app/calc.py"]


def test_a_missing_config_file_raises(project) -> None:
    with pytest.raises(CheckError, match=r"^coverage configuration file not found: 'cov.ini'$"):
        _run(project, run=["tests"], min=0.5, config="cov.ini")


@pytest.mark.parametrize("value", [0, -0.1, 1.01, 85])
def test_min_is_a_fraction(value) -> None:
    with pytest.raises(ValidationError) as info:
        coverage.parse({"min": value})
    assert info.value.errors()[0]["loc"] == ("min",)


def test_min_of_one_is_allowed() -> None:
    assert coverage.parse({"min": 1}).min == 1.0
    with pytest.raises(ValidationError, match="Field required"):
        coverage.parse({})


def test_environ_is_the_sessions_with_the_python_scripts_folder_on_path(tmp_path) -> None:
    ctx = CheckContext(rootdir=tmp_path, gate_id="g", check_id="c", tmp_path=tmp_path)
    scripts = str(Path(sys.executable).parent)
    assert scripts in ctx.environ["PATH"].split(os.pathsep)
    assert ctx.environ["HOME"] == os.environ["HOME"]


def test_xdist_workers_are_measured_with_the_projects_subprocess_patch(project, write) -> None:
    write(
        "pyproject.toml",
        '[tool.coverage.run]\nsource = ["app"]\nparallel = true\npatch = ["subprocess"]\n',
    )
    result = _run(project, run=["-p", "xdist", "-n", "2", "tests"], min=0.5)
    assert result.passed, result.output
    assert result.summary == "total 62.5% >= minimum 50.0%"


def test_a_broken_coverage_configuration_raises(project, write) -> None:
    write("conf/cov.ini", "[run]\nbranch = maybe\n")
    with pytest.raises(CheckError) as info:
        _run(project, run=["tests"], min=0.5, config="conf/cov.ini")
    assert str(info.value).startswith("coverage could not read its configuration or data: ")


def test_failures_without_a_short_summary(project, write) -> None:
    # The failures come from the plugin the subprocess loads, not from pytest's summary lines.
    write("tests/test_bad.py", TEST_BAD)
    result = _run(project, run=["-rN", "tests"], min=0.1, source=["app"])
    assert not result.passed
    assert result.summary == "1 test failed; total 62.5%"
    assert [(f.rule, f.location.line) for f in result.findings] == [("coverage.tests_failed", 5)]


def test_failures_under_xdist_are_recorded_once(project, write) -> None:
    write("tests/test_bad.py", TEST_BAD)
    result = _run(project, run=["-p", "xdist", "-n", "2", "tests"], min=0.1)
    assert result.summary.startswith("1 test failed; ")
    assert [f.location.path for f in result.findings] == ["tests/test_bad.py"]


def test_a_long_failure_message_is_cut_at_a_word_saying_so(project, write) -> None:
    words = " ".join(f"word{i}" for i in range(1000))
    write("tests/test_long.py", f"def test_long():\n    assert False, {words!r}\n")
    result = _run(project, run=["tests/test_long.py"], min=0.1, source=["app"])
    (finding,) = result.findings
    assert finding.location == Location(path="tests/test_long.py", line=2)
    head, _, tail = finding.message.partition(" [... ")
    assert head.startswith("tests/test_long.py::test_long failed: AssertionError: word0 word1 ")
    last = head.split()[-1]
    assert last.startswith("word")
    assert last[4:].isdigit()
    assert tail.endswith(" more characters cut]")


def test_the_timeout_is_a_backstop(project, write) -> None:
    write("tests/test_slow.py", "import time\n\ndef test_slow():\n    time.sleep(30)\n")
    ctx = dataclasses.replace(project, timeout=1.5)
    with pytest.raises(CheckError, match=r"^the test run under coverage timed out after 1.5 s$"):
        _run(ctx, run=["tests"], min=0.5)
