"""The transition log with a memory: an event line for every action, a run that continues the last
decision's log (``--gates-log-from``), a merge that chains its shards' lines, and a run cut out of
the middle of the chain named exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.cli.main import main as cli
from pytest_gates.errors import EvidenceError
from pytest_gates.outputs.documents import LoggedTransition, Transition
from pytest_gates.outputs.merge import merge
from pytest_gates.outputs.translog import GENESIS, TransitionLog, verify_log
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.support.digest import canonical_json, sha256_bytes
from pytest_gates.trust import generate_key_pair
from tests.helpers import GatesProject, run_shards
from tests.signing_helpers import commit_all, gated, trust_file

ACTIONS = """\
version: 1
project: demo
gates:
  - id: net
    class: differential
    retry: {attempts: 3}
    checks: [{id: ping, kind: scripted, outcome: flaky, counter: n.txt, passes_on: 2}]
  - id: size
    class: structural
    blocking: false
    checks: [{id: lines, kind: scripted, outcome: fail}]
  - id: deploy
    class: semantic
    on_failure: rollback
    rollback: {run: [python, -c, "raise SystemExit(3)"]}
    checks: [{id: smoke, kind: scripted, outcome: fail}]
"""
SHARDED = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: a, kind: scripted}, {id: b, kind: scripted}]}
  - {id: perf, class: benchmark, suites: [gate_suites/perf]}
"""
PERF = "import pytest\n\n@pytest.mark.parametrize('n', range(4))\ndef test_p(n):\n    pass\n"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_every_action_gets_a_line_with_its_event(project: GatesProject) -> None:
    project.manifest(ACTIONS)
    assert project.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    logged = lines(project.root / ".gates" / "transitions.jsonl")
    assert [(e["event"], e["gate"]) for e in logged] == [
        ("retry", "net"),
        ("retry", "net"),
        ("state", "net"),
        ("state", "size"),
        ("degrade", "size"),
        ("state", "deploy"),
        ("rollback", "deploy"),
    ]
    assert [e["attempt"] for e in logged[:2]] == [
        {
            "nodeid": "manifests/gates.yaml::net::ping",
            "attempt": 1,
            "outcome": "failed",
            "summary": "attempt 1",
        },
        {
            "nodeid": "manifests/gates.yaml::net::ping",
            "attempt": 2,
            "outcome": "passed",
            "summary": "attempt 2",
        },
    ]
    assert logged[4]["to"] == "DEGRADED"
    assert logged[6]["rollback"] == {
        "run": ["python", "-c", "raise SystemExit(3)"],
        "exit_code": 3,
        "outcome": "failed",
    }
    state = logged[2]
    assert (
        state["evidence_body_sha256"]
        == project.report()["body"]["gates"][0]["evidence"]["body_sha256"]
    )
    assert {e["run"] for e in logged} == {1}
    assert verify_outputs(project.root / ".gates") == []


def test_a_run_continues_the_log_it_is_given(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(project)
    monkeypatch.chdir(project.root)
    project.run("--gates", "--gates-out", "first")
    first = (project.root / "first" / "transitions.jsonl").read_bytes()
    result = project.run(
        "--gates", "--gates-out", "second", "--gates-log-from", "first/transitions.jsonl"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    second = project.root / "second" / "transitions.jsonl"
    assert second.read_bytes().startswith(first)
    logged = lines(second)
    assert [(e["run"], e["gate"], e["from"], e["to"]) for e in logged] == [
        (1, "files", None, "PASS"),
        (1, "lint", None, "FAIL"),
        (2, "files", "PASS", "PASS"),
        (2, "lint", "FAIL", "FAIL"),
    ]
    assert verify_outputs(project.root / "second") == []
    # A folder whose log continues it already is continued as it is.
    project.run("--gates", "--gates-out", "second", "--gates-log-from", "first/transitions.jsonl")
    assert [e["run"] for e in lines(second)] == [1, 1, 2, 2, 3, 3]


def test_a_broken_log_or_another_history_is_not_continued(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(project)
    monkeypatch.chdir(project.root)
    project.run("--gates", "--gates-out", "first")
    project.run("--gates", "--gates-out", "other")
    missing = project.run("--gates", "--gates-log-from", "nothing.jsonl")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(
        [
            "ERROR: --gates-log-from: nothing.jsonl: no such log (expected a transitions.jsonl "
            "to continue)"
        ]
    )
    elsewhere = project.run(
        "--gates", "--gates-out", "other", "--gates-log-from", "first/transitions.jsonl"
    )
    assert elsewhere.ret == pytest.ExitCode.USAGE_ERROR
    elsewhere.stderr.fnmatch_lines(
        [
            f"ERROR: --gates-log-from: {project.root / 'other' / 'transitions.jsonl'}: this log "
            "does not continue first/transitions.jsonl (it differs at line 1); remove it or "
            "choose another --gates-out"
        ]
    )
    log = project.root / "first" / "transitions.jsonl"
    log.write_text(log.read_text().replace('"PASS"', '"FAIL"', 1))
    broken = project.run("--gates", "--gates-log-from", "first/transitions.jsonl")
    assert broken.ret == pytest.ExitCode.USAGE_ERROR
    broken.stderr.fnmatch_lines(
        [f"ERROR: --gates-log-from: cannot continue a broken log: {log}:2: chain broken: *"]
    )
    assert not (project.root / ".gates").exists()


def _rechain(entries: list[dict[str, Any]]) -> bytes:
    out = b""
    prev = GENESIS
    for seq, entry in enumerate(entries, start=1):
        line = canonical_json({**entry, "seq": seq, "prev": prev}).encode()
        out += line + b"\n"
        prev = sha256_bytes(line)
    return out


def test_a_run_cut_out_of_the_middle_is_named(project: GatesProject) -> None:
    gated(project)
    for _ in range(3):
        project.run("--gates")
    path = project.root / ".gates" / "transitions.jsonl"
    raw = path.read_bytes().splitlines(keepends=True)
    # Cut as it is: the chain breaks where run 3 starts.
    path.write_bytes(b"".join(raw[:2] + raw[4:]))
    with pytest.raises(EvidenceError) as cut:
        verify_log(path)
    assert str(cut.value) == (
        f"{path}:3: chain broken: prev is {sha256_bytes(raw[3].rstrip())!r}, "
        f"expected {sha256_bytes(raw[1].rstrip())!r} (a line before it was edited, deleted or "
        "reordered)"
    )
    # Cut and chained again: the run numbers still show the gap.
    entries = [json.loads(line) for line in raw]
    path.write_bytes(_rechain(entries[:2] + entries[4:]))
    with pytest.raises(EvidenceError) as rechained:
        verify_log(path)
    assert str(rechained.value) == f"{path}:3: run 3 follows run 1: run 2 was cut out of the chain"
    assert verify_outputs(project.root / ".gates") == [str(rechained.value)]


def test_lines_written_before_events_are_read_and_continued(tmp_path: Path) -> None:
    path = tmp_path / "transitions.jsonl"
    old = {
        "time": "2026-01-01T00:00:00.000000Z",
        "gate": "files",
        "from": None,
        "to": "PASS",
        "evidence": "evidence/files.json",
        "evidence_sha256": sha256_bytes(b"file"),
        "manifest_digest": sha256_bytes(b"manifest"),
        "commit": None,
        "seq": 1,
        "run": 1,
        "prev": GENESIS,
    }
    path.write_text(canonical_json(old) + "\n")
    (entry,) = verify_log(path)
    assert entry.event == "state"
    log = TransitionLog(path)
    assert log.last_states() == {"files": "PASS"}
    line = Transition.model_validate(
        {
            **{k: old[k] for k in ("time", "gate", "evidence", "manifest_digest", "commit")},
            "event": "state",
            "from": "PASS",
            "to": "FAIL",
            "evidence_body_sha256": sha256_bytes(b"body"),
        }
    )
    log.append([line])
    second = verify_log(path)[1]
    assert (second.run, second.from_, second.to) == (2, "PASS", "FAIL")
    assert "evidence_sha256" not in json.loads(path.read_bytes().splitlines()[1])


def test_a_log_verified_once_is_not_verified_again_unless_its_bytes_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_gates.outputs import translog

    path = tmp_path / "transitions.jsonl"
    log = TransitionLog(path)
    state = {
        "time": "2026-01-01T00:00:00.000000Z",
        "event": "state",
        "gate": "files",
        "from": None,
        "to": "PASS",
        "evidence": "evidence/files.json",
        "evidence_body_sha256": sha256_bytes(b"body"),
        "manifest_digest": sha256_bytes(b"manifest"),
        "commit": None,
    }
    log.append([Transition.model_validate(state)])
    log.append([Transition.model_validate({**state, "from": "PASS", "to": "FAIL"})])
    checked: list[int] = []
    real = translog._verify_lines
    monkeypatch.setattr(
        translog, "_verify_lines", lambda p, lines: checked.append(len(lines)) or real(p, lines)
    )
    first = verify_log(path)
    assert verify_log(path) == first
    assert log.last_states() == {"files": "FAIL"}
    assert len(checked) <= 1  # read four times, checked at most once
    # An edit of the same length, at once, is still caught: the bytes decide, not the file's time.
    path.write_bytes(path.read_bytes().replace(b'"to":"PASS"', b'"to":"FAIL"', 1))
    with pytest.raises(EvidenceError, match=":2: chain broken"):
        verify_log(path)
    # ... and nothing the log holds can be changed through what was read.
    with pytest.raises(ValueError, match="frozen"):
        first[0].to = "FAIL"  # type: ignore[misc]


def test_each_event_needs_its_own_fields() -> None:
    base = {
        "time": "t",
        "manifest_digest": GENESIS,
        "commit": None,
        "seq": 1,
        "run": 1,
        "prev": GENESIS,
    }
    with pytest.raises(ValueError, match="a retry line needs attempt"):
        LoggedTransition.model_validate({**base, "event": "retry", "gate": "net"})
    with pytest.raises(ValueError, match="a sign line needs signature"):
        LoggedTransition.model_validate({**base, "event": "sign"})
    with pytest.raises(ValueError, match="a state line needs gate, to, evidence, evidence_body"):
        LoggedTransition.model_validate(base)


@pytest.fixture
def shards(project: GatesProject, monkeypatch: pytest.MonkeyPatch) -> GatesProject:
    """Two shards that continue one earlier run's log, in a git work tree."""
    project.manifest(SHARDED)
    project.suite("gate_suites/perf", {"test_perf.py": PERF})
    generate_key_pair(project.root / "keys", "release")
    trust_file(project.root)
    commit_all(project.root)
    monkeypatch.chdir(project.root)
    project.run("--gates", "--gates-out", "before")
    run_shards(project, 2, "--gates-log-from", "before/transitions.jsonl")
    return project


def test_merge_chains_the_shards_lines_onto_their_common_log(shards: GatesProject) -> None:
    before = (shards.root / "before" / "transitions.jsonl").read_bytes()
    code, _ = merge([Path("shard2"), Path("shard1")], Path("merged"))
    assert code == 0
    merged = shards.root / "merged" / "transitions.jsonl"
    assert merged.read_bytes().startswith(before)
    logged = lines(merged)
    assert [(e["run"], e.get("shard"), e["gate"], e["from"]) for e in logged] == [
        (1, None, "files", None),
        (1, None, "perf", None),
        (2, 1, "files", "PASS"),
        (2, 1, "perf", "PASS"),
        (3, 2, "files", "PASS"),
        (3, 2, "perf", "PASS"),
        (4, None, "files", "PASS"),
        (4, None, "perf", "PASS"),
    ]
    for index in (1, 2):
        own = [e["to"] for e in logged if e.get("shard") == index]
        assert own == list(shards.verdicts(f"shard{index}").values())
    assert [e["to"] for e in logged[6:]] == ["PASS", "PASS"]
    assert verify_outputs(shards.root / "merged") == []


def test_merge_signs_with_a_key(shards: GatesProject, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(["merge", "shard1", "shard2", "--out", "merged", "--sign-key", "keys/release.key"]) == 0
    )
    assert "merged: signed by key " in capsys.readouterr().out
    assert cli(["verify", "merged", "--trust", "manifests/trust.yaml"]) == 0
    last = lines(shards.root / "merged" / "transitions.jsonl")[-1]
    assert (last["event"], last["run"]) == ("sign", 4)
