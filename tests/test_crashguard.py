"""The INCOMPLETE record (issue 15): a run says it has not decided until it has, so a crash that
no code sees (``os._exit``, SIGKILL) leaves a folder that ``verify`` refuses, never the last
run's decision. The crashes themselves are rows of tests/test_faults.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NoReturn

import pytest

from pytest_gates.cli.main import main
from pytest_gates.outputs.incomplete import INCOMPLETE_FILE, incomplete_record
from pytest_gates.outputs.merge import MergeRefused, load_shard
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.session.crashguard import guard_exit
from tests.helpers import GatesProject

MANIFEST = (
    "version: 1\nproject: demo\ngates:\n  - {id: look, class: structural, suites: [suites/look/]}\n"
)
#: A suite test that writes down what it sees of the output folder while the run is going on.
LOOK = """\
import json
import os
from pathlib import Path

from pytest_gates.outputs.verify import verify_outputs


def test_look():
    record = Path(".gates/run.incomplete.json")
    seen = {
        "record": json.loads(record.read_text()) if record.exists() else None,
        "run": os.environ.get("PYTEST_GATES_RUN"),
        "verify": verify_outputs(Path(".gates")),
    }
    Path("seen.json").write_text(json.dumps(seen))
"""


@pytest.fixture
def looking(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite("suites/look", {"test_look.py": LOOK})
    return project


def seen(project: GatesProject) -> dict[str, object]:
    data: dict[str, object] = json.loads((project.root / "seen.json").read_text())
    return data


@pytest.mark.parametrize("dist", [("-p", "no:xdist"), ("-n", "2")], ids=["no-xdist", "n2"])
def test_the_record_stands_while_the_run_runs_and_is_gone_once_it_decided(
    looking: GatesProject, dist: tuple[str, ...]
) -> None:
    assert looking.run(*dist, "--gates").ret == pytest.ExitCode.OK  # a first decision
    assert looking.run(*dist, "--gates").ret == pytest.ExitCode.OK
    during = seen(looking)
    record = during["record"]
    assert isinstance(record, dict)
    assert record["schema"] == "pytest-gates/incomplete-run/v1"
    assert record["decision"] == "INCOMPLETE"
    assert record["run"] == during["run"]  # the workers know which run they are part of
    assert during["verify"] == []  # its own record does not stop a check reading the folder
    assert not (looking.root / ".gates" / INCOMPLETE_FILE).exists()
    assert verify_outputs(looking.root / ".gates") == []


def test_a_record_left_by_a_run_that_died_is_refused_until_a_run_decides(
    looking: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert looking.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.OK
    outdir = looking.root / ".gates"
    record = incomplete_record("dead-run", "2026-01-01T00:00:00Z", pid=4242)
    (outdir / INCOMPLETE_FILE).write_text(json.dumps(record))
    message = (
        f"{outdir / INCOMPLETE_FILE}: INCOMPLETE: the gate run that started at "
        "2026-01-01T00:00:00Z (pid 4242) did not finish: no decision was written (a crash, a "
        "kill, or os._exit in the process that ran the gates); treat it as NO_GO"
    )
    assert verify_outputs(outdir) == [message]
    capsys.readouterr()
    assert main(["verify", str(outdir)]) == 1
    assert message in capsys.readouterr().err
    assert looking.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.OK
    assert verify_outputs(outdir) == []


def test_an_unreadable_record_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / INCOMPLETE_FILE).write_text("{not json")
    assert verify_outputs(tmp_path) == [
        f"{tmp_path / INCOMPLETE_FILE}: INCOMPLETE: a gate run did not finish: no decision was "
        "written; treat it as NO_GO"
    ]


def test_collect_only_writes_no_record(looking: GatesProject) -> None:
    looking.run("-p", "no:xdist", "--gates", "--collect-only")
    assert not (looking.root / ".gates" / INCOMPLETE_FILE).exists()


class Exited(Exception):
    """What the stand-in for the real ``os._exit`` raises."""


def _real_exit(status: int) -> NoReturn:
    raise Exited(status)


@pytest.mark.parametrize(
    ("status", "same_process", "exits_with"),
    [(0, True, 3), (1, True, 1), (0, False, 0), (7, False, 7)],
    ids=["zero-here", "one-here", "zero-in-a-fork", "seven-in-a-fork"],
)
def test_until_it_decided_the_run_never_exits_zero_from_its_own_process(
    status: int, same_process: bool, exits_with: int
) -> None:
    pid = os.getpid() if same_process else os.getpid() + 1
    with pytest.raises(Exited) as exited:
        guard_exit(_real_exit, pid)(status)
    assert exited.value.args == (exits_with,)


def test_the_real_os_exit_is_back_after_the_session(looking: GatesProject) -> None:
    real = os._exit
    assert looking.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.OK
    assert os._exit is real


def test_merge_refuses_a_shard_whose_run_died(looking: GatesProject) -> None:
    looking.manifest(
        MANIFEST + "  - {id: more, class: structural, checks: [{id: a, kind: scripted}]}\n"
    )
    for shard in (1, 2):
        args = ("-p", "no:xdist", "--gates", f"--gates-shard={shard}/2", f"--gates-out=s{shard}")
        assert looking.run(*args).ret == pytest.ExitCode.OK
    record = incomplete_record("dead-shard", "2026-01-01T00:00:00Z", pid=7)
    (looking.root / "s2" / INCOMPLETE_FILE).write_text(json.dumps(record))
    with pytest.raises(MergeRefused) as refused:
        load_shard(looking.root / "s2")
    [problem] = refused.value.problems
    assert problem.startswith(f"{looking.root / 's2'}: {looking.root / 's2' / INCOMPLETE_FILE}: ")
    assert problem.endswith("treat it as NO_GO")
