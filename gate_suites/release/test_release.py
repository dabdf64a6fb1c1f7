"""The release gate: what a published pytest-gates promises its users, checked before release."""

from __future__ import annotations

import re
import sys
from importlib.metadata import entry_points, metadata
from pathlib import Path

import pytest_gates

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_installed_version_is_the_projects() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert pytest_gates.__version__ == project["version"] == metadata("pytest-gates")["Version"]


def test_the_pytest_plugin_entry_point_is_registered() -> None:
    (gates,) = [ep for ep in entry_points(group="pytest11") if ep.name == "gates"]
    assert gates.value == "pytest_gates.plugin"
    assert gates.load().pytest_addoption is not None


def test_the_console_script_is_registered() -> None:
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "pytest-gates"]
    assert script.value == "pytest_gates.cli.main:main"


def test_every_dependency_has_a_lower_bound() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    unbounded = [r for r in requirements if ">=" not in r]
    assert unbounded == []


def test_the_public_api_is_importable_and_documented() -> None:
    for name in pytest_gates.__all__:
        value = getattr(pytest_gates, name)
        if callable(value):
            assert value.__doc__, f"{name} has no docstring"


def test_the_readme_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(python -m pip install .+)$", section, re.MULTILINE)
    assert len(commands) == 2, commands
    assert "pytest --gates" in commands[0]
    test_command = commands[1].split("&&", 1)[1].split("#", 1)[0].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
    assert "python3 -m venv" in ci
    assert "pip install" in ci


def test_the_own_manifest_covers_every_gate_class_the_project_uses() -> None:
    loaded = pytest_gates.load_manifest(ROOT / "manifests" / "gates.yaml", root_dir=ROOT)
    classes = {gate.class_ for gate in loaded.manifest.gates}
    assert {"structural", "semantic"} <= classes
    assert any(gate.suites for gate in loaded.manifest.gates)
