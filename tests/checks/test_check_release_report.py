"""The ``release_report`` kind: the last report is for this subject, and its closure holds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.checks.api import CheckContext, CheckResult
from pytest_gates.checks.release_report import release_report
from pytest_gates.errors import CheckError
from pytest_gates.outputs.documents import to_json as refusal_json
from pytest_gates.outputs.report import refusal_report
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.support.digest import file_digest
from tests.checks.conftest import RunCheck, Write

CLOSURE = {"open_blocking_issues": 0, "undischarged_obligations": 0}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def report_gate(gate_id: str, verdict: str) -> dict[str, Any]:
    """A gate of a report as a session writes it."""
    return {
        "id": gate_id,
        "class": "structural",
        "blocking": True,
        "needs": [],
        "strategy": "block",
        "timeout": 300.0,
        "checks": ["c"],
        "suites": [],
        "verdict": verdict,
        "reason": "",
        "blocked_by": [],
        "flaky": False,
        "complete": True,
        "items": {"passed": 1},
        "findings": {"error": 0, "warning": 0, "note": 0},
        "evidence": {"path": f"evidence/{gate_id}.json", "body_sha256": "sha256:" + "1" * 64},
    }


class Report:
    """A project in git with a manifest, and a report.json written as a session would."""

    def __init__(self, root: Path, write: Write) -> None:
        self.root = root
        self.write = write
        self.manifest = write("manifests/gates.yaml", "version: 1\n")
        write(".gitignore", ".gates/\n")  # the output folder does not make the tree dirty
        git(root, "init", "-q")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "first")
        self.head = git(root, "rev-parse", "HEAD")
        self.body: dict[str, Any] = {
            "generator": "pytest-gates 0.1",
            "project": "demo",
            "decision": "INCOMPLETE",
            "reason": "1 gate not run completely in this session: demo.gate",
            "subject": {"commit": self.head, "dirty": False},
            "manifest": {"path": "manifests/gates.yaml", "digest": file_digest(self.manifest)},
            "selection": {},
            "gates": [
                report_gate("qa.lint", "PASS"),
                report_gate("qa.size", "DEGRADED"),
                report_gate("demo.gate", "NOT_RUN"),
            ],
            "totals": {"PASS": 1, "DEGRADED": 1, "NOT_RUN": 1},
            "closure": dict(CLOSURE),
        }

    def save(self) -> None:
        report = {"schema": "pytest-gates/report/v1", "body": self.body, "run": {}}
        self.write(".gates/report.json", json.dumps(report))


@pytest.fixture
def report(check_ctx: CheckContext, write: Write) -> Report:
    made = Report(check_ctx.rootdir, write)
    made.save()
    return made


PARAMS = {"verify": False, "closure": CLOSURE}


def found(result: CheckResult) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in result.findings]


def test_a_current_report_whose_closure_holds_passes(report: Report, run_check: RunCheck) -> None:
    result = run_check(release_report, PARAMS)
    assert result.passed, result.findings
    assert result.summary == (
        f"report for commit {report.head[:12]} and the current manifest; closure holds"
    )
    assert result.findings == []


def test_no_report_says_how_to_make_one(run_check: RunCheck) -> None:
    result = run_check(release_report, PARAMS)
    assert [(f.rule, f.location.path, f.message, f.fix_hint) for f in result.findings] == [
        (
            "release.missing_report",
            ".gates/report.json",
            "no release report at '.gates/report.json'",
            "make one with pytest --gates -m \"not gate(id='demo.gate')\", then run pytest "
            "--gates again",
        )
    ]


def test_a_report_for_another_commit_is_stale(
    report: Report, write: Write, run_check: RunCheck
) -> None:
    write("README.md", "more\n")
    git(report.root, "add", "README.md")
    git(report.root, "commit", "-q", "-m", "second")
    head = git(report.root, "rev-parse", "HEAD")
    assert found(run_check(release_report, PARAMS)) == [
        (
            "release.stale_commit",
            f"the report is for commit {report.head[:12]}, HEAD is {head[:12]}",
        )
    ]


def test_a_report_made_on_a_dirty_tree(report: Report, run_check: RunCheck) -> None:
    report.body["subject"]["dirty"] = True
    report.save()
    assert found(run_check(release_report, PARAMS)) == [
        (
            "release.dirty",
            f"the report was made on a work tree with uncommitted changes (commit {report.head[:12]})",
        )
    ]
    assert run_check(release_report, {**PARAMS, "allow_dirty": True}).passed


def test_a_report_for_another_manifest_is_stale(
    report: Report, write: Write, run_check: RunCheck
) -> None:
    old = report.body["manifest"]["digest"]
    new = file_digest(write("manifests/gates.yaml", "version: 1\nproject: changed\n"))
    assert found(run_check(release_report, PARAMS)) == [
        (
            "release.stale_manifest",
            f"the report is for manifest {old}, manifests/gates.yaml is now {new}",
        )
    ]


def test_every_other_gate_must_have_passed(report: Report, run_check: RunCheck) -> None:
    report.body["gates"][0]["verdict"] = "FAIL"
    report.body["gates"][1]["verdict"] = "BLOCKED"
    report.save()
    assert found(run_check(release_report, PARAMS)) == [
        ("release.gate_not_passed", "gate 'qa.lint' is FAIL in the report"),
        ("release.gate_not_passed", "gate 'qa.size' is BLOCKED in the report"),
    ]


def test_closure_metrics_over_the_limit_or_missing(report: Report, run_check: RunCheck) -> None:
    report.body["closure"] = {"open_blocking_issues": 2}
    report.save()
    assert found(run_check(release_report, PARAMS)) == [
        (
            "release.closure",
            "closure metric 'open_blocking_issues' is 2 in the report, at most 0 allowed",
        ),
        (
            "release.closure_missing",
            "the report has no closure metric 'undischarged_obligations' (no check published it)",
        ),
    ]


def test_a_report_whose_outputs_do_not_verify(report: Report, run_check: RunCheck) -> None:
    result = run_check(release_report, {"closure": CLOSURE})
    problems = verify_outputs(report.root / ".gates")
    assert problems
    assert sorted((f.rule, f.message) for f in result.findings) == sorted(
        ("release.unverified", problem) for problem in problems
    )


def test_a_report_that_is_not_one_means_the_check_cannot_run(
    report: Report, write: Write, run_check: RunCheck
) -> None:
    path = write(".gates/report.json", '{"schema": "pytest-gates/report/v1", "body": {}}')
    with pytest.raises(CheckError) as info:
        run_check(release_report, PARAMS)
    assert str(info.value) == (
        f"cannot read the release report '.gates/report.json': {path}: not a pytest-gates "
        "report: body.generator: Field required"
    )


def test_an_unreadable_report_means_the_check_cannot_run(
    report: Report, write: Write, run_check: RunCheck
) -> None:
    write(".gates/report.json", "{not json")
    with pytest.raises(CheckError, match=r"^cannot read the release report '.gates/report.json': "):
        run_check(release_report, PARAMS)


def test_a_refused_merge_is_no_release_report(
    report: Report, write: Write, run_check: RunCheck
) -> None:
    """A refusal names no manifest, so it is never current (and has no gates that passed)."""
    refused = refusal_report("pytest-gates 0.1", ["shard 2/2 is missing"], {})
    write(".gates/report.json", json.dumps(refusal_json(refused)))
    assert found(run_check(release_report, PARAMS)) == [
        (
            "release.closure_missing",
            "the report has no closure metric 'open_blocking_issues' (no check published it)",
        ),
        (
            "release.closure_missing",
            "the report has no closure metric 'undischarged_obligations' (no check published it)",
        ),
        (
            "release.stale_commit",
            f"the report is for commit none (not a git repository), HEAD is {report.head[:12]}",
        ),
        (
            "release.stale_manifest",
            f"the report is for manifest sha256:{'0' * 64}, manifests/gates.yaml is now "
            f"{report.body['manifest']['digest']}",
        ),
    ]
