"""Atomic writes keep the mode a file would have had: the umask's, or the replaced file's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_gates.support.atomic import atomic_write


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_a_new_file_gets_the_umasks_mode(tmp_path: Path) -> None:
    atomic_write(tmp_path / "report.json", b"{}")
    assert _mode(tmp_path / "report.json") == 0o644
    assert (tmp_path / "report.json").read_bytes() == b"{}"


@pytest.mark.usefixtures("umask_022")
def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "tox.ini"
    target.write_text("old")
    target.chmod(0o664)
    atomic_write(target, b"new")
    assert _mode(target) == 0o664
    assert target.read_text() == "new"


@pytest.mark.usefixtures("umask_022")
def test_an_explicit_mode_wins_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "gates.key"
    atomic_write(target, b"secret", mode=0o600)
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gates.key"]


def test_outputs_are_fsynced_and_the_workers_state_file_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evidence, logs and reports reach the disk (the file, then its folder's entry); the state
    an xdist controller publishes to its workers at each finished gate is only atomic (each
    fsync cost a millisecond per gate)."""
    from pytest_gates.distribute.xdist.progress import GateTracker

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    atomic_write(tmp_path / "report.json", b"{}")
    assert len(synced) == 2
    synced.clear()
    tracker = GateTracker(tmp_path / "state.json")
    tracker.publish()
    assert synced == []
    assert (tmp_path / "state.json").read_bytes() == tracker.progress.dump()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "state.json"]
