"""Distribution over xdist workers under ``--gates``.

xdist's ``--dist`` choices are closed, so the scheduler comes in through
``pytest_xdist_make_scheduler``, and only when gates are on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest
from xdist.dsession import get_default_max_worker_restart
from xdist.report import report_collection_diff
from xdist.workermanage import parse_tx_spec_config

from pytest_gates.distribute.partition import partition
from pytest_gates.distribute.shards import together_keys

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

    from pytest_gates.session.plugin import GatesSession

#: Items a worker holds at once: it runs one while it knows the next (xdist holds the last one
#: back until more work or a shutdown arrives).
IN_FLIGHT = 2


class GateScheduling:
    """A deterministic, duration-balanced share per worker, dispatched in dependency order.

    When every worker has collected, the items are split into one share per worker with
    :func:`~pytest_gates.distribute.partition.partition` over their predicted durations (recorded durations,
    else the gates' ``expected_duration``), so the same inputs give the same shares. Workers are
    matched to shares by their ids (``gw0`` takes share 1). Each share is ordered by gate (in
    dependency order), then longest first.

    An item is sent only once every item of the gates it needs has been sent; the worker then
    waits in the item's setup until those gates have finished (the controller publishes finished
    and failed gates in a small state file), and skips the item as ``blocked by <gate>`` when one
    failed. Sending early rather than on completion keeps xdist's held-back last item from ever
    stalling a need. A worker with nothing it may take from its own share takes the longest item
    it may take from another share.

    When a worker crashes, the item it was running is the crash item (ERROR), and the rest of its
    work goes, in order, to the front of its share, which the replacement worker inherits (or the
    first worker that asks, when xdist does not replace it).

    Attributes:
        numnodes: workers that must report a collection before scheduling starts.
        node2collection: each worker's collection (all must be identical).
        node2pending: collection indices sent to each worker and not completed.
        collection: the validated collection, once scheduling started.
        shares: each share's queue of collection indices not yet sent.
        node2share: the share each worker draws from.
        orphaned: shares of crashed workers waiting for a replacement.
    """

    def __init__(self, config: pytest.Config, log: Any, session: GatesSession) -> None:
        self.config = config
        self.log = log.gatesched if log is not None else (lambda *args: None)
        self.session = session
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[WorkerController, list[str]] = {}
        self.node2pending: dict[WorkerController, list[int]] = {}
        self.collection: list[str] | None = None
        self.shares: list[list[int]] = []
        #: The shares as planned, before any was sent or taken over.
        self.planned: tuple[tuple[int, ...], ...] = ()
        self.node2share: dict[WorkerController, int] = {}
        self.orphaned: list[int] = []
        self.unsent_of_gate: Counter[str] = Counter()
        self.gate_of: dict[int, str | None] = {}
        self.duration: dict[int, float] = {}

    # -- the Scheduling protocol ---------------------------------------------------------------

    @property
    def nodes(self) -> list[WorkerController]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or any(self.shares):
            return False
        return all(len(pending) < IN_FLIGHT for pending in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return any(self.shares) or any(self.node2pending.values())

    def add_node(self, node: WorkerController) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []
        if self.orphaned:
            self.node2share[node] = self.orphaned.pop(0)

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
        self._feed_all()

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        index = self.collection.index(item)
        gate = self.gate_of[index]
        if gate is not None:
            self.unsent_of_gate[gate] += 1
        self.shares[0].insert(0, index)
        self._feed_all()

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        taken = set(indices)
        self.node2pending[node] = [i for i in self.node2pending[node] if i not in taken]
        share = self.node2share.get(node, 0)
        for index in sorted(taken, reverse=True):
            self._unsend(index, share)

    def remove_node(self, node: WorkerController) -> str | None:
        pending = self.node2pending.pop(node)
        share = self.node2share.pop(node, None)
        if share is not None and (self.shares[share] or pending):
            self.orphaned.append(share)
        if not pending:
            self._feed_all()
            return None
        assert self.collection is not None
        crashitem = self.collection[pending[0]]
        target = share if share is not None else 0
        for index in reversed(pending[1:]):
            self._unsend(index, target)
        self._feed_all()
        return crashitem

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            self._feed_all()
            return
        collections = list(self.node2collection.values())
        if any(other != collections[0] for other in collections[1:]):
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(collections[0])
        self._plan(self.collection)
        self._feed_all()

    # -- planning and dispatch -----------------------------------------------------------------

    def _plan(self, collection: list[str]) -> None:
        session = self.session
        predicted = session.predict(collection)
        order = {gate_id: i for i, gate_id in enumerate(session.loaded.order)}
        for index, nodeid in enumerate(collection):
            gate = session.gate_of_nodeid(nodeid)
            self.gate_of[index] = gate
            self.duration[index] = predicted.get(nodeid, 1.0)
            if gate is not None:
                self.unsent_of_gate[gate] += 1
        session.expect_items(collection)
        item_gates = {n: g for i, n in enumerate(collection) if (g := self.gate_of[i]) is not None}
        together = together_keys(session.loaded.manifest, item_gates)
        plan = partition(
            {n: self.duration[i] for i, n in enumerate(collection)}, len(self.nodes), together
        )
        index_of = {nodeid: i for i, nodeid in enumerate(collection)}

        def rank(i: int) -> tuple[int, float, str]:
            gate = self.gate_of[i]
            return (
                order.get(gate, len(order)) if gate else len(order),
                -self.duration[i],
                collection[i],
            )

        self.shares = [sorted((index_of[n] for n in group), key=rank) for group in plan.groups]
        self.planned = tuple(tuple(share) for share in self.shares)
        for share, node in enumerate(sorted(self.nodes, key=lambda n: _worker_number(n))):
            self.node2share[node] = share

    def _unsend(self, index: int, share: int) -> None:
        gate = self.gate_of.get(index)
        if gate is not None:
            self.unsent_of_gate[gate] += 1
        self.shares[share].insert(0, index)

    def _may_send(self, index: int) -> bool:
        """Every item of every gate this item's gate needs has been sent."""
        gate = self.gate_of.get(index)
        if gate is None:
            return True
        needs = self.session.loaded.manifest.gate(gate).needs
        return all(self.unsent_of_gate[need] == 0 for need in needs)

    def _feed_all(self) -> None:
        if self.collection is None:
            return
        progress = True
        while progress:
            progress = False
            for node in sorted(self.nodes, key=_worker_number):
                progress |= self._feed(node)
        if not any(self.shares):
            for node in self.nodes:
                if not node.shutting_down:
                    node.shutdown()

    def _feed(self, node: WorkerController) -> bool:
        """Send ``node`` one item if it has room and may take one; True if it did."""
        if node.shutting_down or len(self.node2pending[node]) >= IN_FLIGHT:
            return False
        if node not in self.node2share and self.orphaned:
            self.node2share[node] = self.orphaned.pop(0)
        own = self.node2share.get(node)
        choice = None
        if own is not None:
            choice = next((i for i in self.shares[own] if self._may_send(i)), None)
            source = own
        if choice is None:
            candidates = [
                (-self.duration[i], self.collection[i] if self.collection else "", share, i)
                for share, queue in enumerate(self.shares)
                for i in queue
                if self._may_send(i)
            ]
            if not candidates:
                return False
            _, _, source, choice = min(candidates)
        self.shares[source].remove(choice)
        gate = self.gate_of.get(choice)
        if gate is not None:
            self.unsent_of_gate[gate] -= 1
        self.node2pending[node].append(choice)
        node.send_runtest_some([choice])
        return True


def _worker_number(node: WorkerController) -> tuple[int, str]:
    ident = str(node.gateway.id)
    digits = "".join(ch for ch in ident if ch.isdigit())
    return (int(digits) if digits else 0, ident)


class XdistHooks:
    """xdist hooks, registered only when xdist is installed and gates are on."""

    def __init__(self, session: GatesSession) -> None:
        self.session = session
        self.crashes = 0

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> GateScheduling:
        return GateScheduling(config, log, self.session)

    def pytest_configure_node(self, node: WorkerController) -> None:
        node.workerinput["gates_state"] = str(self.session.state_file())

    def pytest_xdist_node_collection_finished(
        self, node: WorkerController, ids: Sequence[str]
    ) -> None:
        if not self.session.collected:
            self.session.collected = list(ids)

    def pytest_testnodedown(self, node: WorkerController, error: object) -> None:
        if error is not None:
            # xdist replaces a crashed worker up to --max-worker-restart times, then stops; from
            # then on what waits for a gate that has not finished would wait forever.
            self.crashes += 1
            limit = get_default_max_worker_restart(self.session.config)
            if limit is not None and self.crashes > limit and self.session.tracker is not None:
                self.session.tracker.abandon()
        output = getattr(node, "workeroutput", None) or {}
        self.session.deselected.update(output.get("gates_deselected", ()))
        self.session.shard_of.update(output.get("gates_shard_of", {}))
