"""The chain as a process sees it while items run: which gates failed or were blocked so far.

Used to skip an item whose gate needs a gate that already failed. Without xdist, items run in
dependency order in one process, so what the process saw is enough; on xdist workers the
controller's published progress (:mod:`pytest_gates.distribute.xdist.progress`) is merged in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pytest_gates.model.graph import blocking_roots
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Gate
from pytest_gates.model.records import PhasePayload


class LiveChain:
    """What this process has seen so far: which gates failed, which were blocked and by whom.

    Used to skip a gate's items when a gate it needs has already failed. Items of one gate and
    its needs run in dependency order in one process, so local knowledge is enough.
    """

    def __init__(self, loaded: LoadedManifest) -> None:
        self.loaded = loaded
        self.needs = loaded.manifest.needs()
        self.failed: set[str] = set()
        self.blocked: dict[str, tuple[str, ...]] = {}

    def collection_faults(
        self, errored: Iterable[str], collected: Collection[str], whole_session: bool
    ) -> None:
        """Gates that are ERROR before any item runs, so nothing that needs them runs either: a
        gate with a collection error in one of its suites (``errored``), and, when the session
        is the manifest's (no paths given), a gate with suites of which no item was collected.

        Every process learns this from its own collection (xdist workers collect alike), so
        ``-n 0`` and ``-n N`` block the same items."""
        self.failed.update(errored)
        if whole_session:
            suites = (gate.id for gate in self.loaded.manifest.gates if gate.suites)
            self.failed.update(gate_id for gate_id in suites if gate_id not in collected)

    def observe(self, payload: PhasePayload) -> None:
        if payload.outcome in {"failed", "error"}:
            self.failed.add(payload.gate)
        elif payload.outcome == "blocked":
            self.blocked[payload.gate] = tuple(payload.blocked_by)

    def doomed(self, gate_id: str) -> bool:
        """The gate failed, or cannot pass because a gate it needs (at any depth) failed."""
        return gate_id in self.failed or bool(self._roots(gate_id))

    def blockers(self, gate: Gate) -> tuple[str, ...]:
        return self._roots(gate.id)

    def _roots(self, gate_id: str) -> tuple[str, ...]:
        """The failed gates at the root of ``gate_id`` being blocked, in gate order; a need that
        has not reported yet but whose own needs failed counts as blocked already."""
        return blocking_roots(gate_id, self.needs, self.loaded.order, self.failed, self.blocked)
