"""Gate progress shared by the xdist controller with its workers through a small JSON file.

The controller sees every report; a worker sees only its own. Before a worker runs an item of a
gate that needs others, it waits until the controller has published those gates as finished, and
takes their failures from the same file, so a need that failed on another worker blocks the item
just as it would in one process. (xdist offers no channel from the controller to a worker other
than sending items, hence a file; workers of ``-n N`` share the machine.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_gates.support.atomic import atomic_write

#: Seconds between the first reads while waiting (backing off to a quarter second).
POLL: Final = 0.02


@dataclass
class GateProgress:
    finished: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    blocked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: xdist gave up on crashed workers: what has not finished never will.
    abandoned: bool = False
    #: The final result (JSON) of each finished gate that another gate needs, published with
    #: the gate's finish, for the checks that read it.
    results: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> bytes:
        data = {
            "abandoned": self.abandoned,
            "finished": sorted(self.finished),
            "failed": sorted(self.failed),
            "blocked": {gate: list(roots) for gate, roots in sorted(self.blocked.items())},
            "results": dict(sorted(self.results.items())),
        }
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def read(cls, path: Path) -> GateProgress:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return cls()  # not written yet: nothing is known to have finished
        return cls(
            set(data.get("finished", ())),
            set(data.get("failed", ())),
            {gate: tuple(roots) for gate, roots in data.get("blocked", {}).items()},
            bool(data.get("abandoned", False)),
            dict(data.get("results", {})),
        )


class GateTracker:
    """The controller's count of each gate's items still to complete, published on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.remaining: dict[str, int] = {}
        self.progress = GateProgress()
        #: How to make a finished gate's result (JSON) to publish with it; None: nothing to.
        self.result_of: Callable[[str], Callable[[], Any] | None] = lambda gate: None
        self._own_folder = False
        self.publish()

    @classmethod
    def in_temp_folder(cls) -> GateTracker:
        """A tracker publishing in a new temporary folder, which :meth:`close` removes."""
        tracker = cls(Path(tempfile.mkdtemp(prefix="pytest-gates-")) / "progress.json")
        tracker._own_folder = True
        return tracker

    def close(self) -> None:
        if self._own_folder:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def expect(self, gates: Iterable[str]) -> None:
        self.remaining = {}
        for gate in gates:
            self.remaining[gate] = self.remaining.get(gate, 0) + 1
        self.progress.finished = set()
        self.publish()

    def completed(self, gate: str) -> None:
        """One more item of ``gate`` completed; at its last, the gate is published as finished,
        with its final result (:attr:`result_of`) for the checks that read it."""
        if gate in self.remaining and self.remaining[gate] > 0:
            self.remaining[gate] -= 1
            if self.remaining[gate] == 0:
                result = self.result_of(gate)
                if result is not None:
                    self.progress.results[gate] = result()
                self.progress.finished.add(gate)
                self.publish()

    def failed(self, gate: str) -> None:
        if gate not in self.progress.failed:
            self.progress.failed.add(gate)
            self.publish()

    def blocked(self, gate: str, roots: Iterable[str]) -> None:
        if gate not in self.progress.blocked:
            self.progress.blocked[gate] = tuple(roots)
            self.publish()

    def abandon(self) -> None:
        self.progress.abandoned = True
        self.publish()

    def publish(self) -> None:
        # Read by the workers of this run only, in a temporary folder: atomic, not fsynced.
        atomic_write(self.path, self.progress.dump(), durable=False)


def wait_for(
    path: Path, done: Callable[[GateProgress], bool], deadline: float | None = None
) -> GateProgress:
    """Read what the controller published until ``done`` says it is enough, the controller
    gave up (it publishes that when xdist stops replacing crashed workers), or the wall clock
    (``time.time()``) passed ``deadline`` (the run budget's)."""
    delay = POLL
    while True:
        progress = GateProgress.read(path)
        if done(progress) or progress.abandoned:
            return progress
        if deadline is not None and time.time() >= deadline:
            return progress
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
