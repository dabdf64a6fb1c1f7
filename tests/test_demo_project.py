"""The README's sample project (fixtures/demo) with the real built-in kinds: it passes, and each
way of breaking it is caught by the gate that owns it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject

FIXTURE = Path(__file__).parent.parent / "fixtures" / "demo"
ALL_PASS = {
    "author.files": "PASS",
    "qa.lint": "PASS",
    "qa.tests": "PASS",
    "qa.size": "PASS",
    "review.suite": "PASS",
}


@pytest.fixture
def demo(project: GatesProject) -> GatesProject:
    shutil.copytree(
        FIXTURE,
        project.root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".gates"),
    )
    (project.root / "conftest.py").unlink()  # the scripted kind is not needed here
    return project


def finding(project: GatesProject, gate: str) -> dict[str, Any]:
    items = project.evidence(gate)["body"]["items"]
    found: dict[str, Any] = next(f for item in items for f in item["findings"])
    return found


@pytest.mark.slow
def test_the_sample_project_is_go(demo: GatesProject) -> None:
    result = demo.run("--gates")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["decision: GO: every gate passed"])
    assert demo.verdicts() == ALL_PASS
    assert verify_outputs(demo.root / ".gates") == []
    coverage = demo.evidence("qa.tests")["body"]["items"][0]["details"]
    assert coverage["total"] >= 0.8


@pytest.mark.slow
def test_a_lint_error_fails_qa_lint_and_blocks_the_review(demo: GatesProject) -> None:
    source = demo.root / "src" / "demo" / "__init__.py"
    docstring, rest = source.read_text().split("\n", 1)
    source.write_text(f"{docstring}\nimport os\n{rest}")
    assert demo.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert demo.verdicts() == {**ALL_PASS, "qa.lint": "FAIL", "review.suite": "BLOCKED"}
    assert finding(demo, "qa.lint") == {
        "rule": "F401",
        "severity": "major",
        "message": "`os` imported but unused",
        "location": {"path": "src/demo/__init__.py", "line": 2, "column": 8, "pointer": None},
        "fix_hint": "see https://docs.astral.sh/ruff/rules/unused-import",
    }


@pytest.mark.slow
def test_a_syntax_error_fails_author_files_and_blocks_everything_after_it(
    demo: GatesProject,
) -> None:
    (demo.root / "src" / "demo" / "broken.py").write_text("def f(:\n    pass\n")
    assert demo.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert demo.verdicts() == {
        "author.files": "FAIL",
        "qa.lint": "BLOCKED",
        "qa.tests": "BLOCKED",
        "qa.size": "PASS",
        "review.suite": "BLOCKED",
    }
    found = finding(demo, "author.files")
    assert (found["rule"], found["location"]["path"], found["location"]["line"]) == (
        "files.parse",
        "src/demo/broken.py",
        1,
    )


@pytest.mark.slow
def test_untested_code_fails_the_coverage_gate(demo: GatesProject) -> None:
    body = "\n".join(
        f"def untested_{i}(x):\n    if x:\n        return {i}\n    return -{i}\n" for i in range(12)
    )
    (demo.root / "src" / "demo" / "extra.py").write_text(body)
    assert demo.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert demo.verdicts() == {**ALL_PASS, "qa.tests": "FAIL", "review.suite": "BLOCKED"}
    assert finding(demo, "qa.tests")["rule"] == "coverage.below_min"


@pytest.mark.slow
def test_an_oversized_module_degrades_the_advisory_size_gate(demo: GatesProject) -> None:
    (demo.root / "src" / "demo" / "big.py").write_text("# filler\n" * 600)
    result = demo.run("--gates")
    assert result.ret == pytest.ExitCode.OK
    assert demo.verdicts() == {**ALL_PASS, "qa.size": "DEGRADED"}
    assert finding(demo, "qa.size")["message"] == "600 lines, over the limit of 500"
    assert demo.report()["body"]["decision"] == "GO"


@pytest.mark.slow
def test_a_failing_review_test_fails_the_review_gate(demo: GatesProject) -> None:
    (demo.root / "gate_suites" / "review" / "test_more.py").write_text(
        "import demo\n\ndef test_slug_of_empty():\n    assert demo.slugify('') == 'untitled'\n"
    )
    assert demo.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert demo.verdicts() == {**ALL_PASS, "review.suite": "FAIL"}


@pytest.mark.slow
def test_gates_in_addopts_does_not_recurse_through_the_coverage_gate(demo: GatesProject) -> None:
    pyproject = demo.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'testpaths = ["tests"]', 'testpaths = ["tests"]\naddopts = ["--gates"]'
        )
    )
    result = demo.run_subprocess()
    assert result.ret == pytest.ExitCode.OK
    assert demo.verdicts() == ALL_PASS


FAILING = Path(__file__).parent.parent / "fixtures" / "failing"


@pytest.mark.slow
def test_the_failing_sample_fails_every_way_and_each_is_named(project: GatesProject) -> None:
    shutil.copytree(
        FAILING,
        project.root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".gates"),
    )
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert project.verdicts() == {
        "author.files": "FAIL",
        "qa.lint": "BLOCKED",
        "data.schema": "FAIL",
        "qa.size": "DEGRADED",
        "tool.missing": "ERROR",
        "perf.budget": "ERROR",
        "plugin.kind": "ERROR",
        "review.suite": "FAIL",
    }
    assert project.report()["body"]["decision"] == "NO_GO"
    syntax = finding(project, "author.files")
    assert (syntax["rule"], syntax["location"]["path"], syntax["location"]["line"]) == (
        "files.parse",
        "src/app/broken.py",
        1,
    )
    schema = finding(project, "data.schema")
    assert (schema["rule"], schema["location"]["pointer"], schema["location"]["line"]) == (
        "schema.minimum",
        "/retries",
        3,
    )
    messages = {
        g: project.evidence(g)["body"]["items"][0]["message"]
        for g in ("tool.missing", "perf.budget", "plugin.kind")
    }
    assert messages["tool.missing"].startswith(
        "check could not run: command not found: 'no-such-tool-for-pytest-gates'"
    )
    assert messages["perf.budget"] == "timeout: over the 1.0s gate perf.budget allows each item"
    assert messages["plugin.kind"].startswith(
        "check could not run: unknown check kind 'not_installed_anywhere'"
    )
    assert project.evidence("qa.lint")["body"]["reason"] == "blocked by author.files"
