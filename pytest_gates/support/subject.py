"""The subject a run is about: the git commit and whether the work tree differs from it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Subject:
    commit: str | None
    dirty: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "dirty": self.dirty}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def find_subject(root: Path, ignore: Path | None = None) -> Subject:
    """HEAD and dirtiness of the repository at ``root``; ``(None, None)`` outside git.

    ``ignore`` (the output folder) does not count as a change, so writing the report does not make
    the next run's tree dirty.
    """
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    if head is None:
        return Subject(None, None)
    pathspec = ["--", "."]
    if ignore is not None:
        try:
            rel = ignore.resolve().relative_to(root.resolve()).as_posix()
            pathspec.append(f":(exclude){rel}")
        except ValueError:
            pass
    status = _git(root, "status", "--porcelain", *pathspec)
    return Subject(head.strip(), None if status is None else bool(status.strip()))


def now() -> datetime:
    """The current time, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc)


def isoformat(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
