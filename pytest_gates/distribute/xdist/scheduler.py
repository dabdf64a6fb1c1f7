"""Distribution over xdist workers under ``--gates``.

xdist's ``--dist`` choices are closed, so the scheduler comes in through
``pytest_xdist_make_scheduler``, and only when gates are on.

An item is sent only once every item of the gates it needs has been sent; the worker then waits
in the item's setup until those gates have finished (the controller publishes finished and failed
gates in a small state file), and skips the item as ``blocked by <gate>`` when one failed. Sending
early rather than on completion keeps xdist's held-back last item from ever stalling a need. A
worker with nothing it may take from its own share takes the longest item it may take from
another share. A worker holding half of what its pace allows or more waits; below that it is
refilled to the full number in one message (a message per item cost the controller 0.6 ms per
item, in a py-spy profile of 2,000 one-millisecond checks on two workers). Each round's choices go out when the round ends,
before any other event is handled.

When a worker crashes, the item it was running is the crash item (ERROR), and the rest of its
work goes, in order, to the front of its share, which the replacement worker inherits (or the
first worker that asks, when xdist does not replace it).
"""

from __future__ import annotations

import statistics
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import parse_tx_spec_config

from pytest_gates.distribute.plan import ShardPlan
from pytest_gates.distribute.xdist.keys import SEQUENTIAL_GATES_KEY

#: Plans node ids into N shares: the one planning pipeline (:mod:`pytest_gates.distribute.plan`).
PlanFor = Callable[[Sequence[str], int], ShardPlan]


class Gateway(Protocol):
    @property
    def id(self) -> str: ...


class WorkerNode(Protocol):
    """What the scheduler uses of xdist's ``WorkerController`` (typed here: xdist ships no types,
    and the tests' fake workers implement just this)."""

    @property
    def gateway(self) -> Gateway: ...

    @property
    def shutting_down(self) -> bool: ...

    def send_runtest_some(self, indices: Sequence[int]) -> None: ...

    def shutdown(self) -> None: ...


class ProgressPublisher(Protocol):
    """Where the controller publishes gate progress for the workers (the items to expect)."""

    def expect(self, gates: Iterable[str]) -> None: ...


#: Items a worker holds at once, at least: it runs one while it knows the next (xdist holds the
#: last one back until more work or a shutdown arrives).
IN_FLIGHT = 2
#: At most, for items that take next to no time: a worker holds enough of them to cover
#: :data:`QUEUED_SECONDS` of work, so that it does not idle for the round trip to the controller
#: after each one (with 2, a thousand one-millisecond checks took longer on two workers than on
#: one).
MAX_IN_FLIGHT = 32
QUEUED_SECONDS = 0.05
#: Completed items whose durations the estimate follows.
RECENT = 32


class Pace:
    """How many items a worker may hold, from how long the last items took."""

    def __init__(self) -> None:
        #: The last items' durations (their whole protocol, as the workers measured it).
        self.recent: deque[float] = deque(maxlen=RECENT)

    def record(self, seconds: float) -> None:
        self.recent.append(seconds)

    @property
    def in_flight(self) -> int:
        """:data:`IN_FLIGHT`, or for items that have been taking next to no time, as many as
        cover :data:`QUEUED_SECONDS` (at most :data:`MAX_IN_FLIGHT`)."""
        if len(self.recent) < RECENT:
            return IN_FLIGHT
        typical = max(statistics.median(self.recent), QUEUED_SECONDS / MAX_IN_FLIGHT)
        return max(IN_FLIGHT, min(MAX_IN_FLIGHT, int(QUEUED_SECONDS / typical)))


class GateScheduling:
    """A deterministic, duration-balanced share per worker, dispatched in dependency order.

    When every worker has collected, ``plan_for`` splits the items into one share per worker:
    the planning pipeline ``--gates-shard`` uses too (predicted durations from the recorded ones,
    else the gates' ``expected_duration``, then the partition), so the same inputs give the same
    shares. Workers are matched to shares by their ids (``gw0`` takes share 1). Each share is
    ordered by gate (in dependency order), then longest first. ``progress`` is told which gates
    to expect, so it can publish each gate as finished when its last item completes.

    How items are sent, and what a crash does: the module docstring.

    Attributes:
        numnodes: workers that must report a collection before scheduling starts.
        node2collection: each worker's collection (all must be identical).
        node2pending: collection indices sent to each worker and not completed.
        collection: the validated collection, once scheduling started.
        shares: each share's queue of collection indices not yet sent.
        node2share: the share each worker draws from.
        orphaned: shares of crashed workers waiting for a replacement.
        needs: each gate's needs, from the plan.
    """

    def __init__(
        self, config: pytest.Config, log: Any, plan_for: PlanFor, progress: ProgressPublisher
    ) -> None:
        self.config = config
        self.log = log.gatesched if log is not None else (lambda *args: None)
        self.plan_for = plan_for
        self.progress = progress
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[WorkerNode, list[str]] = {}
        self.node2pending: dict[WorkerNode, list[int]] = {}
        self.collection: list[str] | None = None
        self.shares: list[list[int]] = []
        #: The shares as planned, before any was sent or taken over.
        self.planned: tuple[tuple[int, ...], ...] = ()
        self.node2share: dict[WorkerNode, int] = {}
        self.orphaned: list[int] = []
        self.unsent_of_gate: Counter[str] = Counter()
        self.gate_of: dict[int, str | None] = {}
        self.duration: dict[int, float] = {}
        self.needs: dict[str, Sequence[str]] = {}
        #: Items chosen for each worker in this round, sent as one message when it ends.
        self.outbox: dict[WorkerNode, list[int]] = {}
        stash = getattr(config, "stash", None)
        self.sequential = stash.get(SEQUENTIAL_GATES_KEY, frozenset()) if stash else frozenset()
        #: The worker a sequential gate's items go to, once its first item was sent.
        self.sequence_node: dict[str, WorkerNode] = {}
        self.pace = Pace()

    # -- the Scheduling protocol ---------------------------------------------------------------

    @property
    def nodes(self) -> list[WorkerNode]:
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

    def add_node(self, node: WorkerNode) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []
        if self.orphaned:
            self.node2share[node] = self.orphaned.pop(0)

    def add_node_collection(self, node: WorkerNode, collection: Sequence[str]) -> None:
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

    def mark_test_complete(self, node: WorkerNode, item_index: int, duration: float = 0) -> None:
        self.node2pending[node].remove(item_index)
        self.pace.record(duration)
        self._feed_all()

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        index = self.collection.index(item)
        gate = self.gate_of[index]
        if gate is not None:
            self.unsent_of_gate[gate] += 1
        self.shares[0].insert(0, index)
        self._feed_all()

    def remove_pending_tests_from_node(self, node: WorkerNode, indices: Sequence[int]) -> None:
        taken = set(indices)
        self.node2pending[node] = [i for i in self.node2pending[node] if i not in taken]
        share = self.node2share.get(node, 0)
        for index in sorted(taken, reverse=True):
            self._unsend(index, share)

    def remove_node(self, node: WorkerNode) -> str | None:
        for gate in [g for g, owner in self.sequence_node.items() if owner is node]:
            del self.sequence_node[gate]  # its unsent steps go to the next worker that asks
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
        planned = self.plan_for(collection, len(self.nodes))
        self.needs = dict(planned.needs)
        for index, nodeid in enumerate(collection):
            gate = planned.item_gates.get(nodeid)
            self.gate_of[index] = gate
            self.duration[index] = planned.seconds(nodeid)
            if gate is not None:
                self.unsent_of_gate[gate] += 1
        self.progress.expect(
            g for i in range(len(collection)) if (g := self.gate_of[i]) is not None
        )
        index_of = {nodeid: i for i, nodeid in enumerate(collection)}
        self.shares = [
            [index_of[n] for n in planned.run_order(group)] for group in planned.plan.groups
        ]
        self.planned = tuple(tuple(share) for share in self.shares)
        for share, node in enumerate(sorted(self.nodes, key=_worker_number)):
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
        return all(self.unsent_of_gate[need] == 0 for need in self.needs.get(gate, ()))

    def _feed_all(self) -> None:
        if self.collection is None:
            return
        progress = True
        while progress:
            progress = False
            for node in sorted(self.nodes, key=_worker_number):
                progress |= self._feed(node)
        for node, indices in self.outbox.items():
            node.send_runtest_some(indices)
        self.outbox = {}
        if not any(self.shares):
            for node in self.nodes:
                if not node.shutting_down:
                    node.shutdown()

    def _may_take(self, node: WorkerNode, index: int) -> bool:
        """``node`` may run this item now: its needs were sent, and for a sequential gate's item,
        it is the gate's first step (the later ones follow it to the same worker, see
        :meth:`_feed`) and no step of the gate went to another worker."""
        if not self._may_send(index):
            return False
        gate = self.gate_of.get(index)
        if gate is None or gate not in self.sequential:
            return True
        if self.sequence_node.get(gate, node) is not node:
            return False
        unsent = [i for queue in self.shares for i in queue if self.gate_of.get(i) == gate]
        return index == min(unsent)

    def _feed(self, node: WorkerNode) -> bool:
        """Choose one item for ``node`` if it has room (see the module docstring) and may take
        one; True if it did."""
        pending, in_flight = len(self.node2pending[node]), self.pace.in_flight
        if node.shutting_down or pending >= in_flight:
            return False
        if node not in self.outbox and pending >= max(IN_FLIGHT, in_flight // 2):
            return False
        if node not in self.node2share and self.orphaned:
            self.node2share[node] = self.orphaned.pop(0)
        own = self.node2share.get(node)
        choice = None
        if own is not None:
            choice = next((i for i in self.shares[own] if self._may_take(node, i)), None)
            source = own
        if choice is None:
            candidates = [
                (-self.duration[i], self.collection[i] if self.collection else "", share, i)
                for share, queue in enumerate(self.shares)
                for i in queue
                if self._may_take(node, i)
            ]
            if not candidates:
                return False
            _, _, source, choice = min(candidates)
        self._send(node, source, choice)
        gate = self.gate_of.get(choice)
        if gate is not None and gate in self.sequential:
            self.sequence_node[gate] = node
            # The gate's later steps go with it, in order, whatever IN_FLIGHT says: a step held
            # back for a full worker would pin an item no other worker may take, and a worker
            # holding its last item (xdist runs it only once the next one or a shutdown arrives)
            # could then wait forever for an item that waits for it.
            for index, share in _steps_of(gate, self.shares, self.gate_of):
                self._send(node, share, index)
        return True

    def _send(self, node: WorkerNode, share: int, index: int) -> None:
        self.shares[share].remove(index)
        gate = self.gate_of.get(index)
        if gate is not None:
            self.unsent_of_gate[gate] -= 1
        self.node2pending[node].append(index)
        self.outbox.setdefault(node, []).append(index)


def _steps_of(
    gate: str, shares: Sequence[Sequence[int]], gate_of: Mapping[int, str | None]
) -> list[tuple[int, int]]:
    """The unsent items of ``gate`` as (index, share), in collection order (step order)."""
    return sorted((i, s) for s, queue in enumerate(shares) for i in queue if gate_of.get(i) == gate)


def _worker_number(node: WorkerNode) -> tuple[int, str]:
    ident = str(node.gateway.id)
    digits = "".join(ch for ch in ident if ch.isdigit())
    return (int(digits) if digits else 0, ident)
