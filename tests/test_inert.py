"""Without --gates the plugin is inert: a plain run collects what it collects without the plugin,
also when a gate's suites are ordinary test files of the project (issue 13)."""

from __future__ import annotations

import pytest

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: inert
gates:
  - id: qa.files
    class: structural
    checks:
      - {id: ok, kind: scripted}
  - id: review.suite
    class: semantic
    suites: [tests/test_review.py, tests/deep]
"""

COVERAGE_MANIFEST = """\
version: 1
project: inert
gates:
  - id: qa.tests
    class: semantic
    checks:
      - {id: cover, kind: coverage, run: [tests, -q, -p, no:cacheprovider], min: 0.5,
         source: [src]}
  - id: review.suite
    class: semantic
    suites: [tests/test_review.py]
"""


@pytest.fixture
def inert(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite(
        "tests",
        {
            "test_plain.py": "def test_plain():\n    assert True\n",
            "test_review.py": "def test_reviewed():\n    assert True\n",
        },
    )
    project.suite("tests/deep", {"test_deep.py": "def test_deep():\n    assert True\n"})
    return project


def _collected(result: pytest.RunResult) -> list[str]:
    return sorted(line for line in result.stdout.lines if "::" in line)


def test_plain_pytest_collects_the_suites_like_any_test_file(inert: GatesProject) -> None:
    result = inert.run("-q")
    result.assert_outcomes(passed=3)
    assert not (inert.root / ".gates").exists()


def test_plain_pytest_collects_the_same_items_with_and_without_the_plugin(
    inert: GatesProject,
) -> None:
    with_plugin = inert.run("--collect-only", "-q")
    without = inert.run("--collect-only", "-q", "-p", "no:gates")
    assert (
        _collected(with_plugin)
        == _collected(without)
        == [
            "tests/deep/test_deep.py::test_deep",
            "tests/test_plain.py::test_plain",
            "tests/test_review.py::test_reviewed",
        ]
    )


def test_under_gates_only_the_suites_run(inert: GatesProject) -> None:
    result = inert.run("--gates", "--collect-only", "-q")
    assert _collected(result) == [
        "manifests/gates.yaml::qa.files::ok",
        "tests/deep/test_deep.py::test_deep",
        "tests/test_review.py::test_reviewed",
    ]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_coverage_kind_runs_the_suite_files_too(project: GatesProject) -> None:
    project.manifest(COVERAGE_MANIFEST)
    project.suite("src", {"lib.py": "def one():\n    return 1\n\n\ndef two():\n    return 2\n"})
    project.suite(
        "tests",
        {
            "conftest.py": "import sys\nsys.path.insert(0, 'src')\n",
            "test_one.py": "from lib import one\n\n\ndef test_one():\n    assert one() == 1\n",
            "test_review.py": "from lib import two\n\n\ndef test_two():\n    assert two() == 3\n",
        },
    )
    project.run_subprocess("--gates")
    record = project.evidence("qa.tests")["body"]["items"][0]
    # The suite's failing test runs in the coverage kind's pytest too: the gate sees it.
    assert record["outcome"] == "failed"
    assert record["message"] == "1 test failed; total 100.0%"
