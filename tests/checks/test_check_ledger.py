"""The ``ledger`` kind: issue status and dependency checks."""

from __future__ import annotations

import pytest

from pytest_gates.checks.ledger import ledger
from pytest_gates.errors import CheckError
from pytest_gates.sources.ledger import find_cycles
from pytest_gates.sources.models import Issue
from tests.checks.conftest import RunCheck, Write

LEDGER = """\
version: 1
milestones:
  - {id: m1, release: "1.0"}
  - {id: m2, release: "2.0"}
issues:
  - {id: 1, status: closed, milestone: m1, blocks_release: true}
  - {id: 2, status: closed, milestone: m1, blocks_release: true, depends_on: [1]}
  - {id: 3, status: open, milestone: m2, blocks_release: true, depends_on: [2]}
  - {id: 4, status: open, milestone: m1}
"""


def messages(result: object) -> list[tuple[str, int | None, str | None, str]]:
    findings = result.findings  # type: ignore[attr-defined]
    return [(f.rule, f.location.line, f.location.pointer, f.message) for f in findings]


def test_a_ledger_whose_blockers_are_closed_passes(write: Write, run_check: RunCheck) -> None:
    write("gates/ledger.yaml", LEDGER)
    result = run_check(ledger, {"ledger": "gates/ledger.yaml", "release": "1.0"})
    assert result.passed
    assert result.summary == "4 issues; 0 open issues blocking release 1.0"
    assert result.details == {
        "issues": 4,
        "release": "1.0",
        "closure": {"open_blocking_issues": 0},
    }


def test_an_open_blocker_of_the_release_is_a_finding_and_counts_in_the_closure(
    write: Write, run_check: RunCheck
) -> None:
    write(
        "gates/ledger.yaml", LEDGER.replace("{id: 2, status: closed", "{id: 2, status: in_progress")
    )
    result = run_check(ledger, {"ledger": "gates/ledger.yaml", "release": "1.0"})
    assert not result.passed
    assert messages(result) == [
        (
            "ledger.open_blocker",
            7,
            "/issues/1/status",
            "issues[id='2'].status: issue '2' blocks release 1.0 and is in_progress; expected closed",
        )
    ]
    assert result.findings[0].location.path == "gates/ledger.yaml"
    assert result.findings[0].fix_hint == "close the issue, or move it to a later milestone"
    assert result.details["closure"] == {"open_blocking_issues": 1}
    assert result.summary == "4 issues; 1 open issue blocking release 1.0; 1 violation"


def test_without_a_release_every_blocking_issue_counts(write: Write, run_check: RunCheck) -> None:
    write("gates/ledger.yaml", LEDGER)
    result = run_check(ledger, {"ledger": "gates/ledger.yaml"})
    assert messages(result) == [
        (
            "ledger.open_blocker",
            8,
            "/issues/2/status",
            "issues[id='3'].status: issue '3' blocks the release and is open; expected closed",
        )
    ]


def test_a_blocker_without_a_milestone_blocks_every_release(
    write: Write, run_check: RunCheck
) -> None:
    write("l.yaml", "version: 1\nissues:\n  - {id: x, status: open, blocks_release: true}\n")
    result = run_check(ledger, {"ledger": "l.yaml", "release": "9"})
    assert [f.rule for f in result.findings] == ["ledger.open_blocker"]


def test_a_closed_issue_that_depends_on_an_open_one(write: Write, run_check: RunCheck) -> None:
    write("gates/ledger.yaml", LEDGER.replace("{id: 1, status: closed", "{id: 1, status: open"))
    result = run_check(ledger, {"ledger": "gates/ledger.yaml", "release": "1.0"})
    assert messages(result) == [
        (
            "ledger.open_blocker",
            6,
            "/issues/0/status",
            "issues[id='1'].status: issue '1' blocks release 1.0 and is open; expected closed",
        ),
        (
            "ledger.closed_depends_on_open",
            7,
            "/issues/1/depends_on/0",
            "issues[id='2'].depends_on[0]: issue '2' is closed but depends on issue '1', which is open",
        ),
    ]


def test_unknown_dependencies_milestones_duplicates_and_cycles(
    write: Write, run_check: RunCheck
) -> None:
    write(
        "l.yaml",
        """\
        version: 1
        milestones: [{id: m1, release: "1"}]
        issues:
          - {id: a, status: closed, depends_on: [b]}
          - {id: b, status: closed, depends_on: [a, ghost]}
          - {id: c, status: closed, milestone: m9, depends_on: [c]}
          - {id: a, status: closed}
        """,
    )
    result = run_check(ledger, {"ledger": "l.yaml"})
    assert messages(result) == [
        (
            "ledger.cycle",
            4,
            "/issues/0/depends_on/0",
            "issues[id='a'].depends_on[0]: dependency cycle: a -> b -> a",
        ),
        (
            "ledger.unknown_dependency",
            5,
            "/issues/1/depends_on/1",
            "issues[id='b'].depends_on[1]: expected the id of an issue in this ledger (a, b, c), "
            "found 'ghost'",
        ),
        (
            "ledger.cycle",
            6,
            "/issues/2/depends_on/0",
            "issues[id='c'].depends_on[0]: dependency cycle: c -> c",
        ),
        (
            "ledger.unknown_milestone",
            6,
            "/issues/2/milestone",
            "issues[id='c'].milestone: expected the id of a milestone in this ledger (m1), found 'm9'",
        ),
        (
            "ledger.duplicate_issue",
            7,
            "/issues/3/id",
            "issues[id='a'].id: duplicate issue id 'a' (first defined at issues[0])",
        ),
    ]


def test_each_cycle_is_reported_once() -> None:
    issues = [
        Issue(id="a", status="open", depends_on=["b"]),
        Issue(id="b", status="open", depends_on=["c"]),
        Issue(id="c", status="open", depends_on=["a"]),
        Issue(id="d", status="open", depends_on=["b"]),
    ]
    assert find_cycles(issues) == [["a", "b", "c", "a"]]


def test_an_invalid_ledger_means_the_check_cannot_run(write: Write, run_check: RunCheck) -> None:
    write("l.yaml", "version: 1\nissues:\n  - {id: 1, status: done}\n")
    with pytest.raises(CheckError) as info:
        run_check(ledger, {"ledger": "l.yaml"})
    assert str(info.value) == (
        "l.yaml:3: issues[id='1'].status: expected 'open', 'in_progress' or 'closed', found 'done'"
    )
