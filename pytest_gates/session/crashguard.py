"""The controller's promise that a run which ends without deciding says so.

See :mod:`pytest_gates.outputs.incomplete`: the record is written before collection and removed
once the outputs are written. This module holds the session's side: the run's id, published in
the environment for the processes of the run (xdist workers are started after the record is
written, and inherit it), and put back as it was at the end.

Until the run has decided, ``os._exit(0)`` called in the controller's own process (by an item,
under ``-n 0``) exits with :data:`UNDECIDED_STATUS` instead: a run that did not decide never
exits 0 (the INCOMPLETE record says why). A forked child (``multiprocessing``) has another pid and exits as it
asks; a SIGKILL or an abort already exits non-zero.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Final, NoReturn

import pytest

from pytest_gates.outputs.incomplete import (
    RUN_ENV,
    clear_incomplete,
    mark_incomplete,
    new_run_id,
)

#: The exit status of a process that asked for 0 before its run decided (pytest's
#: INTERNAL_ERROR: the run did not end as a run ends).
UNDECIDED_STATUS: Final = int(pytest.ExitCode.INTERNAL_ERROR)


def guard_exit(real: Callable[[int], NoReturn], pid: int) -> Callable[[int], NoReturn]:
    """``os._exit`` that, in process ``pid``, turns a status of 0 into :data:`UNDECIDED_STATUS`."""

    def _exit(status: int) -> NoReturn:
        if status == 0 and os.getpid() == pid:
            real(UNDECIDED_STATUS)
        real(status)

    return _exit


class RunRecord:
    """The INCOMPLETE record of one controller's run in ``outdir``."""

    def __init__(self, outdir: Path, started: str) -> None:
        self.outdir = outdir
        self.started = started
        self.run = new_run_id()
        #: The environment's value before this run set it (restored at the end).
        self._before: str | None = None
        self._active = False
        self._real_exit: Callable[[int], NoReturn] | None = None

    def start(self) -> None:
        """Write the record and name the run in the environment; a folder that cannot be
        written is a usage error before anything runs."""
        try:
            mark_incomplete(self.outdir, self.run, self.started)
        except OSError as exc:
            raise pytest.UsageError(
                f"could not write the gate outputs to {self.outdir}: {exc}"
            ) from None
        self._before = os.environ.get(RUN_ENV)
        os.environ[RUN_ENV] = self.run
        self._active = True
        self._real_exit = os._exit
        setattr(os, "_exit", guard_exit(self._real_exit, os.getpid()))  # noqa: B010

    def decided(self) -> None:
        """The run's outputs are written: remove the record."""
        if self._active:
            clear_incomplete(self.outdir)
            self._unguard()

    def _unguard(self) -> None:
        if self._real_exit is not None:
            setattr(os, "_exit", self._real_exit)  # noqa: B010
            self._real_exit = None

    def close(self) -> None:
        """Put the environment back as it was before :meth:`start`."""
        if not self._active:
            return
        self._active = False
        self._unguard()
        if self._before is None:
            os.environ.pop(RUN_ENV, None)
        else:
            os.environ[RUN_ENV] = self._before
