"""``pytest-gates generate``: the projection rules, determinism and ``--check``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_gates.cli.main import main
from pytest_gates.errors import SourceError
from pytest_gates.model.load import load_manifest
from pytest_gates.sources.generate import generate, header
from pytest_gates.sources.load import load_sources
from pytest_gates.support.digest import file_digest

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "fixtures" / "sample-project"


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".gates", "__pycache__"))
    monkeypatch.chdir(root)
    return root


def projected(root: Path) -> dict[str, Any]:
    data = yaml.safe_load(generate(load_sources(root)))
    assert isinstance(data, dict)
    return data


def gates(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {gate["id"]: gate for gate in data["gates"]}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("root", [SAMPLE, ROOT], ids=["sample-project", "pytest-gates"])
def test_the_committed_manifest_is_the_projection_of_its_sources(root: Path) -> None:
    assert generate(load_sources(root)) == (root / "manifests" / "gates.yaml").read_text(), (
        f"stale: run pytest-gates generate in {root}"
    )


def test_the_projection_of_the_sample_project(sample: Path) -> None:
    data = projected(sample)
    summary = [
        (
            g["id"],
            g["class"],
            g.get("blocking", True),
            g.get("needs", []),
            [c["id"] for c in g["checks"]],
        )
        for g in data["gates"]
    ]
    assert summary == [
        ("manifest.fresh", "freshness", True, [], ["sources", "in-sync"]),
        ("qa.sources", "structural", True, [], ["python-parses"]),
        ("issues.status", "structural", True, ["manifest.fresh"], ["ledger"]),
        (
            "obligations.evidence",
            "semantic",
            True,
            ["manifest.fresh"],
            ["parse", "render", "stats"],
        ),
        (
            "artifacts.fresh",
            "freshness",
            True,
            ["manifest.fresh"],
            ["corpus.config-cases", "benchmark.render-time", "benchmark.stats-throughput"],
        ),
        ("cap.parse.structural", "structural", True, ["manifest.fresh"], ["covered-files"]),
        ("cap.parse.differential", "differential", True, ["manifest.fresh"], ["config-cases"]),
        ("release.report", "freshness", True, ["manifest.fresh"], ["report"]),
    ]
    by_id = gates(data)
    assert by_id["manifest.fresh"]["checks"] == [
        {"id": "sources", "kind": "manifest_fresh", "manifest": "manifests/gates.yaml"},
        {
            "id": "in-sync",
            "kind": "command",
            "run": ["python", "-m", "pytest_gates", "generate", "--check"],
        },
    ]
    assert by_id["issues.status"]["checks"] == [
        {"id": "ledger", "kind": "ledger", "ledger": "gates/ledger.yaml", "release": "1.0"}
    ]
    assert by_id["obligations.evidence"]["checks"][2] == {
        "id": "stats",
        "kind": "obligations",
        "registry": "gates/obligations.yaml",
        "capabilities": ["stats"],
    }
    assert by_id["cap.parse.structural"]["checks"][0]["exist"] == ["src/sample/parse.py"]
    differential = by_id["cap.parse.differential"]["checks"][0]
    assert (differential["kind"], differential["cases"], differential["compare"]) == (
        "differential",
        ["corpus/config"],
        "json",
    )
    assert by_id["release.report"]["checks"][0] == {
        "id": "report",
        "kind": "release_report",
        "report": ".gates/report.json",
        "manifest": "manifests/gates.yaml",
        "allow_dirty": False,
        "closure": {
            "benchmarks_out_of_bounds": 0,
            "open_blocking_issues": 0,
            "stale_artifacts": 0,
            "undischarged_obligations": 0,
        },
    }
    corpus = by_id["artifacts.fresh"]["checks"][0]
    assert corpus["corpora"][0]["min_cases"] == 4
    assert by_id["artifacts.fresh"]["checks"][2]["benchmarks"][0]["threshold"] == {
        "absolute": 100000,
        "relative": ">=-5%",
    }


def test_the_release_decides_which_capabilities_get_gates(sample: Path) -> None:
    edit(sample / "gates" / "generate.yaml", 'release: "1.0"', 'release: "2.0"')
    by_id = gates(projected(sample))
    # stats is in progress in a milestone of 1.0, export is only planned: neither is in 2.0.
    assert [c["id"] for c in by_id["obligations.evidence"]["checks"]] == ["parse", "render"]
    assert by_id["issues.status"]["checks"][0]["release"] == "2.0"
    edit(sample / "gates" / "capabilities.yaml", "status: planned", "status: in_progress")
    by_id = gates(projected(sample))
    assert [c["id"] for c in by_id["obligations.evidence"]["checks"]] == [
        "export",
        "parse",
        "render",
    ]


def test_the_required_families_are_there_without_any_capability(tmp_path: Path) -> None:
    (tmp_path / "gates").mkdir()
    for name in ("capabilities", "obligations", "ledger"):
        (tmp_path / "gates" / f"{name}.yaml").write_text("version: 1\n")
    (tmp_path / "gates" / "generate.yaml").write_text(
        "version: 1\nproject: tiny\nrelease_report: {blocking: false, closure: {open_blocking_issues: 0}}\n"
    )
    text = generate(load_sources(tmp_path))
    data = yaml.safe_load(text)
    assert [(g["id"], [c["id"] for c in g["checks"]]) for g in data["gates"]] == [
        ("manifest.fresh", ["sources", "in-sync"]),
        ("issues.status", ["ledger"]),
        ("obligations.evidence", ["none"]),
        ("artifacts.fresh", ["none"]),
        ("release.report", ["report"]),
    ]
    release = gates(data)["release.report"]
    assert release["blocking"] is False
    assert release["checks"][0]["closure"] == {"open_blocking_issues": 0}
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "gates.yaml").write_text(text)
    assert load_manifest(tmp_path / "manifests" / "gates.yaml", root_dir=tmp_path).order[0] == (
        "manifest.fresh"
    )


def test_the_manifest_says_it_is_generated_and_records_each_source(sample: Path) -> None:
    sources = load_sources(sample)
    text = generate(sources)
    assert text.startswith(header(sources))
    assert text.splitlines()[0] == (
        "# GENERATED by `pytest-gates generate` from the sources listed under generated.sources; "
        "do not edit."
    )
    generated = yaml.safe_load(text)["generated"]
    names = sorted(str(p.relative_to(sample)) for p in (sample / "gates").iterdir())
    assert list(generated["sources"]) == names
    assert generated["sources"] == {name: file_digest(sample / name) for name in names}
    assert generated["command"] == "pytest-gates generate"
    assert generated["by"].startswith("pytest-gates ")


def test_extra_gates_are_copied_as_written(sample: Path) -> None:
    extra = yaml.safe_load((sample / "gates" / "extra-gates.yaml").read_text())["gates"][0]
    assert gates(projected(sample))["qa.sources"] == extra
    assert list(gates(projected(sample))["qa.sources"]) == list(extra)


def test_extra_gates_may_not_take_a_generated_id_nor_need_an_unknown_gate(sample: Path) -> None:
    extras = sample / "gates" / "extra-gates.yaml"
    edit(extras, "id: qa.sources", "id: issues.status")
    edit(extras, "description: every Python file parses", "needs: [qa.lint]")
    with pytest.raises(SourceError) as info:
        generate(load_sources(sample))
    assert info.value.problems == [
        "gates/extra-gates.yaml:4: gates[id='issues.status'].id: gate id 'issues.status' is "
        "generated from the sources; choose another id",
        "gates/extra-gates.yaml:6: gates[id='issues.status'].needs[0]: expected the id of a gate "
        "in the manifest (artifacts.fresh, cap.parse.differential, cap.parse.structural, "
        "issues.status, manifest.fresh, obligations.evidence, release.report), found 'qa.lint'",
    ]


def test_the_projection_block_is_carried_and_validated_in_the_config(sample: Path) -> None:
    config = sample / "gates" / "generate.yaml"
    config.write_text(config.read_text() + "projection:\n  shards: 2\n  branch: trunk\n")
    assert projected(sample)["projection"] == {"shards": 2, "branch": "trunk"}
    config.write_text(config.read_text() + "  bogus: 1\n")
    with pytest.raises(SourceError) as info:
        generate(load_sources(sample))
    assert info.value.problems == ["gates/generate.yaml:11: projection: unexpected key 'bogus'"]


def test_generation_is_byte_stable_across_runs_and_hash_seeds(sample: Path) -> None:
    expected = generate(load_sources(sample))
    assert generate(load_sources(sample)) == expected
    out = sample / "manifests" / "gates.yaml"
    for seed in ("0", "4242"):
        out.unlink()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "pytest_gates", "generate"], cwd=sample, env=env, check=True
        )
        assert out.read_text(encoding="utf-8") == expected, seed


def test_the_order_of_entries_in_a_source_does_not_change_the_gates(sample: Path) -> None:
    before = [g["id"] for g in projected(sample)["gates"]]
    caps = sample / "gates" / "capabilities.yaml"
    data = yaml.safe_load(caps.read_text())
    data["capabilities"].reverse()
    caps.write_text(yaml.safe_dump(data, sort_keys=False))
    after = projected(sample)
    assert [g["id"] for g in after["gates"]] == before
    assert [c["id"] for c in gates(after)["obligations.evidence"]["checks"]] == [
        "parse",
        "render",
        "stats",
    ]


def test_generate_writes_and_check_passes_on_a_current_manifest(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--check"]) == 0
    assert capsys.readouterr().out == "manifests/gates.yaml: up to date with its sources\n"
    (sample / "manifests" / "gates.yaml").unlink()
    assert main(["generate"]) == 0
    assert capsys.readouterr().out == "wrote manifests/gates.yaml: 8 gates from 7 sources\n"


def test_check_prints_a_diff_and_the_fix_after_a_hand_edit(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = sample / "manifests" / "gates.yaml"
    edit(
        manifest,
        "    blocking: true\n    description: the last release report",
        "    blocking: false\n    description: the last release report",
    )
    before = manifest.read_text()
    assert main(["generate", "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "--- manifests/gates.yaml (committed)\n+++ manifests/gates.yaml (generated)\n"
    )
    assert "-    blocking: false\n+    blocking: true\n" in out
    assert "sources changed since" not in out
    assert out.endswith(
        "\nmanifests/gates.yaml is not the projection of its sources; regenerate it with: "
        "pytest-gates generate\n"
    )
    assert manifest.read_text() == before  # --check writes nothing


def test_check_names_the_sources_that_changed(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(sample / "gates" / "ledger.yaml", "title: export to CSV", "title: export to CSV files")
    assert main(["generate", "--check"]) == 1
    out = capsys.readouterr().out
    assert "\nsources changed since manifests/gates.yaml was generated: gates/ledger.yaml\n" in out


def test_invalid_sources_are_an_error_listing_every_problem(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(sample / "gates" / "obligations.yaml", "capability: render", "capability: rendr")
    assert main(["generate"]) == 1
    assert capsys.readouterr().err == (
        "ERROR: the gate sources are incomplete or invalid\n"
        "gates/capabilities.yaml:23: capabilities[id='render'].obligations[0]: expected an "
        "obligation of capability 'render', found 'render.golden', which belongs to capability "
        "'rendr'\n"
        "gates/capabilities.yaml:20: capabilities[id='render'].status: a shipped capability needs "
        "at least one obligation; none in gates/obligations.yaml names capability 'render'\n"
        "gates/capabilities.yaml:22: capabilities[id='render'].requires[0]: capability 'render' "
        "requires semantic gates, which need at least one obligation; it has none\n"
        "gates/obligations.yaml:25: obligations[id='render.golden'].capability: expected the id "
        "of a capability in gates/capabilities.yaml (parse, render, stats, export), found 'rendr'\n"
    )


def test_another_config_is_named_in_the_command_and_the_in_sync_check(sample: Path) -> None:
    (sample / "gates" / "generate.yaml").rename(sample / "gates" / "gen.yaml")
    data = projected_with(sample, "gates/gen.yaml")
    assert data["generated"]["command"] == "pytest-gates generate --config gates/gen.yaml"
    assert gates(data)["manifest.fresh"]["checks"][1]["run"][-2:] == ["--config", "gates/gen.yaml"]


def projected_with(root: Path, config: str) -> dict[str, Any]:
    data = yaml.safe_load(generate(load_sources(root, config)))
    assert isinstance(data, dict)
    return data
