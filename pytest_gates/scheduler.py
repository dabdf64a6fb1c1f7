"""Distribution over xdist workers under ``--gates``.

xdist's ``--dist`` choices are closed, so the scheduler comes in through
``pytest_xdist_make_scheduler``, and only when gates are on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from pytest_gates.manifest import connected_groups

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

    from pytest_gates.session import GatesSession


class GateGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """Sends every item of a group of connected gates to one worker, in collection order.

    Gates joined by ``needs`` form a group (see :func:`connected_groups`); the worker runs the
    group's items in dependency order, so it knows whether a need failed before it starts a
    dependent gate, exactly as a run without xdist does. Independent groups run in parallel.
    Items outside every gate (there are none under ``--gates``) fall back to one scope each.
    """

    def __init__(self, config: pytest.Config, log: Any, session: GatesSession) -> None:
        super().__init__(config, log)
        self.session = session
        #: gate id -> the group it belongs to.
        self.groups = connected_groups(session.loaded.manifest)

    def _split_scope(self, nodeid: str) -> str:
        gate = self.session.gate_of_nodeid(nodeid)
        if gate is None:
            return nodeid
        return f"gates:{self.groups[gate]}"


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
