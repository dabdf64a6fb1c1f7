"""The repository's .pre-commit-hooks.yaml: valid for pre-commit, and each hook's entry is a real
pytest-gates command line."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from pytest_gates.cli.main import build_parser

HOOKS = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"
#: The keys pre-commit documents for a hook definition (https://pre-commit.com/#new-hooks).
REQUIRED = {"id", "name", "entry", "language"}
OPTIONAL = {
    "files", "exclude", "types", "types_or", "exclude_types", "always_run", "fail_fast",
    "verbose", "pass_filenames", "require_serial", "description", "language_version",
    "minimum_pre_commit_version", "args", "stages", "additional_dependencies", "alias", "log_file",
}  # fmt: skip


def _hooks() -> list[dict[str, object]]:
    data = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_the_hooks_are_validate_generate_check_and_sync_check() -> None:
    assert {h["id"]: h["entry"] for h in _hooks()} == {
        "gates-validate": "pytest-gates validate",
        "gates-generate-check": "pytest-gates generate --check",
        "gates-sync-check": "pytest-gates sync --check",
    }


def test_the_hooks_have_only_documented_keys() -> None:
    for hook in _hooks():
        assert REQUIRED <= hook.keys() <= REQUIRED | OPTIONAL, hook
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False  # each command reads the project, not files


def test_pre_commit_accepts_the_hooks_file() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    loaded = clientlib.load_manifest(str(HOOKS))
    assert [hook["id"] for hook in loaded] == [h["id"] for h in _hooks()]


@pytest.mark.parametrize("hook", _hooks(), ids=lambda hook: str(hook["id"]))
def test_each_entry_parses_as_a_command(hook: dict[str, object]) -> None:
    program, *argv = shlex.split(str(hook["entry"]))
    assert program == "pytest-gates"
    build_parser().parse_args(argv)  # exits 2 on an unknown subcommand or option
