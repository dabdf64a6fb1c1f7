"""The runner guards a generated manifest: ``pytest --gates`` re-projects it from its sources
before collecting, and each gate added, removed or changed by hand is a NO_GO naming it, through
the gate ``manifest.guard`` that no edit of the manifest can drop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_gates.checks.manifest_guard import GUARD_GATE, guard_manifest
from pytest_gates.model.load import load_manifest
from tests.conftest import GatesProject
from tests.test_generate_sample_project import copy_fixture, edit

MANIFEST = "manifests/gates.yaml"
HOLLOWED = ("manifest.fresh", "issues.status", "release.report")


@pytest.fixture
def sample_project(project: GatesProject) -> GatesProject:
    copy_fixture(project.root)
    (project.root / "conftest.py").unlink()  # the scripted kinds are not needed here
    return project


def hollow_out(root: Path, *removed: str) -> None:
    """Delete gates from the manifest by hand, and every ``needs`` on them, so that it loads."""
    path = root / MANIFEST
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    gates = [gate for gate in data["gates"] if gate["id"] not in removed]
    for gate in gates:
        needs = [need for need in gate.get("needs", []) if need not in removed]
        if needs:
            gate["needs"] = needs
        else:
            gate.pop("needs", None)
    data["gates"] = gates
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def guard_findings(project: GatesProject) -> list[str]:
    items = project.evidence(GUARD_GATE)["body"]["items"]
    return [finding["message"] for finding in items[0]["findings"]]


def test_a_hollowed_out_manifest_is_no_go_naming_each_gate(sample_project: GatesProject) -> None:
    hollow_out(sample_project.root, *HOLLOWED)
    result = sample_project.run("--gates", "-m", "not differential")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["decision: NO_GO: *manifest.guard*"])
    assert sample_project.verdicts()[GUARD_GATE] == "FAIL"
    assert sample_project.report()["body"]["decision"] == "NO_GO"
    findings = guard_findings(sample_project)
    removed = [
        "manifest: gate 'manifest.fresh' removed by hand: it is generated from gates/generate.yaml",
        "manifest: gate 'issues.status' removed by hand: it is generated from gates/ledger.yaml",
        "manifest: gate 'release.report' removed by hand: it is generated from gates/generate.yaml",
    ]
    for message in removed:
        assert message in findings
    # The gates that needed them were edited too, and are named.
    assert (
        "manifest: gate 'obligations.evidence' changed by hand (needs): it is generated from "
        "gates/obligations.yaml"
    ) in findings


def test_the_untouched_generated_manifest_passes_the_guard(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "sample")
    loaded = load_manifest(root / MANIFEST, MANIFEST, root)
    guarded = guard_manifest(loaded, MANIFEST, root)
    assert guarded is not None
    assert guarded.order[-1] == GUARD_GATE
    assert guarded.manifest.gates[:-1] == loaded.manifest.gates
    gate = guarded.manifest.gate(GUARD_GATE)
    assert (gate.class_, gate.blocking, gate.on_failure) == ("freshness", True, "block")
    assert gate.checks[0].params["problems"] == []


def guard_problems(root: Path) -> list[str]:
    loaded = load_manifest(root / MANIFEST, MANIFEST, root)
    guarded = guard_manifest(loaded, MANIFEST, root)
    assert guarded is not None
    problems: list[str] = guarded.manifest.gate(GUARD_GATE).checks[0].params["problems"]
    return problems


def test_a_gate_added_or_changed_by_hand_is_named(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "sample")
    edit(
        root / MANIFEST,
        "  - id: issues.status\n    class: structural\n    blocking: true\n",
        "  - id: issues.status\n    class: structural\n    blocking: false\n",
    )
    with (root / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(
            "  - id: my.own\n    class: structural\n    checks: [{id: a, kind: files, exist: [src]}]\n"
        )
    assert guard_problems(root) == [
        "manifest: gate 'issues.status' changed by hand (blocking): it is generated from "
        "gates/ledger.yaml",
        "manifest: gate 'my.own' added by hand: no source generates it (a gate no source "
        "describes goes in the extra-gates source)",
    ]


def test_a_manifest_whose_generated_block_was_removed_is_still_guarded(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "sample")
    path = root / MANIFEST
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["generated"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert guard_problems(root) == [
        "manifest: the generated block was removed by hand: manifests/gates.yaml is generated "
        "from gates/generate.yaml"
    ]


def test_a_gate_claiming_the_guards_id_is_replaced_and_named(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "sample")
    with (root / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(
            f"  - id: {GUARD_GATE}\n    class: structural\n"
            "    checks: [{id: a, kind: files, exist: [src]}]\n"
        )
    problems = guard_problems(root)
    assert f"manifest: gate '{GUARD_GATE}' is the runner's own; remove it" in problems
    loaded = load_manifest(root / MANIFEST, MANIFEST, root)
    guarded = guard_manifest(loaded, MANIFEST, root)
    assert guarded is not None
    assert [g.id for g in guarded.manifest.gates].count(GUARD_GATE) == 1


def test_stale_sources_are_named_without_blaming_a_hand(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "sample")
    edit(root / "gates" / "ledger.yaml", "title: export to CSV", "title: export to CSV files")
    assert guard_problems(root) == [
        "manifest: sources changed since manifests/gates.yaml was generated: gates/ledger.yaml"
    ]


def test_a_manifest_nobody_generates_is_not_guarded(tmp_path: Path) -> None:
    manifest = tmp_path / "gates.yaml"
    manifest.write_text(
        "version: 1\nproject: p\ngates:\n"
        "  - {id: a, class: structural, checks: [{id: x, kind: files, exist: [gates.yaml]}]}\n"
    )
    loaded = load_manifest(manifest, "gates.yaml", tmp_path)
    assert guard_manifest(loaded, "gates.yaml", tmp_path) is None
