"""The record a gate run keeps in its output folder until it has decided.

A process can end in ways no code of it sees: ``os._exit`` in a test, a SIGKILL, the kernel's
out-of-memory killer. ``atexit`` and ``finally`` do not run then, so a run cannot promise to
write "I crashed" at its end. It writes it at its start instead: before collection, the
controller writes :data:`INCOMPLETE_FILE` (atomically) into the output folder, saying that a run
started and has not decided; once the outputs of the run are written, it removes the record.
Whatever stops the run between the two leaves the record, and ``pytest-gates verify`` refuses a
folder that holds one (``INCOMPLETE``), whatever ``report.json`` (an older run's) says. The
controller turns an ``os._exit(0)`` of its own process into status 3 until it decided
(:mod:`pytest_gates.session.crashguard`), but what no Python code sees can still exit 0, so a
caller treats a missing report, or a folder ``verify`` calls INCOMPLETE, as NO_GO; the
generated workflow and ``.ci/run`` run ``verify`` after the gates.

A check of the running session may read the folder's earlier report (the ``release_report``
kind does): the record names the run (``run``), and a process of that run (the controller and
its xdist workers, which inherit :data:`RUN_ENV`) does not count its own record as a problem.

The record (``schema: pytest-gates/incomplete-run/v1``)::

    {"schema": "pytest-gates/incomplete-run/v1", "decision": "INCOMPLETE", "run": "<id>",
     "started": "2026-01-01T00:00:00Z", "pid": 1234, "reason": "..."}
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, Final

from pytest_gates.support.atomic import atomic_write

#: The record's file in the output folder.
INCOMPLETE_FILE: Final = "run.incomplete.json"
#: The ``schema`` of the record.
INCOMPLETE_SCHEMA: Final = "pytest-gates/incomplete-run/v1"
#: The environment variable that names the running session (its record's ``run``).
RUN_ENV: Final = "PYTEST_GATES_RUN"
#: What a reader of the record must do with it.
TREAT_AS: Final = "treat it as NO_GO"


def new_run_id() -> str:
    """A fresh id for a run's record."""
    return uuid.uuid4().hex


def incomplete_record(run: str, started: str, pid: int | None = None) -> dict[str, Any]:
    """The record of run ``run`` that started at ``started`` (ISO 8601) in process ``pid``."""
    pid = os.getpid() if pid is None else pid
    return {
        "schema": INCOMPLETE_SCHEMA,
        "decision": "INCOMPLETE",
        "run": run,
        "started": started,
        "pid": pid,
        "reason": (
            f"the gate run that started at {started} (pid {pid}) did not finish: no decision "
            "was written (a crash, a kill, or os._exit in the process that ran the gates); "
            f"{TREAT_AS}"
        ),
    }


def mark_incomplete(outdir: Path, run: str, started: str) -> None:
    """Write the record of a run that has not decided yet into the output folder."""
    data = json.dumps(incomplete_record(run, started), indent=2, sort_keys=True) + "\n"
    atomic_write(outdir / INCOMPLETE_FILE, data.encode())


def clear_incomplete(outdir: Path) -> None:
    """The run decided and its outputs are written: remove its record."""
    (outdir / INCOMPLETE_FILE).unlink(missing_ok=True)


def incomplete_reason(outdir: Path) -> str | None:
    """The problem ``verify`` names when the output folder holds the record of a run that did
    not finish; None when it holds none, or only the record of the run this process is part
    of."""
    path = outdir / INCOMPLETE_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        data = {}
    run = data.get("run")
    if isinstance(run, str) and run and run == os.environ.get(RUN_ENV):
        return None  # this session's own record: it has not decided yet, and knows it
    reason = data.get("reason")
    if not isinstance(reason, str):
        reason = f"a gate run did not finish: no decision was written; {TREAT_AS}"
    return f"{path}: INCOMPLETE: {reason}"
