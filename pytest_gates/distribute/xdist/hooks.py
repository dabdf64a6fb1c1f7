"""xdist's hooks under ``--gates``: in their own class, registered on the controller only when
xdist is installed (pytest-randomly's ``XdistHooks``), so no other part names an xdist hook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pytest
from xdist.dsession import get_default_max_worker_restart

from pytest_gates.distribute.xdist.progress import GateTracker
from pytest_gates.distribute.xdist.scheduler import GateScheduling, PlanFor, WorkerNode


class WorkerResults(Protocol):
    """Where the controller takes what the workers collected and sent back at their end."""

    def worker_collected(self, nodeids: Sequence[str]) -> None: ...

    def worker_finished(self, workeroutput: Mapping[str, Any]) -> None: ...


class XdistHooks:
    """The gate scheduler, the progress file's path for each worker, and the workers' results."""

    def __init__(
        self, config: pytest.Config, plan_for: PlanFor, tracker: GateTracker, results: WorkerResults
    ) -> None:
        self.config = config
        self.plan_for = plan_for
        self.tracker = tracker
        self.results = results
        self.crashes = 0

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> GateScheduling:
        return GateScheduling(config, log, self.plan_for, self.tracker)

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["gates_state"] = str(self.tracker.path)

    def pytest_xdist_node_collection_finished(self, node: WorkerNode, ids: Sequence[str]) -> None:
        self.results.worker_collected(ids)

    def pytest_testnodedown(self, node: WorkerNode, error: object) -> None:
        if error is not None:
            # xdist replaces a crashed worker up to --max-worker-restart times, then stops; from
            # then on what waits for a gate that has not finished would wait forever.
            self.crashes += 1
            limit = get_default_max_worker_restart(self.config)
            if limit is not None and self.crashes > limit:
                self.tracker.abandon()
        self.results.worker_finished(getattr(node, "workeroutput", None) or {})
