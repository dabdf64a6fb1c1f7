"""Degradation with a memory: the persistent log counts a gate's DEGRADED runs in a row, a PASS
resets the count, and the run that would exceed ``degrade.max_consecutive`` is FAIL
(``degrade.threshold``), naming the runs. Sharded runs and their merge apply the same rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.chain import PastRun, fold_gate, memory_record
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import LoggedTransition
from pytest_gates.outputs.memory import degraded_streaks
from pytest_gates.outputs.merge import merge
from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject, run_shards

#: An advisory gate whose only check always fails with a minor finding: it always degrades.
ALWAYS_DEGRADING = """\
version: 1
project: demo
defaults: {degrade: {max_consecutive: 3}}
gates:
  - id: size
    class: structural
    blocking: false
    checks: [{id: lines, kind: file_size, paths: ["src/*.py"], max_lines: 2}]
  - id: review
    class: semantic
    needs: [size]
    checks: [{id: ok, kind: scripted}]
"""
MOMENT = "2026-01-01T00:00:00.000000Z"


@pytest.fixture
def degrading(project: GatesProject, monkeypatch: pytest.MonkeyPatch) -> GatesProject:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    project.manifest(ALWAYS_DEGRADING)
    (project.root / "src").mkdir()
    (project.root / "src" / "big.py").write_text("a = 1\nb = 2\nc = 3\n")
    return project


def test_four_runs_of_an_always_degrading_gate_end_in_fail(degrading: GatesProject) -> None:
    seen = []
    for _ in range(4):
        degrading.run("--gates")
        seen.append(degrading.verdicts())
    assert [v["size"] for v in seen] == ["DEGRADED", "DEGRADED", "DEGRADED", "FAIL"]
    assert [v["review"] for v in seen] == ["PASS", "PASS", "PASS", "BLOCKED"]
    body = degrading.evidence("size")["body"]
    assert body["reason"] == (
        f"degrade.threshold: DEGRADED in the 3 runs before this one (run 1 at {MOMENT}, run 2 at "
        f"{MOMENT}, run 3 at {MOMENT}), and degrade.max_consecutive is 3: a PASS resets the "
        "count; 1 item failed; first: lines: 1 of 1 file over 2 lines"
    )
    report = degrading.report()["body"]
    assert report["decision"] == "NO_GO"
    # The memory is in the evidence, so the outputs verify on their own.
    assert verify_outputs(degrading.root / ".gates") == []


def test_the_exit_status_fails_once_the_threshold_is_passed(degrading: GatesProject) -> None:
    codes = [degrading.run("--gates").ret for _ in range(4)]
    assert codes == [pytest.ExitCode.OK] * 3 + [pytest.ExitCode.TESTS_FAILED]


def test_a_pass_resets_the_count_and_a_fail_does_not(degrading: GatesProject) -> None:
    big = degrading.root / "src" / "big.py"
    verdicts = []
    for fits in (False, False, True, False, False, False, False, False):
        big.write_text("a = 1\n" if fits else "a = 1\nb = 2\nc = 3\n")
        degrading.run("--gates")
        verdicts.append(degrading.verdicts()["size"])
    assert verdicts == [
        "DEGRADED",
        "DEGRADED",
        "PASS",
        "DEGRADED",
        "DEGRADED",
        "DEGRADED",
        "FAIL",  # the fourth in a row since the PASS
        "FAIL",  # a FAIL does not reset it: only a PASS does
    ]


def test_a_gate_may_set_its_own_limit(degrading: GatesProject) -> None:
    degrading.manifest(
        ALWAYS_DEGRADING.replace(
            "blocking: false\n", "blocking: false\n    degrade: {max_consecutive: 1}\n"
        )
    )
    for _ in range(2):
        degrading.run("--gates")
    assert degrading.verdicts()["size"] == "FAIL"
    assert degrading.evidence("size")["body"]["reason"].startswith(
        f"degrade.threshold: DEGRADED in the 1 runs before this one (run 1 at {MOMENT}), and "
        "degrade.max_consecutive is 1"
    )


def test_merged_shards_apply_the_same_rule(
    degrading: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(degrading.root)
    for _ in range(3):
        degrading.run("--gates", "--gates-out", "before")
    run_shards(degrading, 2, "--gates-log-from", "before/transitions.jsonl")
    code, report = merge([Path("shard1"), Path("shard2")], Path("merged"))
    gates = {g["id"]: g for g in report["body"]["gates"]}
    assert (code, gates["size"]["verdict"]) == (1, "FAIL")
    assert gates["size"]["reason"].startswith(
        f"degrade.threshold: DEGRADED in the 3 runs before this one (run 1 at {MOMENT}, run 2 at "
        f"{MOMENT}, run 3 at {MOMENT})"
    )
    assert verify_outputs(degrading.root / "merged") == []


def _state(run: int, gate: str, to: str, shard: int | None = None) -> LoggedTransition:
    return LoggedTransition.model_validate(
        {
            "time": f"t{run}",
            "gate": gate,
            "to": to,
            "evidence": f"evidence/{gate}.json",
            "evidence_body_sha256": "sha256:" + "1" * 64,
            "manifest_digest": "sha256:" + "2" * 64,
            "commit": None,
            "seq": run,
            "run": run,
            "prev": "sha256:" + "0" * 64,
            **({"shard": shard} if shard else {}),
        }
    )


def test_streaks_count_degraded_since_the_last_pass_and_skip_shard_lines() -> None:
    entries = [
        _state(1, "a", "DEGRADED"),
        _state(2, "a", "PASS"),
        _state(3, "a", "DEGRADED"),
        _state(4, "a", "NOT_RUN"),
        _state(5, "a", "DEGRADED", shard=1),
        _state(6, "a", "DEGRADED"),
        _state(6, "b", "FAIL"),
    ]
    assert degraded_streaks(entries) == {"a": (PastRun(3, "t3"), PastRun(6, "t6"))}


def test_fold_gate_reads_the_memory_from_its_record() -> None:
    failed = ItemRecord(nodeid="m::g::c", gate="g", check="c", outcome="degraded", message="x")
    memory = memory_record("g", [PastRun(1, "t1"), PastRun(2, "t2")], 2)
    folded = fold_gate("g", [], True, [failed, memory], {}, ["g"])
    assert (folded.verdict, folded.counts) == ("FAIL", {"degraded": 1})
    assert folded.reason == (
        "degrade.threshold: DEGRADED in the 2 runs before this one (run 1 at t1, run 2 at t2), "
        "and degrade.max_consecutive is 2: a PASS resets the count; 1 item failed; first: c: x"
    )
    passed = failed.model_copy(update={"outcome": "passed", "message": ""})
    assert fold_gate("g", [], True, [passed, memory], {}, ["g"]).verdict == "PASS"
