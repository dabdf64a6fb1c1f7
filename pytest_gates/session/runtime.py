"""The runtime plugin: what every process of a gate session does (the single process, the xdist
controller and each worker alike).

It decides what is collected, marks and orders the items, takes this shard's part, skips an item
whose gate is blocked, waits (on a worker) for the gates an item's gate needs, and classifies each
phase into a payload attached to the report. It writes no file: gathering the payloads is the
controller plugin's part (:mod:`pytest_gates.session.controller`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_gates.distribute.plan import ShardPlan
from pytest_gates.distribute.shards import shard_of
from pytest_gates.distribute.xdist.progress import GateProgress, wait_for
from pytest_gates.errors import WorkersLost
from pytest_gates.model.manifest import Gate
from pytest_gates.model.records import PROPERTY, payload_of
from pytest_gates.session.classify import BLOCKED_KEY, classify
from pytest_gates.session.collect import CheckItem, ManifestFile, gate_markers, timeout_marker
from pytest_gates.session.context import CollectionState, GatesContext
from pytest_gates.session.livechain import LiveChain

#: The gate an item belongs to.
GATE_KEY: Final = pytest.StashKey[str]()
#: The item waited for its gate's needs and xdist gave up on them first.
WAIT_FAILED_KEY: Final = pytest.StashKey[bool]()


class RuntimePlugin:
    """Collection, marking, ordering, shard selection, blocking, waiting and classifying."""

    def __init__(
        self, config: pytest.Config, context: GatesContext, state: CollectionState
    ) -> None:
        self.config = config
        self.context = context
        self.state = state
        self.live = LiveChain(context.loaded)
        #: The progress file the xdist controller publishes (on a worker only).
        state_file = getattr(config, "workerinput", {}).get("gates_state")
        self.progress_file = Path(state_file) if state_file else None
        #: The gates with items in this session (after deselection and shard selection).
        self.gates_here: set[str] = set()

    # -- collection ---------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        path = collection_path.resolve()
        manifest = self.context.manifest_path.resolve()
        if path == manifest or self.context.gate_of_path(path) is not None:
            return None
        if any(target.is_relative_to(path) for target in [manifest, *self.context.suite_paths()]):
            return None  # an ancestor of something we collect
        return True

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.File | None:
        if file_path.resolve() == self.context.manifest_path.resolve():
            return ManifestFile.from_parent(parent, path=file_path)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Mark suite tests with their gate's markers before ``-m`` deselects by them."""
        manifest = self.context.loaded.manifest
        foreign: list[pytest.Item] = []
        for item in items:
            if isinstance(item, CheckItem):
                gate: Gate | None = item.gate
            else:
                gate = self.context.gate_of_path(item.path)
                if gate is None:
                    foreign.append(item)
                    continue
                for marker in gate_markers(manifest, gate):
                    item.add_marker(marker)
            assert gate is not None
            item.stash[GATE_KEY] = gate.id
            timeout = timeout_marker(manifest, gate)
            if timeout is not None and item.get_closest_marker("timeout") is None:
                item.add_marker(timeout)
        if foreign:
            items[:] = [item for item in items if item not in foreign]
            config.hook.pytest_deselected(items=foreign)

    @pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
    def pytest_collection_modifyitems_order(self, items: list[pytest.Item]) -> None:
        """Gates in dependency order, after every other plugin reordered (``--ff``, ``--nf``)."""
        position = {gate_id: i for i, gate_id in enumerate(self.context.loaded.order)}
        items.sort(key=lambda item: position.get(item.stash.get(GATE_KEY, ""), len(position)))
        plan_total = self.config.getoption("gates_plan")
        if plan_total:
            self.state.shard_plan = self._plan(items, plan_total)
        shard = self.context.shard
        if shard is not None:
            self.state.shard_of = shard_of(self._plan(items, shard.total))
            mine = [item for item in items if self.state.shard_of[item.nodeid] == shard.index]
            others = [item for item in items if self.state.shard_of[item.nodeid] != shard.index]
            items[:] = mine
            if others:
                self.config.hook.pytest_deselected(items=others)

    def _plan(self, items: Sequence[pytest.Item], total: int) -> ShardPlan:
        item_gates = {item.nodeid: item.stash[GATE_KEY] for item in items}
        return self.context.planner.plan(item_gates, total)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.state.deselected.update(item.nodeid for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.state.collected = [item.nodeid for item in session.items]
        self.gates_here = {g for item in session.items if (g := item.stash.get(GATE_KEY, None))}

    # -- running -------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return
        gate = self.context.loaded.manifest.gate(gate_id)
        if item.stash.get(WAIT_FAILED_KEY, False):
            raise WorkersLost(gate.id, gate.needs)
        roots = self.live.blockers(gate)
        if roots:
            item.stash[BLOCKED_KEY] = roots
            # A skip marker (not pytest.skip()) so the report points at the item, not at us.
            item.add_marker(pytest.mark.skip(reason=f"blocked by {', '.join(roots)}"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        """On an xdist worker, wait for the gates this item's gate needs before anything of the
        item starts: outside its setup, so the wait does not count against its timeout."""
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is not None and self.progress_file is not None:
            # A need with no item in this session (deselected, on another shard) never finishes
            # here: as in one process, it does not hold its dependents back.
            gate = self.context.loaded.manifest.gate(gate_id)
            needs = [need for need in gate.needs if need in self.gates_here]
            if needs and not self._wait_for_needs(self.progress_file, needs):
                item.stash[WAIT_FAILED_KEY] = True
        return (yield)

    def _wait_for_needs(self, state: Path, needs: Sequence[str]) -> bool:
        """Wait until the controller says each need finished (or is certain to be blocked),
        learning their failures; False when the controller gave up first."""

        def done(progress: GateProgress) -> bool:
            self.live.failed |= progress.failed
            self.live.blocked.update(progress.blocked)
            return all(n in progress.finished or self.live.doomed(n) for n in needs)

        return done(wait_for(state, done))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return report
        gate = self.context.loaded.manifest.gate(gate_id)
        payload = classify(self.context.loaded.manifest, item, gate, call, report)
        if payload.outcome == "degraded":
            # Allowed to fail: reported like an expected failure, so -x, --lf and the exit
            # status treat it as such, while the terminal still shows it.
            report.outcome = "skipped"
            report.wasxfail = f"degraded: gate {gate.id} allows failure: {payload.message}"
        report.user_properties.append((PROPERTY, payload.encode()))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = payload_of(report.user_properties)
        if payload is not None:
            self.live.observe(payload)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On an xdist worker, send the controller what only collection knows."""
        workeroutput: dict[str, Any] | None = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["gates_deselected"] = sorted(self.state.deselected)
            workeroutput["gates_shard_of"] = dict(sorted(self.state.shard_of.items()))
