"""Each gate reads what came before: the final results of the gates a check's gate needs.

A check reads a needed gate through ``CheckContext.needed(gate_id)``
(:class:`~pytest_gates.checks.api.NeedResult`: verdict, records, findings). Where the results come
from depends on the process:

* one process (``-n 0``): the controller plugin's records so far, folded when a check asks; the
  items of a gate's needs ran before it (dependency order);
* an xdist worker: the controller publishes each needed gate's result with its progress
  (:class:`~pytest_gates.distribute.xdist.progress.GateProgress` ``results``) when the gate's last
  item completes, and the worker takes the results of an item's needs when it stops waiting for
  them, whichever worker ran them.

A check reads only the gates its ``reads`` names (validated against the gate's needs when the
manifest loads); anything else is an error. Declared reads are what lets a shard plan keep a
reader with what it reads (:func:`~pytest_gates.distribute.plan.together_keys`): an undeclared
read could not be placed, and would find nothing on another CI machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import pytest
from pydantic import JsonValue, ValidationError

from pytest_gates.chain import fold
from pytest_gates.checks.api import NeedResult
from pytest_gates.checks.ready import READY_KIND
from pytest_gates.distribute.xdist.progress import GateTracker
from pytest_gates.model.findings import sorted_findings
from pytest_gates.model.graph import upstream
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import CheckSpec, Gate
from pytest_gates.model.records import ItemRecord

#: Where this process keeps the need results it knows (on ``config.stash``).
NEEDS_KEY: Final = pytest.StashKey["NeedBoard"]()


@dataclass
class NeedBoard:
    """The final results of gates as this process knows them: published ones (a worker), or a
    source that folds the records so far (the single process)."""

    results: dict[str, NeedResult] = field(default_factory=dict)
    source: Callable[[str], NeedResult | None] | None = None

    def learn(self, published: Mapping[str, JsonValue]) -> None:
        """Take the results the controller published (JSON), skipping any unreadable one."""
        for gate_id, data in published.items():
            if gate_id in self.results:
                continue
            try:
                self.results[gate_id] = NeedResult.model_validate(data)
            except ValidationError:
                continue  # a result this version cannot read is not a result

    def get(self, gate_id: str) -> NeedResult | None:
        """The result of ``gate_id`` known now, if any."""
        result = self.results.get(gate_id)
        if result is None and self.source is not None:
            result = self.source(gate_id)
        return result

    def view(self, gates: Iterable[str]) -> NeedView:
        """The results of ``gates``, each looked up when a check asks for it."""
        return NeedView(self, tuple(gates))


class NeedView(Mapping[str, NeedResult]):
    """A check's window on the board: only its readable gates, looked up on access."""

    def __init__(self, board: NeedBoard, gates: tuple[str, ...]) -> None:
        self._board = board
        self._gates = gates

    def __getitem__(self, gate_id: str) -> NeedResult:
        result = self._board.get(gate_id) if gate_id in self._gates else None
        if result is None:
            raise KeyError(gate_id)
        return result

    def __iter__(self) -> Iterator[str]:
        return (gate_id for gate_id in self._gates if self._board.get(gate_id) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def board(config: pytest.Config) -> NeedBoard:
    """This process's board (made on first use)."""
    found = config.stash.get(NEEDS_KEY, None)
    if found is None:
        found = config.stash[NEEDS_KEY] = NeedBoard()
    return found


def readable(loaded: LoadedManifest, gate: Gate, check: CheckSpec) -> tuple[str, ...]:
    """The gates ``check`` may read: its ``reads``; a READY check reads every gate its gate
    needs at any depth (the gates it audits)."""
    if check.kind == READY_KIND:
        return upstream(gate.id, loaded.manifest.needs(), loaded.order)
    return tuple(check.reads)


def need_result(
    loaded: LoadedManifest, records: Iterable[ItemRecord], gate_id: str
) -> NeedResult | None:
    """``gate_id``'s result folded from the records received so far; None when nothing of it
    ran (it has no result). Only the gate and the gates below it are folded: nothing else
    changes its verdict."""
    relevant = {gate_id, *loaded.manifest.upstream_of(gate_id)}
    received = [record for record in records if record.gate in relevant]
    verdict = fold(loaded.manifest, loaded.order, received)[gate_id]
    if verdict.verdict == "NOT_RUN":
        return None
    own = sorted((r for r in received if r.gate == gate_id), key=lambda r: r.nodeid)
    findings = sorted_findings([f for record in own for f in record.findings])
    return NeedResult(gate=gate_id, verdict=verdict.verdict, records=own, findings=findings)


class NeedPublisher:
    """The controller's side: each needed gate's result from the records received so far,
    folded when a check asks (one process), or published with the gate's finish to the xdist
    workers (``tracker``)."""

    def __init__(
        self,
        config: pytest.Config,
        loaded: LoadedManifest,
        records: Mapping[str, ItemRecord],
        tracker: GateTracker | None,
        complete: Callable[[list[ItemRecord]], list[ItemRecord]] = list,
    ) -> None:
        self.loaded = loaded
        self.records = records
        #: The records as the fold at the end sees them (the controller adds the approval and
        #: bypass records: an emergency-bypassed need reads as BYPASSED, an unapproved one FAIL).
        self.complete: Callable[[list[ItemRecord]], list[ItemRecord]] = complete
        #: The gates some check reads: the only ones whose results are published.
        manifest = loaded.manifest
        self.needed = frozenset(
            read for gate in manifest.gates for read in manifest.read_gates(gate)
        )
        if tracker is None:
            board(config).source = self.result
        else:
            tracker.result_of = self.publish

    def result(self, gate_id: str) -> NeedResult | None:
        return need_result(self.loaded, self.complete(list(self.records.values())), gate_id)

    def publish(self, gate_id: str) -> Callable[[], JsonValue] | None:
        """How to make ``gate_id``'s result as JSON for the workers (None if no check reads it)."""
        if gate_id not in self.needed:
            return None

        def result() -> JsonValue:
            found = self.result(gate_id)
            return None if found is None else found.model_dump(mode="json", by_alias=True)

        return result
