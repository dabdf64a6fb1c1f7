"""The pytest-gates command and the committed schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.checks.schemas import manifest_schema
from pytest_gates.cli.main import main
from pytest_gates.support.schema_text import dumps

ROOT = Path(__file__).parent.parent
COMMITTED = ROOT / "manifests" / "schema" / "manifest.schema.json"


def test_the_committed_manifest_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dumps(manifest_schema(BUILTIN_KINDS)), (
        "stale: run pytest-gates schema manifest --output manifests/schema/manifest.schema.json"
    )


@pytest.mark.parametrize("name", ["evidence", "report"])
def test_the_committed_output_schemas_are_current(name: str) -> None:
    committed = ROOT / "manifests" / "schema" / f"{name}.schema.json"
    assert main(["schema", name, "--check", str(committed)]) == 0


def test_schema_check_passes_on_the_committed_copy_and_fails_with_a_diff_when_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "manifest", "--check", str(COMMITTED)]) == 0
    stale = tmp_path / "schema.json"
    stale.write_text(
        COMMITTED.read_text().replace('"title": "pytest-gates manifest"', '"title": "old"')
    )
    capsys.readouterr()
    assert main(["schema", "manifest", "--check", str(stale)]) == 1
    out = capsys.readouterr().out
    assert '-  "title": "old",' in out
    assert '+  "title": "pytest-gates manifest",' in out
    assert out.rstrip().endswith(
        f"regenerate it with: pytest-gates schema manifest --output {stale}"
    )


def test_schema_output_writes_and_stdout_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "m.json"
    assert main(["schema", "manifest", "--output", str(target)]) == 0
    assert target.read_text() == COMMITTED.read_text()
    capsys.readouterr()
    assert main(["schema", "manifest"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "pytest-gates manifest"


def test_the_schema_holds_each_kind_to_its_parameters() -> None:
    schema = json.loads(COMMITTED.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "version": 1,
        "project": "p",
        "gates": [
            {
                "id": "a",
                "class": "structural",
                "checks": [{"id": "c", "kind": "file_size", "paths": ["x"], "max_lines": 3}],
            }
        ],
    }
    assert list(validator.iter_errors(good)) == []
    bad = json.loads(json.dumps(good))
    bad["gates"][0]["checks"][0]["max_line"] = 3
    messages = [e.message for e in validator.iter_errors(bad)]
    assert any("'max_line' was unexpected" in m for m in messages), messages
    other = json.loads(json.dumps(good))
    other["gates"][0]["checks"][0] = {"id": "c", "kind": "from_a_plugin", "anything": 1}
    assert list(validator.iter_errors(other)) == []  # an unknown kind is ERROR at run time


def test_every_manifest_in_the_repository_validates_against_the_schema() -> None:
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    for path in [ROOT / "manifests" / "gates.yaml", *ROOT.glob("fixtures/**/manifests/gates.yaml")]:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path


def test_validate_prints_the_order_or_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = tmp_path / "gates.yaml"
    manifest.write_text(
        "version: 1\nproject: p\ngates:\n"
        "  - {id: b, class: semantic, needs: [a], checks: [{id: x, kind: files, exist: [gates.yaml]}]}\n"
        "  - {id: a, class: structural, checks: [{id: x, kind: files, exist: [gates.yaml]}]}\n"
    )
    assert main(["validate", "gates.yaml"]) == 0
    assert capsys.readouterr().out == "gates.yaml: valid; 2 gates in order: a, b\n"
    manifest.write_text(manifest.read_text().replace("needs: [a]", "needs: [z]"))
    assert main(["validate", "gates.yaml"]) == 1
    assert capsys.readouterr().err == (
        "gates.yaml:4: gates[id='b'].needs[0]: expected the id of a gate in this manifest (a, b), found 'z'\n"
    )


def test_the_console_script_and_module_entry_work() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_gates", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("pytest-gates ")
    done = subprocess.run(
        [sys.executable, "-m", "pytest_gates", "verify", "/nonexistent"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "/nonexistent/report.json: missing" in done.stderr


@pytest.mark.parametrize("command", ["merge", "verify", "plan", "keygen", "generate", "schema"])
def test_every_command_help_says_what_it_does(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    usage, _, rest = capsys.readouterr().out.partition("\n\n")
    assert usage.startswith(f"usage: pytest-gates {command}")
    description = rest.split("\n\n")[0]
    assert not description.startswith(("positional arguments", "options")), description
