"""Waiting for the gates an item needs ends at the run budget's deadline (issue 10, item 10)."""

from __future__ import annotations

import time
from pathlib import Path

from pytest_gates.distribute.xdist.progress import GateProgress, GateTracker, wait_for


def test_a_wait_for_a_gate_that_never_finishes_ends_at_the_deadline(tmp_path: Path) -> None:
    tracker = GateTracker(tmp_path / "progress.json")
    tracker.expect(["slow"])
    seen: list[GateProgress] = []

    def done(progress: GateProgress) -> bool:
        seen.append(progress)
        return "slow" in progress.finished

    progress = wait_for(tracker.path, done, deadline=time.time() - 1)
    assert progress.finished == set()
    assert not progress.abandoned
    assert len(seen) == 1  # read once, then the deadline had passed


def test_without_a_deadline_the_wait_ends_when_the_gate_finishes(tmp_path: Path) -> None:
    tracker = GateTracker(tmp_path / "progress.json")
    tracker.expect(["quick"])
    tracker.completed("quick")
    progress = wait_for(tracker.path, lambda p: "quick" in p.finished)
    assert progress.finished == {"quick"}
