"""Fault injection (issue 15): every fault, one table, run with ``-n 0`` and with ``-n 2``.

Each row puts one fault into the gate ``faulty`` of a three-gate project: ``ok`` (independent,
passes), ``faulty``, and ``after`` (needs ``faulty``; its test writes a file if it ever runs).
Both runs must end with a non-zero exit, the row's verdicts (the same under ``-n 0`` and
``-n 2``), ``after``'s test never run, and outputs that ``verify`` accepts.

A fault that ends the process running the items (``os._exit``, SIGKILL of itself) cannot leave
verdicts under ``-n 0``, where that process is the one that writes them: there the run leaves
the INCOMPLETE record, ``verify`` refuses the folder, and the exit status is non-zero (the
killing signal's, the status asked for, or 3 for ``os._exit(0)``, which the controller guards
until it decided). Under ``-n 2`` the controller outlives the worker and the gate is ERROR.

The next fault found is a new row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PASSING = "def test_ok():\n    assert True\n"
AFTER = (
    "from pathlib import Path\n\n\ndef test_after():\n"
    "    Path(__file__).parents[2].joinpath('after-ran').write_text('yes')\n"
)
SUITE_GATE = "{id: faulty, class: structural, suites: [suites/faulty/], timeout: 3}"
CRASHED = {"ok": "PASS", "faulty": "ERROR", "after": "BLOCKED"}


@dataclass(frozen=True)
class Fault:
    """One fault: the files of ``suites/faulty/`` (or the gate's declaration), and the verdicts."""

    name: str
    files: dict[str, str] = field(default_factory=dict)
    gate: str = SUITE_GATE
    verdicts: dict[str, str] = field(default_factory=lambda: dict(CRASHED))
    #: The fault ends the process that runs the items (no verdicts under -n 0).
    kills: bool = False
    #: The exit status under -n 0 when ``kills``.
    exit_n0: int = 0


def _test(body: str) -> dict[str, str]:
    return {"test_faulty.py": f"import os, signal, sys, time\n\n\ndef test_faulty():\n    {body}\n"}


FAULTS = [
    Fault("raise", _test("raise RuntimeError('boom')"), verdicts={**CRASHED, "faulty": "FAIL"}),
    Fault("timeout", _test("time.sleep(60)")),
    Fault("sys.exit", _test("sys.exit(3)"), verdicts={**CRASHED, "faulty": "FAIL"}),
    Fault("os._exit(0)", _test("os._exit(0)"), kills=True, exit_n0=3),
    Fault("os._exit(1)", _test("os._exit(1)"), kills=True, exit_n0=1),
    Fault("sigkill", _test("os.kill(os.getpid(), signal.SIGKILL)"), kills=True, exit_n0=-9),
    Fault("syntax error", {"test_faulty.py": "def test_faulty(:\n    pass\n"}),
    Fault("empty suite", {"README.txt": "no tests here\n"}),
    Fault(
        "failing conftest",
        {"conftest.py": "raise ImportError('no such fixture module')\n", **_test("pass")},
    ),
    Fault(
        "missing program",
        gate="{id: faulty, class: structural, timeout: 10, "
        "checks: [{id: tool, kind: command, run: [no-such-program-pytest-gates]}]}",
    ),
    Fault(
        "huge output",
        gate="{id: faulty, class: structural, timeout: 60, checks: [{id: tool, kind: command, "
        "run: [python, -c, \"import sys; sys.stdout.write('x' * 20_000_000); sys.exit(1)\"]}]}",
        verdicts={**CRASHED, "faulty": "FAIL"},
    ),
]


def build(project: GatesProject, fault: Fault) -> None:
    project.manifest(
        "version: 1\nproject: faults\ngates:\n"
        "  - {id: ok, class: structural, suites: [suites/ok/], timeout: 60}\n"
        f"  - {fault.gate}\n"
        "  - {id: after, class: structural, needs: [faulty], suites: [suites/after/], "
        "timeout: 60}\n"
    )
    project.suite("suites/ok", {"test_ok.py": PASSING})
    project.suite("suites/after", {"test_after.py": AFTER})
    (project.root / "suites" / "faulty").mkdir(parents=True, exist_ok=True)
    project.suite("suites/faulty", fault.files)


def run(project: GatesProject, *args: str) -> tuple[int, dict[str, str] | None, list[str]]:
    """The exit status, the verdicts (None without a decided report) and verify's problems."""
    outdir = project.root / ".gates"
    result = project.run_subprocess("--gates", *args)
    report = outdir / "report.json"
    verdicts = project.verdicts() if report.exists() else None
    problems = verify_outputs(outdir)
    return result.ret, verdicts, problems


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_every_fault_ends_in_a_decision_or_a_refused_record(
    project: GatesProject, fault: Fault
) -> None:
    build(project, fault)
    code, verdicts, problems = run(project, "-n", "2")
    assert code != 0
    assert verdicts == fault.verdicts
    assert problems == []
    assert not (project.root / "after-ran").exists()

    (project.root / ".gates" / "report.json").unlink()
    code, verdicts_n0, problems = run(project, "-p", "no:xdist")
    assert not (project.root / "after-ran").exists()
    if not fault.kills:
        assert code != 0
        assert verdicts_n0 == verdicts
        assert problems == []
        return
    assert code == fault.exit_n0
    record = project.root / ".gates" / "run.incomplete.json"
    assert len(problems) == 1
    assert problems[0].startswith(f"{record}: INCOMPLETE: the gate run that started at ")
    assert problems[0].endswith(
        "did not finish: no decision was written (a crash, a kill, or os._exit in the process "
        "that ran the gates); treat it as NO_GO"
    )
