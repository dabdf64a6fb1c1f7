"""The ``sync`` check kind and the workflows.in-sync gate; validity of what sync writes; dogfood."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.sync import SyncParams, sync
from pytest_gates.errors import CheckError
from pytest_gates.model.load import load_manifest
from pytest_gates.projection.sync import plan_sync, write
from tests.helpers import GatesProject
from tests.sync_data import WORKFLOW, SyncProject

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

GATED = """\
version: 1
project: demo
gates:
  - id: author.files
    class: structural
    checks: [{id: one, kind: scripted}]
  - id: workflows.in-sync
    class: structural
    checks: [{id: sync, kind: sync}]
"""


def _context(root: Path) -> CheckContext:
    return CheckContext(rootdir=root, gate_id="workflows.in-sync", check_id="sync", tmp_path=root)


def test_the_kind_passes_on_synced_files_and_finds_each_drift(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    result = sync.run(SyncParams(), _context(tmp_path))
    assert result.passed
    assert result.summary == f"in sync with manifests/gates.yaml: {WORKFLOW}, tox.ini"
    assert result.details["files"] == {WORKFLOW: 0, "tox.ini": 0}
    project.edit("  merge_group:\n", "")
    project.edit(
        "labels = gates\nextras = dev\ncommands =\n", "extras = dev\ncommands =\n", name="tox.ini"
    )
    result = sync.run(SyncParams(), _context(tmp_path))
    assert not result.passed
    assert result.summary == f"2 drifts in {WORKFLOW}, tox.ini"
    assert [(f.rule, f.location.path, f.location.line) for f in result.findings] == [
        ("sync.trigger", WORKFLOW, 6),
        ("sync.removed", "tox.ini", 19),
    ]
    assert result.findings[1].message == (
        "tox environment 'gates': 'labels' removed (expected `gates`)"
    )
    assert result.findings[0].fix_hint == (
        "run `pytest-gates sync`, or allow the edit in the manifest's projection policy"
    )
    assert "+  merge_group:\n" in result.output
    assert "+labels = gates\n" in result.output
    assert sync.idempotent


def test_the_kind_cannot_check_an_invalid_manifest(tmp_path: Path) -> None:
    SyncProject(tmp_path).manifest("shards: many\n")
    with pytest.raises(CheckError) as info:
        sync.run(SyncParams(), _context(tmp_path))
    assert str(info.value) == (
        "cannot project manifests/gates.yaml: manifests/gates.yaml:4: projection.shards: "
        "expected a valid integer, unable to parse string as an integer, found 'many'"
    )


def test_the_kind_takes_the_shard_count_the_files_were_written_with(tmp_path: Path) -> None:
    SyncProject(tmp_path).sync(shards=2)
    assert not sync.run(SyncParams(), _context(tmp_path)).passed
    assert sync.run(SyncParams(shards=2), _context(tmp_path)).passed


def test_drift_makes_the_in_sync_gate_fail_and_the_release_no_go(project: GatesProject) -> None:
    manifest = project.manifest(GATED)
    assert write(plan_sync(project.root, manifest)) == 0
    result = project.run("--gates")
    result.assert_outcomes(passed=2)
    assert project.report()["body"]["decision"] == "GO"
    workflow = project.root / WORKFLOW
    text = workflow.read_text()
    workflow.write_text(text[: text.index("  result:\n")])
    result = project.run("--gates")
    result.assert_outcomes(passed=1, failed=1)
    assert project.report()["body"]["decision"] == "NO_GO"
    assert project.verdicts() == {"author.files": "PASS", "workflows.in-sync": "FAIL"}
    item = project.evidence("workflows.in-sync")["body"]["items"][0]
    (finding,) = item["findings"]
    assert finding["rule"] == "sync.job-removed"
    assert finding["location"] == {"path": WORKFLOW, "line": 16, "column": None, "pointer": None}
    assert finding["message"].startswith("required job 'result' removed")
    assert item["output"].startswith(
        f"--- {WORKFLOW} (on disk)\n+++ {WORKFLOW} (pytest-gates sync)"
    )
    assert "+  result:\n" in item["output"]
    result.stdout.fnmatch_lines(["*1 drift in .github/workflows/gates.yml*"])


def _synced_for_schema(root: Path, policy: str, core: bool, files: list[str]) -> None:
    project = SyncProject(root, policy, core=core)
    project.sync()
    if "manual_regions" in policy:
        project.edit(
            "  # <<< manual jobs\n",
            "  docs:\n    runs-on: ubuntu-latest\n    steps: [{run: make docs}]\n"
            "  # <<< manual jobs\n",
        )
    files.append(str(project.root / WORKFLOW))


def test_the_generated_workflows_validate_against_githubs_schema(tmp_path: Path) -> None:
    policies = {
        "one": "",
        "many": (
            "shards: 4\nbranch: release/next\npython: '3.13'\n"
            "manual_regions: [jobs, gates.steps, result.steps]\n"
        ),
    }
    files: list[str] = []
    for core in (True, False):  # without and with the log, concurrency and cache of the defaults
        for name, policy in policies.items():
            _synced_for_schema(tmp_path / f"{name}-{core}", policy, core, files)
    run = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def test_the_generated_tox_ini_loads_with_tox(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    listed = subprocess.run(
        [BIN / "tox", "-l"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert listed.stdout.split() == ["py", "lint"]

    def config(label: str) -> str:
        return subprocess.run(
            [BIN / "tox", "config", "-m", label, "-k", "labels", "commands"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def sections(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("[")]

    # `tox -m gates` runs every gate once: the full run, not the class runs beside it.
    assert sections(config("gates")) == ["[testenv:gates]"]
    classes = config("gates-class")
    assert sections(classes) == ["[testenv:gates-structural]", "[testenv:gates-semantic]"]
    assert classes.count("labels = gates-class") == 2
    structural = tmp_path / ".tox" / "gates-structural" / "tmp" / ".gates"
    assert f"pytest --gates -m structural --gates-out {structural}" in classes


def test_the_repository_runs_sync_on_itself() -> None:
    loaded = load_manifest(ROOT / "manifests" / "gates.yaml", root_dir=ROOT)
    gate = loaded.manifest.gate("workflows.in-sync")
    assert (gate.class_, gate.blocking) == ("structural", True)
    assert [check.kind for check in gate.checks] == ["sync"]
    plan = plan_sync(ROOT, ROOT / "manifests" / "gates.yaml")
    assert [p.display for p in plan.files] == [WORKFLOW, "tox.ini"]
    assert [d.render() for d in plan.drifts] == [], "run: pytest-gates sync"
    assert all(projected.up_to_date for projected in plan.files)
