"""The ``obligations`` kind: proof and evidence obligation checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_gates.checks.api import CheckContext, CheckResult
from pytest_gates.checks.obligations import obligations
from pytest_gates.support.digest import file_digest, tree_digest
from tests.checks.conftest import RunCheck, Write

PARAMS = {"registry": "gates/obligations.yaml", "capabilities": ["parse"]}


def found(result: CheckResult) -> list[tuple[str, int | None, str | None, str]]:
    return [(f.rule, f.location.line, f.location.pointer, f.message) for f in result.findings]


@pytest.fixture
def recorded(write: Write, check_ctx: CheckContext) -> Path:
    """A project with one obligation discharged by recorded, current evidence."""
    write("src/parse.py", "def parse(): ...\n")
    evidence = write("evidence/review.md", "reviewed\n")
    covers = tree_digest(check_ctx.rootdir, ["src/parse.py"]).digest
    return write(
        "gates/obligations.yaml",
        f"""\
        version: 1
        obligations:
          - id: parse.review
            capability: parse
            kind: review
            status: discharged
            covers: [src/parse.py]
            evidence:
              path: evidence/review.md
              sha256: {file_digest(evidence)}
              covers_sha256: {covers}
              command: [make, review]
          - id: other.thing
            capability: other
            kind: test
            status: open
        """,
    )


def test_current_recorded_evidence_discharges(recorded: Path, run_check: RunCheck) -> None:
    result = run_check(obligations, PARAMS)
    assert result.passed, result.findings
    assert result.summary == "1 obligation of parse discharged or validly waived"
    assert result.details["closure"] == {"undischarged_obligations": 0}


def test_obligations_of_other_capabilities_are_not_checked(
    recorded: Path, run_check: RunCheck
) -> None:
    result = run_check(obligations, {**PARAMS, "capabilities": ["other"]})
    assert found(result) == [
        (
            "obligation.open",
            16,
            "/obligations/1/status",
            "obligation 'other.thing' of capability 'other' is open (test); expected discharged "
            "or waived",
        )
    ]
    assert result.details["closure"] == {"undischarged_obligations": 1}
    assert result.summary == "1 of 1 obligation of other undischarged"


def test_changed_evidence_is_a_finding_with_both_digests(
    recorded: Path, write: Write, run_check: RunCheck
) -> None:
    old = file_digest(recorded.parent.parent / "evidence" / "review.md")
    new = file_digest(write("evidence/review.md", "edited after the review\n"))
    result = run_check(obligations, PARAMS)
    assert found(result) == [
        (
            "obligation.evidence_changed",
            10,
            "/obligations/0/evidence/sha256",
            f"obligation 'parse.review' of capability 'parse': evidence file 'evidence/review.md' "
            f"has {new}, the registry records {old}",
        )
    ]


def test_missing_evidence(recorded: Path, run_check: RunCheck) -> None:
    (recorded.parent.parent / "evidence" / "review.md").unlink()
    result = run_check(obligations, PARAMS)
    assert found(result) == [
        (
            "obligation.evidence_missing",
            9,
            "/obligations/0/evidence/path",
            "obligation 'parse.review' of capability 'parse': evidence file 'evidence/review.md' "
            "does not exist",
        )
    ]
    assert result.findings[0].fix_hint == "make it again (make review), and record its sha256"


def test_evidence_older_than_what_it_covers_is_stale(
    recorded: Path, write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    before = tree_digest(check_ctx.rootdir, ["src/parse.py"]).digest
    write("src/parse.py", "def parse(): return 1\n")
    after = tree_digest(check_ctx.rootdir, ["src/parse.py"]).digest
    result = run_check(obligations, PARAMS)
    assert found(result) == [
        (
            "obligation.evidence_stale",
            11,
            "/obligations/0/evidence/covers_sha256",
            f"obligation 'parse.review' of capability 'parse': the covered paths changed since "
            f"the evidence was made: recorded {before}, now {after}",
        )
    ]
    assert result.findings[0].fix_hint == (
        "make it again (make review), then record its sha256 and covers_sha256 "
        "(pytest-gates digest src/parse.py)"
    )


def test_covered_paths_that_are_gone(recorded: Path, run_check: RunCheck) -> None:
    (recorded.parent.parent / "src" / "parse.py").unlink()
    result = run_check(obligations, PARAMS)
    assert [f.rule for f in result.findings] == ["obligation.covers_missing"]
    assert result.findings[0].message.endswith("covered paths match no file: src/parse.py")


def _waived(write: Write, expires: str) -> None:
    write(
        "gates/obligations.yaml",
        f"""\
        version: 1
        obligations:
          - id: parse.proof
            capability: parse
            kind: proof
            status: waived
            waiver: {{reason: not worth it yet, approver: grace, expires: {expires}}}
        """,
    )


def test_a_waiver_holds_until_it_expires(
    write: Write, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    _waived(write, "2026-01-01")
    assert run_check(obligations, PARAMS).passed
    _waived(write, "2025-12-31")
    result = run_check(obligations, PARAMS)
    assert found(result) == [
        (
            "obligation.waiver_expired",
            7,
            "/obligations/0/waiver/expires",
            "obligation 'parse.proof' of capability 'parse': the waiver by grace expired on "
            "2025-12-31",
        )
    ]


def _command(write: Write, command: str, path: str = "") -> None:
    write(
        "gates/obligations.yaml",
        f"""\
        version: 1
        obligations:
          - id: parse.tests
            capability: parse
            kind: test
            status: discharged
            evidence: {{command: {command}{path}}}
        """,
    )


def test_command_evidence_runs_and_must_pass(write: Write, run_check: RunCheck) -> None:
    python = sys.executable
    _command(write, f"[{python}, -c, 'print(1)']")
    assert run_check(obligations, PARAMS).passed
    _command(write, f"[{python}, -c, 'import sys; print(\"boom\"); sys.exit(3)']")
    result = run_check(obligations, PARAMS)
    assert [(f.rule, f.location.pointer) for f in result.findings] == [
        ("obligation.evidence_failed", "/obligations/0/evidence/command")
    ]
    assert "evidence command exited with 3: " in result.findings[0].message
    assert "boom" in result.output


def test_command_evidence_must_write_its_file(write: Write, run_check: RunCheck) -> None:
    _command(write, f"[{sys.executable}, -c, 'pass']", ", path: out/junit.xml")
    result = run_check(obligations, PARAMS)
    assert found(result) == [
        (
            "obligation.evidence_missing",
            7,
            "/obligations/0/evidence/path",
            "obligation 'parse.tests' of capability 'parse': evidence command passed but did not "
            "write 'out/junit.xml'",
        )
    ]


def test_a_command_that_cannot_start_or_times_out(write: Write, run_check: RunCheck) -> None:
    _command(write, "[no-such-tool-here]")
    result = run_check(obligations, PARAMS)
    assert result.findings[0].message == (
        "obligation 'parse.tests' of capability 'parse': evidence command could not start "
        "(No such file or directory): no-such-tool-here"
    )
    _command(write, f"[{sys.executable}, -c, 'import time; time.sleep(5)'], timeout: 0.2")
    result = run_check(obligations, PARAMS)
    assert "evidence command timed out after 0.2 s" in result.findings[0].message
