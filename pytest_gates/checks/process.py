"""Running a tool from a check: in its own process group, killed whole on a timeout or an
interrupt, and the tail of its output for a message."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Lines of a tool's output kept in a check's message.
OUTPUT_TAIL_LINES: Final = 60

#: What varies between two runs of the same tool on the same inputs, and what stands for it in
#: the evidence body: wall-clock durations (pytest's ``3 passed in 3.46s (0:00:03)``, a tool's
#: ``12.5ms``), process ids and memory addresses.
_VOLATILE: Final = (
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?s \(\d+:\d\d:\d\d\)"), "<duration>"),
    (re.compile(r"(?<![\w.])\d+\.\d+ ?(?:s|ms|us|µs|ns|sec|secs|seconds)\b"), "<duration>"),
    (re.compile(r"\b(in|took|after) \d+ ?(?:s|ms|sec|secs|seconds)\b"), r"\1 <duration>"),
    (re.compile(r"\b(pid|PID|process)([ =:]+)\d+\b"), r"\1\2<pid>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<address>"),
    # A heading padded to the terminal's width around a replaced duration: pytest's
    # "===== 3 passed in 3.46s =====" is as long as the time it names.
    (re.compile(r"^([=_-])\1{2,} (.+?) \1{3,}$", re.MULTILINE), r"\1\1\1 \2 \1\1\1"),
)


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


def reproducible(text: str, *folders: Path) -> str:
    """``text`` as the same inputs always give it, for an evidence body: the first of ``folders``
    (the rootdir) written ``<rootdir>``, the others (scratch folders) ``<tmp>``; durations,
    process ids and memory addresses replaced by placeholders."""
    for placeholder, folder in _placeholders(folders):
        text = text.replace(folder, placeholder)
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _placeholders(folders: Sequence[Path]) -> list[tuple[str, str]]:
    pairs: dict[str, str] = {}
    for index, folder in enumerate(folders):
        placeholder = "<rootdir>" if index == 0 else "<tmp>"
        for spelling in {str(folder), str(folder.resolve())}:
            pairs.setdefault(spelling, placeholder)
    # Longest first: a scratch folder inside the rootdir keeps its own placeholder.
    return sorted(((p, f) for f, p in pairs.items()), key=lambda pair: -len(pair[1]))


def output_tail(*texts: str, lines: int = OUTPUT_TAIL_LINES) -> str:
    """The last ``lines`` lines of the given outputs, joined."""
    joined = "\n".join(text.rstrip("\n") for text in texts if text.strip())
    return "\n".join(joined.splitlines()[-lines:])
