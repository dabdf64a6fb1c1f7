"""The xdist scheduler with fake workers (as xdist's own tests do), no processes involved."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_gates.distribute.durations import DurationStore
from pytest_gates.distribute.shards import plan_shards
from pytest_gates.distribute.xdist.scheduler import GateScheduling
from pytest_gates.model.manifest import LoadedManifest, load_manifest

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


@dataclass
class FakeGateway:
    id: str


#: Every send of every fake worker, in the order they happened.
SENDS: list[int] = []


@dataclass(eq=False)
class FakeNode:
    gateway: FakeGateway
    sent: list[int] = field(default_factory=list)
    shutting_down: bool = False

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)
        SENDS.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


class FakeSession:
    """What the scheduler asks of the gate session."""

    def __init__(self, loaded: LoadedManifest) -> None:
        self.loaded = loaded
        self.expected: list[str] = []

    def gate_of_nodeid(self, nodeid: str) -> str | None:
        return nodeid.split("::")[1]

    def predict(self, nodeids: list[str]) -> dict[str, float]:
        store = DurationStore({n: [DURATIONS[n.split("::")[2]]] for n in nodeids})
        planned = plan_shards(
            self.loaded.manifest, {n: self.gate_of_nodeid(n) for n in nodeids}, store, 1
        )
        return {n: p.seconds for n, p in planned.predictions.items()}

    def expect_items(self, nodeids: list[str]) -> None:
        self.expected = list(nodeids)


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedManifest:
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(MANIFEST))
    return load_manifest(path)


def collection(loaded: LoadedManifest) -> list[str]:
    return [f"m.yaml::{g.id}::{c.id}" for g in loaded.gates_in_order() for c in g.checks]


def start(
    loaded: LoadedManifest, workers: int, pytester: pytest.Pytester
) -> tuple[GateScheduling, list[FakeNode]]:
    config = pytester.parseconfig("--tx", f"{workers}*popen")
    sched = GateScheduling(config, None, FakeSession(loaded))  # type: ignore[arg-type]
    nodes = [FakeNode(FakeGateway(f"gw{i}")) for i in reversed(range(workers))]
    for node in nodes:
        sched.add_node(node)  # type: ignore[arg-type]
        sched.add_node_collection(node, collection(loaded))  # type: ignore[arg-type]
    sched.schedule()
    return sched, sorted(nodes, key=lambda n: n.gateway.id)


def run_to_end(sched: GateScheduling, nodes: list[FakeNode]) -> dict[str, list[str]]:
    """Complete items one at a time, always the oldest pending item of the first busy worker."""
    assert sched.collection is not None
    done: dict[str, list[str]] = {n.gateway.id: [] for n in nodes}
    for _ in range(100):
        busy = [n for n in nodes if sched.node2pending.get(n)]  # type: ignore[call-overload]
        if not busy:
            break
        node = busy[0]
        index = sched.node2pending[node][0]  # type: ignore[index]
        done[node.gateway.id].append(sched.collection[index].split("::")[2])
        sched.mark_test_complete(node, index)  # type: ignore[arg-type]
    assert sched.tests_finished
    return done


def test_each_worker_gets_a_balanced_deterministic_share_longest_first(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    sched, nodes = start(loaded, 2, pytester)
    shares = [sorted(sched.collection[i].split("::")[2] for i in share) for share in sched.planned]  # type: ignore[index]
    loads = [sum(DURATIONS[name] for name in share) for share in shares]
    assert sorted(loads) == [10.0, 10.0]
    first, _ = start(loaded, 2, pytester)
    assert first.planned == sched.planned
    done = run_to_end(sched, nodes)
    assert sorted(done["gw0"] + done["gw1"]) == sorted(DURATIONS)
    assert all(node.shutting_down for node in nodes)


def test_a_gate_is_sent_only_after_every_item_of_its_needs(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    SENDS.clear()
    sched, nodes = start(loaded, 2, pytester)
    assert sched.collection is not None
    for _ in range(100):
        busy = [n for n in nodes if sched.node2pending.get(n)]  # type: ignore[call-overload]
        if not busy:
            break
        sched.mark_test_complete(busy[0], sched.node2pending[busy[0]][0])  # type: ignore[arg-type, index]
    order = [sched.collection[i].split("::")[2] for i in SENDS]
    assert sorted(order) == sorted(DURATIONS)
    lint_first = min(order.index("ruff"), order.index("fmt"))
    assert lint_first > order.index("a")
    assert lint_first > order.index("b")


def test_a_crashed_workers_rest_goes_to_its_replacement(
    loaded: LoadedManifest, pytester: pytest.Pytester
) -> None:
    sched, nodes = start(loaded, 2, pytester)
    victim = nodes[0]
    assert sched.collection is not None
    pending = list(sched.node2pending[victim])  # type: ignore[index]
    crashed = sched.remove_node(victim)  # type: ignore[arg-type]
    assert crashed == sched.collection[pending[0]]
    replacement = FakeNode(FakeGateway("gw2"))
    sched.add_node(replacement)  # type: ignore[arg-type]
    sched.add_node_collection(replacement, collection(loaded))  # type: ignore[arg-type]
    sched.schedule()
    assert pending[1:] == replacement.sent[: len(pending) - 1]
    done = run_to_end(sched, [nodes[1], replacement])
    ran = done["gw1"] + done["gw2"]
    assert sorted(ran) == sorted(set(DURATIONS) - {crashed.split("::")[2]})
