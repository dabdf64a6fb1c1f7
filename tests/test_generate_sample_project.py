"""fixtures/sample-project: its generated manifest is GO, and each required gate family catches
the one thing a variant of the project breaks, with a precise finding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.checks.api import CheckContext, CheckResult
from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.model.load import load_manifest
from pytest_gates.sources.generate import generate
from pytest_gates.sources.load import load_sources
from pytest_gates.support.digest import tree_digest
from tests.conftest import GatesProject

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sample-project"
KINDS = {kind.name: kind for kind in BUILTIN_KINDS}
STAGE_ONE = ("-m", "not gate(id='release.report')")


def copy_fixture(root: Path) -> Path:
    shutil.copytree(
        FIXTURE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".gates", "__pycache__")
    )
    return root


def regenerate(root: Path) -> None:
    (root / "manifests" / "gates.yaml").write_text(generate(load_sources(root)), encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_check(root: Path, gate_id: str, check_id: str, tmp_path: Path) -> CheckResult:
    """Run one check of the generated manifest as ``pytest --gates`` would, without pytest."""
    gate = load_manifest(root / "manifests" / "gates.yaml").manifest.gate(gate_id)
    spec = next(check for check in gate.checks if check.id == check_id)
    kind = KINDS[spec.kind]
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    ctx = CheckContext(
        rootdir=root, gate_id=gate_id, check_id=check_id, tmp_path=scratch, timeout=120
    )
    return kind.run(kind.parse(spec.params), ctx)


def found(result: CheckResult) -> list[tuple[str, str | None, str]]:
    return [(f.rule, f.location.path, f.message) for f in result.findings]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path / "sample")


@pytest.fixture
def sample_project(project: GatesProject) -> GatesProject:
    copy_fixture(project.root)
    (project.root / "conftest.py").unlink()  # the scripted kinds are not needed here
    return project


ALL_PASS = {
    "manifest.fresh": "PASS",
    "qa.sources": "PASS",
    "issues.status": "PASS",
    "obligations.evidence": "PASS",
    "artifacts.fresh": "PASS",
    "cap.parse.structural": "PASS",
    "cap.parse.differential": "PASS",
    "release.report": "PASS",
    # The runner's own gate: the generated manifest is what its sources generate.
    "manifest.guard": "PASS",
}


@pytest.mark.slow
def test_the_sample_project_is_go_in_two_stages_and_a_later_change_makes_its_report_stale(
    sample_project: GatesProject,
) -> None:
    first = sample_project.run("--gates", *STAGE_ONE)
    assert first.ret == pytest.ExitCode.OK
    first.stdout.fnmatch_lines(["decision: INCOMPLETE: *release.report*"])
    assert sample_project.report()["body"]["closure"] == {
        "benchmarks_out_of_bounds": 0,
        "open_blocking_issues": 0,
        "stale_artifacts": 0,
        "undischarged_obligations": 0,
    }
    second = sample_project.run("--gates")
    assert second.ret == pytest.ExitCode.OK
    second.stdout.fnmatch_lines(["decision: GO: every gate passed"])
    assert sample_project.verdicts() == ALL_PASS
    # A source changes and the manifest is regenerated: the last report is for another manifest.
    root = sample_project.root
    edit(root / "gates" / "ledger.yaml", "title: export to CSV", "title: export to CSV files")
    regenerate(root)
    third = sample_project.run("--gates")
    assert third.ret == pytest.ExitCode.TESTS_FAILED
    assert sample_project.verdicts() == {**ALL_PASS, "release.report": "FAIL"}
    items = sample_project.evidence("release.report")["body"]["items"]
    assert [f["rule"] for f in items[0]["findings"]] == ["release.stale_manifest"]


def test_sources_changed_since_generation_are_no_go_naming_them(
    sample_project: GatesProject,
) -> None:
    edit(
        sample_project.root / "gates" / "ledger.yaml",
        "status: open, milestone: m2",
        "status: closed, milestone: m2",
    )
    result = sample_project.run("--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*gate manifest.fresh, check sources (manifest_fresh): 1 source of 7 changed since "
            "manifests/gates.yaml was generated: gates/ledger.yaml; regenerate with: "
            "pytest-gates generate",
            "decision: NO_GO: *",
        ]
    )
    unblocked = ("manifest.fresh", "qa.sources", "manifest.guard")
    blocked = {gate: "BLOCKED" for gate in ALL_PASS if gate not in unblocked}
    assert sample_project.verdicts() == {
        "manifest.fresh": "FAIL",
        "qa.sources": "PASS",
        **blocked,
        "manifest.guard": "FAIL",
    }
    body = sample_project.evidence("manifest.fresh")["body"]
    sources, in_sync = body["items"]
    assert [(f["rule"], f["location"]["path"]) for f in sources["findings"]] == [
        ("manifest.source_changed", "gates/ledger.yaml")
    ]
    assert in_sync["outcome"] == "failed"
    assert sample_project.report()["body"]["decision"] == "NO_GO"


def test_a_reopened_blocking_issue_is_no_go_and_counted_in_the_closure(
    sample_project: GatesProject,
) -> None:
    root = sample_project.root
    edit(
        root / "gates" / "ledger.yaml",
        "{id: 2, title: render tables, status: closed",
        "{id: 2, title: render tables, status: open",
    )
    regenerate(root)
    result = sample_project.run("--gates", *STAGE_ONE)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert sample_project.verdicts()["issues.status"] == "FAIL"
    findings = sample_project.evidence("issues.status")["body"]["items"][0]["findings"]
    assert [(f["rule"], f["location"]["line"], f["message"]) for f in findings] == [
        (
            "ledger.open_blocker",
            8,
            "issues[id='2'].status: issue '2' blocks release 1.0 and is open; expected closed",
        ),
        (
            "ledger.closed_depends_on_open",
            9,
            "issues[id='3'].depends_on[0]: issue '3' is closed but depends on issue '2', which "
            "is open",
        ),
    ]
    body = sample_project.report()["body"]
    assert (body["decision"], body["closure"]["open_blocking_issues"]) == ("NO_GO", 1)


def test_code_changed_after_its_review_makes_the_review_stale(sample: Path, tmp_path: Path) -> None:
    recorded = tree_digest(sample, ["src/sample/parse.py"]).digest
    edit(sample / "src" / "sample" / "parse.py", "def parse(", "def parse(  # reformatted\n")
    now = tree_digest(sample, ["src/sample/parse.py"]).digest
    result = run_check(sample, "obligations.evidence", "parse", tmp_path)
    assert found(result) == [
        (
            "obligation.evidence_stale",
            "gates/obligations.yaml",
            f"obligation 'parse.review' of capability 'parse': the covered paths changed since the "
            f"evidence was made: recorded {recorded}, now {now}",
        )
    ]
    assert result.details["closure"] == {"undischarged_obligations": 1}


def test_edited_evidence_no_longer_discharges(sample: Path, tmp_path: Path) -> None:
    (sample / "evidence" / "render-golden.txt").write_text("name  sample\n")
    result = run_check(sample, "obligations.evidence", "render", tmp_path)
    assert [(f.rule, f.location.line) for f in result.findings] == [
        ("obligation.evidence_changed", 32)
    ]


def test_a_removed_corpus_case(sample: Path, tmp_path: Path) -> None:
    recorded = tree_digest(sample, ["corpus/config"]).digest
    (sample / "corpus" / "config" / "values.cfg").unlink()
    now = tree_digest(sample, ["corpus/config"]).digest
    result = run_check(sample, "artifacts.fresh", "corpus.config-cases", tmp_path)
    assert found(result) == [
        (
            "corpus.changed",
            "gates/corpora.yaml",
            f"corpus 'config-cases' changed: its cases have {now}, the corpus records {recorded}",
        ),
        (
            "corpus.too_small",
            "gates/corpora.yaml",
            "corpus 'config-cases' has 3 cases, fewer than its minimum of 4",
        ),
    ]


def test_a_benchmark_measured_before_its_inputs_changed_is_stale(
    sample: Path, tmp_path: Path
) -> None:
    result_file = json.loads((sample / "bench" / "results" / "render-time.json").read_text())
    edit(
        sample / "src" / "sample" / "render.py",
        "sorted(values.items())",
        "sorted(values.items(), reverse=False)",
    )
    now = tree_digest(sample, ["src/sample/render.py", "bench/run.py"]).digest
    result = run_check(sample, "artifacts.fresh", "benchmark.render-time", tmp_path)
    assert found(result) == [
        (
            "benchmark.stale",
            "bench/results/render-time.json",
            f"benchmark 'render-time': measured on inputs {result_file['inputs_sha256']}, they are "
            f"now {now}",
        )
    ]
    assert result.details["closure"] == {"stale_artifacts": 1, "benchmarks_out_of_bounds": 0}


def test_a_benchmark_over_its_thresholds_names_value_and_bounds(
    sample: Path, tmp_path: Path
) -> None:
    path = sample / "bench" / "results" / "render-time.json"
    data: dict[str, Any] = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "value": 0.2}))
    result = run_check(sample, "artifacts.fresh", "benchmark.render-time", tmp_path)
    assert [f.message for f in result.findings] == [
        "benchmark 'render-time': seconds 0.2 s is above its absolute bound 0.1 s (lower is better)",
        "benchmark 'render-time': seconds 0.2 s is above its relative bound (baseline 0.03 +10%) "
        "0.033 s (lower is better)",
    ]
    assert result.details["closure"] == {"stale_artifacts": 0, "benchmarks_out_of_bounds": 1}


def test_a_candidate_parser_that_keeps_spaces_differs_from_the_reference(
    sample: Path, tmp_path: Path
) -> None:
    edit(
        sample / "src" / "sample" / "parse.py",
        "result[key.strip()] = value.strip()",
        "result[key.strip()] = value",
    )
    result = run_check(sample, "cap.parse.differential", "config-cases", tmp_path)
    assert [
        (f.rule, f.location.path, f.message.split("; first difference ")[1])
        for f in result.findings
    ] == [
        (
            "differential.mismatch",
            "corpus/config/basic.cfg",
            'at /name: reference "sample", candidate " sample"',
        ),
        (
            "differential.mismatch",
            "corpus/config/spacing.cfg",
            'at /b: reference "2", candidate "  2"',
        ),
        (
            "differential.mismatch",
            "corpus/config/values.cfg",
            'at /path: reference "/usr/local", candidate " /usr/local"',
        ),
    ]
    assert all(f.message.startswith("outputs differ: reference sha256:") for f in result.findings)
    assert result.summary == "3 of 4 cases differ (json)"
