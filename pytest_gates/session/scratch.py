"""The scratch directory each check attempt is given, made cheaply.

Removing a directory costs milliseconds on some file systems (about 3 ms on the CI machine's
disk, against 0.1 ms to make one), which for the many checks that never write a scratch file was
most of their cost. So each process keeps one scratch directory and hands it to the next attempt
while it is still empty; an attempt that leaves files in it gets it removed and the next attempt
a fresh one. Every attempt still starts in an empty directory of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Final

import pytest

PREFIX: Final = "gates-scratch-"


class Scratch:
    """One process's scratch directory, reused while attempts leave it empty."""

    def __init__(self) -> None:
        self._path: Path | None = None

    def take(self) -> Path:
        """An empty directory for one attempt; :meth:`give_back` it afterwards."""
        # give_back found the kept directory there and empty: no need to look again.
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix=PREFIX))
        return self._path

    def give_back(self) -> None:
        """End an attempt: keep the directory if it is still empty, else remove it."""
        path = self._path
        if path is None:
            return
        try:
            with os.scandir(path) as entries:
                empty = next(entries, None) is None
        except OSError:
            empty = False
        if not empty:
            self._path = None
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Remove the directory (at the end of the session)."""
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


SCRATCH_KEY: Final = pytest.StashKey[Scratch]()


def scratch_of(config: pytest.Config) -> Scratch:
    """The process's :class:`Scratch`, made on first use and removed when pytest unconfigures."""
    scratch = config.stash.get(SCRATCH_KEY, None)
    if scratch is None:
        scratch = config.stash[SCRATCH_KEY] = Scratch()
        config.add_cleanup(scratch.close)
    return scratch
