"""Running a tool from a check: in its own process group, killed whole on a timeout or an
interrupt, and the tail of its output for a message."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Lines of a tool's output kept in a check's message.
OUTPUT_TAIL_LINES: Final = 60


@dataclass(frozen=True)
class Completed:
    """How a subprocess ended: its exit code (negative: killed by that signal) and its output."""

    returncode: int
    stdout: str
    stderr: str


def run_process(
    args: Sequence[str] | str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    shell: bool = False,
    merge_stderr: bool = False,
) -> Completed:
    """Run a command in its own process group, so that a timeout or an interrupt ends all of it.

    Raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds, once everything is killed.
    """
    with subprocess.Popen(
        args,
        shell=shell,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        start_new_session=os.name == "posix",
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            # A grandchild holding the pipes open would otherwise outlive us and block the read.
            _kill_group(proc)
            proc.communicate()
            raise
    return Completed(
        returncode=proc.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=(err or b"").decode("utf-8", errors="replace"),
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def output_tail(*texts: str, lines: int = OUTPUT_TAIL_LINES) -> str:
    """The last ``lines`` lines of the given outputs, joined."""
    joined = "\n".join(text.rstrip("\n") for text in texts if text.strip())
    return "\n".join(joined.splitlines()[-lines:])
