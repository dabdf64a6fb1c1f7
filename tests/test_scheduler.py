"""The xdist scheduler with fake workers (as xdist's own tests do), no processes involved."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.distribute.durations import DurationStore
from pytest_gates.distribute.plan import Planner, ShardPlan
from pytest_gates.distribute.xdist.hooks import XdistHooks
from pytest_gates.distribute.xdist.progress import GateProgress, GateTracker
from pytest_gates.distribute.xdist.scheduler import (
    IN_FLIGHT,
    MAX_IN_FLIGHT,
    RECENT,
    GateScheduling,
)
from pytest_gates.model.load import LoadedManifest, load_manifest

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: a, kind: k}, {id: b, kind: k}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: k}, {id: fmt, kind: k}]}
  - {id: perf, class: benchmark, checks: [{id: p1, kind: k}, {id: p2, kind: k}, {id: p3, kind: k}, {id: p4, kind: k}]}
"""
DURATIONS = {
    "a": 1.0,
    "b": 1.0,
    "ruff": 2.0,
    "fmt": 1.0,
    "p1": 8.0,
    "p2": 3.0,
    "p3": 3.0,
    "p4": 1.0,
}


@dataclass(frozen=True)
class FakeGateway:
    id: str


@dataclass(eq=False)
class FakeNode:
    """A worker: records what it was sent, here and in the run's shared log of sends."""

    gateway: FakeGateway
    sends: list[int]
    sent: list[int] = field(default_factory=list)
    shutting_down: bool = False
    messages: int = 0

    def send_runtest_some(self, indices: Sequence[int]) -> None:
        assert indices
        self.messages += 1
        self.sent.extend(indices)
        self.sends.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


@dataclass
class RecordingProgress:
    """The progress publisher: records the gates the scheduler said to expect."""

    expected: list[str] = field(default_factory=list)

    def expect(self, gates: Iterable[str]) -> None:
        self.expected = list(gates)


@dataclass
class Run:
    """One scheduler over fake workers, and every send in the order it happened."""

    sched: GateScheduling
    nodes: list[FakeNode]
    progress: RecordingProgress
    sends: list[int]

    @property
    def collection(self) -> list[str]:
        assert self.sched.collection is not None
        return self.sched.collection

    def name(self, index: int) -> str:
        return self.collection[index].split("::")[2]

    def add(self, name: str) -> FakeNode:
        node = FakeNode(FakeGateway(name), self.sends)
        self.sched.add_node(node)
        self.sched.add_node_collection(node, self.collection)
        self.sched.schedule()
        return node

    def complete_oldest(self, node: FakeNode) -> str:
        index = self.sched.node2pending[node][0]
        self.sched.mark_test_complete(node, index)
        return self.name(index)


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedManifest:
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(MANIFEST))
    return load_manifest(path)


def collection(loaded: LoadedManifest) -> list[str]:
    return [f"m.yaml::{g.id}::{c.id}" for g in loaded.gates_in_order() for c in g.checks]


def scheduled(
    loaded: LoadedManifest, store: DurationStore, config: pytest.Config, workers: Iterable[int]
) -> Run:
    """A scheduler planning with ``store`` over fake workers ``gw<n>`` (added in that order)."""
    planner = Planner(loaded, lambda: store)

    def plan_for(nodeids: Sequence[str], total: int) -> ShardPlan:
        return planner.plan({n: n.split("::")[1] for n in nodeids}, total)

    progress = RecordingProgress()
    sched = GateScheduling(config, None, plan_for, progress)
    sends: list[int] = []
    nodes = [FakeNode(FakeGateway(f"gw{i}"), sends) for i in workers]
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, collection(loaded))
    sched.schedule()
    return Run(sched, sorted(nodes, key=lambda n: n.gateway.id), progress, sends)


def start(loaded: LoadedManifest, workers: int, pytester: pytest.Pytester) -> Run:
    store = DurationStore({f"m.yaml::{g}::{c}": [s] for g, c, s in _checks(loaded)})
    config = pytester.parseconfig("--tx", f"{workers}*popen")
    return scheduled(loaded, store, config, reversed(range(workers)))


def _checks(loaded: LoadedManifest) -> list[tuple[str, str, float]]:
    return [(g.id, c.id, DURATIONS[c.id]) for g in loaded.manifest.gates for c in g.checks]


def run_to_end(run: Run, nodes: list[FakeNode]) -> dict[str, list[str]]:
    """Complete items one at a time, always the oldest pending item of the first busy worker."""
    done: dict[str, list[str]] = {n.gateway.id: [] for n in nodes}
    for _ in range(100):
        busy = [n for n in nodes if run.sched.node2pending.get(n)]
        if not busy:
            break
        done[busy[0].gateway.id].append(run.complete_oldest(busy[0]))
    assert run.sched.tests_finished
    return done


def test_each_worker_gets_a_balanced_deterministic_share_longest_first(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    run = start(loaded, 2, pytester)
    shares = [[run.name(i) for i in share] for share in run.sched.planned]
    assert sorted(sum(DURATIONS[name] for name in share) for share in shares) == [10.0, 10.0]
    for share in shares:  # by gate in run order, then longest first
        gates = [next(g for g, c, _ in _checks(loaded) if c == name) for name in share]
        order = list(loaded.order)
        assert [order.index(g) for g in gates] == sorted(order.index(g) for g in gates)
    assert start(loaded, 2, pytester).sched.planned == run.sched.planned
    assert run.progress.expected == [g for g, _, _ in _checks(loaded)]
    done = run_to_end(run, run.nodes)
    assert sorted(done["gw0"] + done["gw1"]) == sorted(DURATIONS)
    assert all(node.shutting_down for node in run.nodes)


def test_a_gate_is_sent_only_after_every_item_of_its_needs(
    loaded: LoadedManifest, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the order the scheduler chooses items (each worker's choices of one round go out as
    one message when the round ends, before any other event is handled)."""
    chosen: list[int] = []
    send = GateScheduling._send

    def recording(self: GateScheduling, node: Any, share: int, index: int) -> None:
        chosen.append(index)
        send(self, node, share, index)

    monkeypatch.setattr(GateScheduling, "_send", recording)
    run = start(loaded, 2, pytester)
    run_to_end(run, run.nodes)
    assert sorted(chosen) == sorted(run.sends)
    order = [run.name(i) for i in chosen]
    assert sorted(order) == sorted(DURATIONS)
    lint_first = min(order.index("ruff"), order.index("fmt"))
    assert lint_first > order.index("a")
    assert lint_first > order.index("b")


def test_a_crashed_worker_holding_two_items_hands_the_second_and_its_share_over(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    run = start(loaded, 2, pytester)
    victim, survivor = run.nodes
    pending = list(run.sched.node2pending[victim])
    assert len(pending) == IN_FLIGHT == 2
    share = run.sched.node2share[victim]
    rest_of_share = list(run.sched.shares[share])
    assert rest_of_share
    crashed = run.sched.remove_node(victim)
    assert crashed == run.collection[pending[0]]
    replacement = run.add("gw2")
    # The unfinished item first, then the crashed worker's share in its order.
    assert replacement.sent == [pending[1], rest_of_share[0]]
    done = run_to_end(run, [survivor, replacement])
    assert sorted(done["gw1"] + done["gw2"]) == sorted(set(DURATIONS) - {run.name(pending[0])})


def test_a_crashed_worker_holding_one_item_loses_only_that_item(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    run = start(loaded, 2, pytester)
    victim, survivor = run.nodes
    done: list[str] = []
    while any(run.sched.shares) or run.sched.node2pending[survivor]:
        busy = survivor if run.sched.node2pending[survivor] else victim
        done.append(run.complete_oldest(busy))
    while len(run.sched.node2pending[victim]) > 1:
        done.append(run.complete_oldest(victim))
    (held,) = run.sched.node2pending[victim]
    crashed = run.sched.remove_node(victim)
    assert crashed == run.collection[held]
    replacement = run.add("gw2")
    assert replacement.sent == []  # nothing was left to hand over
    assert run.sched.tests_finished
    assert sorted(done) == sorted(set(DURATIONS) - {run.name(held)})


@dataclass
class RecordingResults:
    """What the xdist hooks hand the controller: collections and workers' outputs."""

    collected: list[list[str]] = field(default_factory=list)
    outputs: list[dict[str, object]] = field(default_factory=list)

    def worker_collected(self, nodeids: Sequence[str]) -> None:
        self.collected.append(list(nodeids))

    def worker_finished(self, workeroutput: Mapping[str, object]) -> None:
        self.outputs.append(dict(workeroutput))


@dataclass(eq=False)
class FinishedNode(FakeNode):
    workeroutput: dict[str, object] = field(default_factory=dict)


def test_the_hooks_abandon_the_progress_once_xdist_stops_replacing_crashed_workers(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    config = pytester.parseconfig("--tx", "2*popen", "--max-worker-restart=1")
    tracker = GateTracker(tmp_path / "progress.json")
    results = RecordingResults()

    def no_plan(nodeids: Sequence[str], total: int) -> ShardPlan:
        raise AssertionError("not asked for")

    hooks = XdistHooks(config, no_plan, tracker, results)
    node = FinishedNode(FakeGateway("gw0"), [], workeroutput={"gates_deselected": ["x"]})
    hooks.pytest_xdist_node_collection_finished(node, ["a", "b"])
    hooks.pytest_testnodedown(node, "crashed")
    assert not GateProgress.read(tracker.path).abandoned  # one restart is allowed
    hooks.pytest_testnodedown(node, "crashed")
    assert GateProgress.read(tracker.path).abandoned
    assert results.collected == [["a", "b"]]
    assert results.outputs == [{"gates_deselected": ["x"]}] * 2


def fast_run(tmp_path: Path, pytester: pytest.Pytester, checks: int) -> Run:
    """Two workers and one gate of ``checks`` checks with no recorded durations."""
    path = tmp_path / "many.yaml"
    items = ", ".join(f"{{id: c{n:03d}, kind: k}}" for n in range(checks))
    path.write_text(
        f"version: 1\nproject: demo\ngates:\n  - {{id: g, class: structural, checks: [{items}]}}\n"
    )
    config = pytester.parseconfig("--tx", "2*popen")
    return scheduled(load_manifest(path), DurationStore({}), config, range(2))


@pytest.mark.parametrize(("seconds", "held"), [(0.001, MAX_IN_FLIGHT), (0.01, 5), (1.0, IN_FLIGHT)])
def test_a_worker_holds_more_items_when_they_take_next_to_no_time(
    tmp_path: Path, pytester: pytest.Pytester, seconds: float, held: int
) -> None:
    """With two items in flight a worker idles for a round trip to the controller after each
    one: items that take a millisecond each are held in larger numbers (enough for
    QUEUED_SECONDS of work), refilled in one message once half of them ran; slow ones two at a
    time. Every item still runs exactly once."""
    run = fast_run(tmp_path, pytester, 200)
    assert [len(run.sched.node2pending[n]) for n in run.nodes] == [IN_FLIGHT, IN_FLIGHT]
    completed = []
    for _ in range(RECENT):
        node = run.nodes[len(completed) % 2]
        index = run.sched.node2pending[node][0]
        run.sched.mark_test_complete(node, index, seconds)
        completed.append(index)
    held_now = [len(run.sched.node2pending[n]) for n in run.nodes]
    assert all(max(IN_FLIGHT, held // 2) <= h <= held for h in held_now), held_now
    assert held in held_now
    messages = sum(n.messages for n in run.nodes)
    while any(run.sched.node2pending[n] for n in run.nodes):
        node = next(n for n in run.nodes if run.sched.node2pending[n])
        index = run.sched.node2pending[node][0]
        run.sched.mark_test_complete(node, index, seconds)
        completed.append(index)
    assert sorted(completed) == list(range(200))
    sent = sum(n.messages for n in run.nodes) - messages
    after = 200 - RECENT - sum(held_now)  # items sent after the pace settled
    if held >= 2 * IN_FLIGHT:
        assert sent <= after // (held - held // 2) + 2 * len(run.nodes), (sent, after)
    else:
        assert sent == after  # one at a time
    assert run.sched.tests_finished
    assert all(node.shutting_down for node in run.nodes)
