"""sync projects into the project as it is: its tox file (tox.ini, tox.toml, [tool.tox]), its
extras and dependency groups, its Python range; and it warns when a job could not work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pytest_gates.projection.project import ProjectFacts, install_plan, read_project
from tests.sync_data import WORKFLOW, SyncProject

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BIN = Path(sys.executable).parent

PYPROJECT = """\
[project]
name = "clicky"
version = "1"
requires-python = ">=3.10"
classifiers = [
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
]

[dependency-groups]
dev = [{include-group = "tests"}, "ruff"]
tests = ["pytest>=8"]
"""

TOOL_TOX = """
# the project's tox configuration
[tool.tox]
env_list = ["py3.12", "style"]

[tool.tox.env.style]
skip_install = true
commands = [["ruff", "check", "."]]
"""


def _project(tmp_path: Path, pyproject: str, projection: str = "") -> SyncProject:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return SyncProject(tmp_path, projection, tox=None)


def test_the_facts_of_a_project() -> None:
    facts = ProjectFacts(
        name="clicky",
        requires_python=">=3.10",
        groups={"dev": frozenset({"pytest", "ruff"})},
        classified=frozenset({"3.10", "3.11", "3.12"}),
    )
    assert facts.pythons() == ("3.10", "3.11", "3.12")
    assert ProjectFacts(name="x", requires_python=">=3.11,<3.13").pythons() == ("3.11", "3.12")
    assert ProjectFacts(name="x", requires_python="~=3.12.1").pythons() == ("3.12",)
    assert ProjectFacts(name="x").pythons() == ()
    assert (
        install_plan(facts).pip_command() == "python -m pip install --group dev -e . pytest-gates"
    )
    with_extra = ProjectFacts(name="app", extras={"gates": frozenset({"pytest-gates"})})
    assert install_plan(with_extra).pip_command() == "python -m pip install -e '.[gates]'"


def test_read_project_resolves_included_groups_and_finds_tox(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + TOOL_TOX, encoding="utf-8")
    facts = read_project(tmp_path)
    assert facts.groups == {"dev": frozenset({"pytest", "ruff"}), "tests": frozenset({"pytest"})}
    assert facts.tox_config == "pyproject.toml"
    (tmp_path / "tox.toml").write_text('env_list = ["py"]\n', encoding="utf-8")
    assert read_project(tmp_path).tox_config == "tox.toml"
    (tmp_path / "tox.ini").write_text("[tox]\n", encoding="utf-8")
    assert read_project(tmp_path).tox_config == "tox.ini"


def test_tox_in_pyproject_gets_the_environments_there(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT + TOOL_TOX)
    plan = project.sync()
    assert [f.display for f in plan.files] == [WORKFLOW, "pyproject.toml"]
    assert not (tmp_path / "tox.ini").exists()
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT + TOOL_TOX)  # the project's part, byte for byte
    envs = tomllib.loads(text)["tool"]["tox"]["env"]
    assert list(envs) == [
        "style",
        "gates",
        "gates-structural",
        "gates-semantic",
        "gates-py310",
        "gates-py311",
        "gates-py312",
    ]
    assert envs["gates"] == {
        "description": "every gate in manifests/gates.yaml (pytest --gates), then verify the outputs",
        "labels": ["gates"],
        "dependency_groups": ["dev"],
        "deps": ["pytest-gates"],
        "commands": [
            ["pytest", "--gates", {"replace": "posargs", "extend": True}],
            ["pytest-gates", "verify", ".gates"],
        ],
    }
    assert envs["gates-py311"]["base_python"] == ["python3.11"]
    assert envs["gates-py311"]["labels"] == ["gates-python"]
    assert project.plan().drifts == []


def test_a_hand_edit_in_the_toml_region_is_drift(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT + TOOL_TOX)
    project.sync()
    path = tmp_path / "pyproject.toml"
    path.write_text(
        path.read_text().replace('"-m", "semantic", ', '"-m", "semantic or structural", '),
        encoding="utf-8",
    )
    drifts = [(d.rule, d.message) for d in project.plan().drifts]
    assert drifts == [
        (
            "sync.command-edited",
            "tox environment 'gates-semantic': the gate command was edited: expected "
            '`[["pytest", "--gates", "-m", "semantic", "--gates-out", "{env_tmp_dir}{/}.gates", '
            '{ replace = "posargs", extend = true }]]`, found `[["pytest", "--gates", "-m", '
            '"semantic or structural", "--gates-out", "{env_tmp_dir}{/}.gates", '
            '{ replace = "posargs", extend = true }]]`',
        )
    ]


def test_a_tox_toml_project_and_a_hand_written_gates_table_taken_over(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT)
    (tmp_path / "tox.toml").write_text(
        'env_list = ["py"]\n\n[env.gates]\ncommands = [["pytest", "--gates"]]\n\n'
        '[env.lint]\ncommands = [["ruff", "check"]]\n',
        encoding="utf-8",
    )
    assert [d.rule for d in project.plan().drifts if d.path == "tox.toml"] == [
        "sync.tox-hand-env",
        "sync.tox-region",
    ]
    project.sync()
    data = tomllib.loads((tmp_path / "tox.toml").read_text())
    assert list(data["env"])[:2] == ["gates", "gates-structural"]
    assert data["env"]["lint"] == {"commands": [["ruff", "check"]]}
    assert project.plan().drifts == []


def test_an_inline_env_table_cannot_take_the_region(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT + "\n[tool.tox]\nenv = {style = {commands = []}}\n")
    (problem,) = [f.problem for f in project.plan().files if f.display == "pyproject.toml"]
    assert problem is not None
    assert problem.startswith("writing the gate environments would make the file invalid TOML (")


def test_the_install_step_installs_pytest_gates_and_the_group(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT)
    project.sync()
    gates = project.workflow()["jobs"]["gates"]
    install = [s["run"] for s in gates["steps"] if s["name"] == "install"]
    assert install == ["python -m pip install --group dev -e . pytest-gates"]


def test_sync_warns_when_the_job_cannot_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(
        tmp_path,
        PYPROJECT,
        "install: python -m pip install -e '.[dev]'\ntox: {extras: [dev]}\n",
    )
    project.sync()
    assert capsys.readouterr().err.splitlines() == [
        "warning: projection.tox.extras names 'dev', which pyproject.toml does not define (its "
        "extras: none): the tox gate environments would not install",
        "warning: the install step `python -m pip install -e '.[dev]'` names the extra 'dev', "
        "which pyproject.toml does not define: pip installs the project without it",
        "warning: the install step `python -m pip install -e '.[dev]'` does not install "
        "pytest-gates: the gates job would fail with 'unrecognized arguments: --gates'; add "
        "pytest-gates to the command (projection.install) or to the extra or group it installs",
    ]


def test_the_gates_job_tests_the_declared_python_range(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT)
    project.sync()
    gates = project.workflow()["jobs"]["gates"]
    assert gates["name"] == "gates (Python ${{ matrix.python }})"
    assert gates["strategy"] == {"fail-fast": False, "matrix": {"python": ["3.10", "3.11", "3.12"]}}
    steps = {s["name"]: s for s in gates["steps"]}
    assert steps["set up python"]["with"] == {"python-version": "${{ matrix.python }}"}
    # The decision is the policy's Python's leg: only it uploads the outputs.
    assert steps["upload the gate outputs"]["if"] == "always() && matrix.python == '3.11'"


def test_with_shards_the_matrix_has_both(tmp_path: Path) -> None:
    project = _project(tmp_path, PYPROJECT, "shards: 2\n")
    project.sync()
    gates = project.workflow()["jobs"]["gates"]
    assert gates["name"] == "gates (shard ${{ matrix.shard }}/2, Python ${{ matrix.python }})"
    assert gates["strategy"]["matrix"] == {"shard": [1, 2], "python": ["3.10", "3.11", "3.12"]}


def test_the_generated_workflows_pass_githubs_workflow_schema(tmp_path: Path) -> None:
    files = []
    for name, pyproject, projection in [
        ("range", PYPROJECT, ""),
        ("range-shards", PYPROJECT, "shards: 3\n"),
        ("tox-toml", PYPROJECT + TOOL_TOX, "python: '3.12'\n"),
    ]:
        root = tmp_path / name
        root.mkdir()
        _project(root, pyproject, projection).sync()
        files.append(str(root / WORKFLOW))
        assert yaml.safe_load((root / WORKFLOW).read_text())
    run = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


@pytest.mark.parametrize(
    ("projection", "message"),
    [("python: '3.9'\n", "3.9"), ("", "3.11")],
)
def test_the_decision_python_is_always_in_the_matrix(
    tmp_path: Path, projection: str, message: str
) -> None:
    project = _project(tmp_path, textwrap.dedent(PYPROJECT), projection)
    project.sync()
    gates = project.workflow()["jobs"]["gates"]
    if message == "3.9":  # outside the declared range: the policy's version alone
        assert "strategy" not in gates
    else:
        assert message in gates["strategy"]["matrix"]["python"]
