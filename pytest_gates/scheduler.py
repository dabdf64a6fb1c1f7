"""Distribution over xdist workers under ``--gates``.

xdist's ``--dist`` choices are closed, so the scheduler comes in through
``pytest_xdist_make_scheduler``, and only when gates are on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import parse_tx_spec_config

from pytest_gates.manifest import connected_groups

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

    from pytest_gates.session import GatesSession


class GateGroupScheduling:
    """Sends each group of connected gates to one worker, whole and in dependency order.

    Gates joined by ``needs`` form a group (:func:`~pytest_gates.manifest.connected_groups`). A
    worker runs its group's items in collection order, which is dependency order, so it knows
    whether a need failed before it starts a dependent gate, exactly as a run without xdist
    does. Independent groups run in parallel; a worker asks for the next group when it is down
    to its last item (xdist holds each worker's last item back until more work or a shutdown
    arrives).

    When a worker crashes, the item it was running is returned as the crash item (xdist reports
    it failed, which the gates fold into ERROR). Of the rest of its work, the items of gates that
    can no longer pass (the crashed gate and everything needing it, and anything the controller
    has already seen blocked) are recorded as BLOCKED without running; the others are queued
    again, first in line, in their original order.

    Attributes:
        numnodes: how many workers must report a collection before scheduling starts.
        node2collection: each worker's collection; all must be identical.
        node2pending: the collection indices sent to each worker and not yet completed.
        collection: the validated collection, once scheduling started.
        queue: units of work (lists of collection indices) not yet sent.
    """

    def __init__(self, config: pytest.Config, log: Any, session: GatesSession) -> None:
        self.config = config
        self.log = log.gatesched if log is not None else (lambda *args: None)
        self.session = session
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[WorkerController, list[str]] = {}
        self.node2pending: dict[WorkerController, list[int]] = {}
        self.collection: list[str] | None = None
        self.queue: list[list[int]] = []
        self.groups = connected_groups(session.loaded.manifest)

    @property
    def nodes(self) -> list[WorkerController]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.queue:
            return False
        return all(len(pending) < 2 for pending in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.queue) or any(self.node2pending.values())

    def add_node(self, node: WorkerController) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []

    def add_node_collection(self, node: WorkerController, collection: Sequence[str]) -> None:
        assert node in self.node2pending
        if self.collection is not None and list(collection) != self.collection:
            first = next(iter(self.node2collection))
            self.log(
                report_collection_diff(
                    self.collection, collection, first.gateway.id, node.gateway.id
                )
            )
            return
        self.node2collection[node] = list(collection)

    def mark_test_complete(
        self, node: WorkerController, item_index: int, duration: float = 0
    ) -> None:
        self.node2pending[node].remove(item_index)
        self._feed(node)

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self.queue.insert(0, [self.collection.index(item)])
        for node in self.nodes:
            self._feed(node)

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        pending = self.node2pending[node]
        taken = [index for index in pending if index in set(indices)]
        self.node2pending[node] = [index for index in pending if index not in set(indices)]
        if taken:
            self.queue.insert(0, taken)

    def remove_node(self, node: WorkerController) -> str | None:
        # node2collection keeps the node: the count must stay complete for a replacement.
        pending = self.node2pending.pop(node)
        if not pending:
            return None
        assert self.collection is not None
        crashitem = self.collection[pending[0]]
        crashed_gate = self.session.gate_of_nodeid(crashitem)
        rest = []
        for index in pending[1:]:
            nodeid = self.collection[index]
            roots = self.session.blocked_after_crash(nodeid, crashed_gate)
            if roots:
                self.session.record_not_dispatched(nodeid, roots)
            else:
                rest.append(index)
        if rest:
            self.queue.insert(0, rest)
        for other in self.nodes:
            self._feed(other)
        return crashitem

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._feed(node)
            return
        collections = list(self.node2collection.values())
        if any(other != collections[0] for other in collections[1:]):
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(collections[0])
        units: dict[str, list[int]] = {}
        for index, nodeid in enumerate(self.collection):
            gate = self.session.gate_of_nodeid(nodeid)
            key = self.groups[gate] if gate is not None else nodeid
            units.setdefault(key, []).append(index)
        self.queue = list(units.values())
        for node in self.nodes:
            self._feed(node)

    def _feed(self, node: WorkerController) -> None:
        if node.shutting_down or len(self.node2pending[node]) >= 2:
            return
        if self.queue:
            unit = self.queue.pop(0)
            self.node2pending[node].extend(unit)
            node.send_runtest_some(unit)
        else:
            node.shutdown()


class XdistHooks:
    """xdist hooks, registered only when xdist is installed and gates are on."""

    def __init__(self, session: GatesSession) -> None:
        self.session = session

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> GateGroupScheduling:
        return GateGroupScheduling(config, log, self.session)

    def pytest_xdist_node_collection_finished(
        self, node: WorkerController, ids: Sequence[str]
    ) -> None:
        if not self.session.collected:
            self.session.collected = list(ids)

    def pytest_testnodedown(self, node: WorkerController, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.session.deselected.update(output.get("gates_deselected", ()))
        self.session.shard_of.update(output.get("gates_shard_of", {}))
