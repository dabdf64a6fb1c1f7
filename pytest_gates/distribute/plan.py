"""The one planning pipeline: predicted durations -> units -> partition into N groups.

Used by shard selection (``--gates-shard K/N``, ``--gates-plan N``, ``pytest-gates plan``) and by
the xdist scheduler for its per-worker shares, so both split the same inputs the same way. The
result, :class:`ShardPlan`, carries what a dispatcher needs besides the groups: each item's gate
and predicted seconds, and the gates' run order and needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pytest_gates.distribute.durations import DurationStore, Prediction, predict
from pytest_gates.distribute.partition import Plan, partition
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Manifest

#: node id -> its gate (None for an item that belongs to no gate).
ItemGates = Mapping[str, str | None]


def declared_durations(manifest: Manifest, item_gates: ItemGates) -> dict[str, float]:
    """Each item's share of its gate's ``expected_duration``."""
    per_gate = Counter(g for g in item_gates.values() if g is not None)
    declared = {}
    for nodeid, gate_id in item_gates.items():
        if gate_id is None:
            continue
        expected = manifest.gate(gate_id).expected_duration
        if expected is not None:
            declared[nodeid] = expected / per_gate[gate_id]
    return declared


def together_keys(manifest: Manifest, item_gates: ItemGates) -> dict[str, str]:
    """Items that must share a shard share one key (they form one unit): the items of a gate
    marked ``together`` or ``sequential`` (its steps run in order, on one machine); the items
    of a gate that reads other gates' results (READY, a check's ``reads``) with the items of the
    gates it reads, which a shard elsewhere would never have; and a gate with a step that must
    not run twice with every gate upstream of it (:meth:`Manifest.placed_with`)."""
    root: dict[str, str] = {}

    def find(gate_id: str) -> str:
        while root.get(gate_id, gate_id) != gate_id:
            gate_id = root[gate_id]
        return gate_id

    kept: set[str] = set()
    for gate in manifest.gates:
        read = manifest.placed_with(gate)
        if gate.together or gate.sequential or read:
            kept.add(gate.id)
        for other in sorted(read):
            kept.add(other)
            a, b = sorted((find(gate.id), find(other)))
            if a != b:
                root[b] = a
    return {
        nodeid: f"gate:{find(gate_id)}"
        for nodeid, gate_id in item_gates.items()
        if gate_id is not None and gate_id in kept
    }


def placement_reasons(manifest: Manifest) -> dict[str, str]:
    """Why a gate's items share one shard with others (or with each other), by gate id: what
    :func:`together_keys` acts on, in words, for ``pytest-gates plan``."""
    reasons = {}
    for gate in manifest.gates:
        said = []
        if gate.together:
            said.append("together: true")
        if gate.sequential:
            said.append("sequential: true")
        if manifest.runs_once(gate):
            said.append("a step must not run twice, so it runs with every gate upstream of it")
        read = manifest.shard_reads(gate)
        if read:
            said.append("it reads the results of " + ", ".join(sorted(read)))
        if said:
            reasons[gate.id] = "; ".join(said)
    return reasons


def kept_together(
    manifest: Manifest, item_gates: ItemGates, keys: Mapping[str, str]
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Each unit of more than one gate, as (its gates in manifest order, why: ``gate: reason``
    for each of them with a reason)."""
    gates_of: dict[str, set[str]] = {}
    for nodeid, key in keys.items():
        gate_id = item_gates.get(nodeid)
        if gate_id is not None:
            gates_of.setdefault(key, set()).add(gate_id)
    rank = {gate.id: i for i, gate in enumerate(manifest.gates)}
    reasons = placement_reasons(manifest)
    kept = []
    for gates in gates_of.values():
        if len(gates) > 1:
            ordered = tuple(sorted(gates, key=rank.__getitem__))
            why = tuple(f"{g}: {reasons[g]}" for g in ordered if g in reasons)
            kept.append((ordered, why))
    return tuple(sorted(kept))


@dataclass(frozen=True)
class ShardPlan:
    """Items split into groups (shards, or xdist workers' shares), with what the split used."""

    plan: Plan
    predictions: Mapping[str, Prediction]
    #: Recorded node ids that no longer exist (reported, never used).
    stale: Sequence[str]
    item_gates: ItemGates = field(default_factory=dict)
    #: Gate ids in run order, and each gate's needs.
    order: Sequence[str] = ()
    needs: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: The units of more than one gate, with why they are kept together (:func:`kept_together`).
    kept: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = ()

    def lower_bound(self) -> float:
        return self.plan.lower_bound(p.seconds for p in self.predictions.values())

    def ratio(self) -> float:
        bound = self.lower_bound()
        return self.plan.makespan / bound if bound > 0 else 1.0

    def seconds(self, nodeid: str) -> float:
        return self.predictions[nodeid].seconds

    def run_order(self, group: Sequence[str]) -> list[str]:
        """``group`` in the order to run it: by gate in run order, then longest first."""
        rank = {gate_id: i for i, gate_id in enumerate(self.order)}

        def key(nodeid: str) -> tuple[int, float, str]:
            gate = self.item_gates.get(nodeid)
            position = rank.get(gate, len(rank)) if gate is not None else len(rank)
            return (position, -self.seconds(nodeid), nodeid)

        return sorted(group, key=key)


def plan_shards(
    loaded: LoadedManifest, item_gates: ItemGates, store: DurationStore, total: int
) -> ShardPlan:
    """The partition of ``item_gates`` (node id -> gate id) into ``total`` groups."""
    manifest = loaded.manifest
    predictions = predict(item_gates, store, declared_durations(manifest, item_gates))
    durations = {nodeid: p.seconds for nodeid, p in predictions.items()}
    keys = together_keys(manifest, item_gates)
    plan = partition(durations, total, keys)
    return ShardPlan(
        plan,
        predictions,
        store.stale(item_gates),
        dict(item_gates),
        loaded.order,
        {gate.id: tuple(gate.needs) for gate in manifest.gates},
        kept_together(manifest, item_gates, keys),
    )


class Planner:
    """:func:`plan_shards` over a manifest, with the durations store loaded on first use (a
    session that neither shards nor distributes never reads the file)."""

    def __init__(self, loaded: LoadedManifest, load_store: Callable[[], DurationStore]) -> None:
        self.loaded = loaded
        self._load_store = load_store
        self._store: DurationStore | None = None

    def store(self) -> DurationStore:
        if self._store is None:
            self._store = self._load_store()
        return self._store

    def plan(self, item_gates: ItemGates, total: int) -> ShardPlan:
        return plan_shards(self.loaded, item_gates, self.store(), total)
