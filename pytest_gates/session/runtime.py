"""The runtime plugin: what every process of a gate session does (the single process, the xdist
controller and each worker alike).

It decides what is collected, marks and orders the items, takes this shard's part, skips an item
whose gate is blocked, waits (on a worker) for the gates an item's gate needs, and classifies each
phase into a payload attached to the report. It writes no file: gathering the payloads is the
controller plugin's part (:mod:`pytest_gates.session.controller`).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from _pytest.junitxml import _NodeReporter, xml_key

from pytest_gates.checks.testfailures import failure_of
from pytest_gates.distribute.plan import ShardPlan
from pytest_gates.distribute.shards import shard_of
from pytest_gates.distribute.xdist.progress import GateProgress, wait_for
from pytest_gates.errors import WorkersLost
from pytest_gates.model.records import PROPERTY, PhasePayload, attach_payload, report_payload
from pytest_gates.session.budget import RunBudget
from pytest_gates.session.classify import BLOCKED_KEY, classify
from pytest_gates.session.collect import CheckItem, ManifestFile, gate_markers, timeout_marker
from pytest_gates.session.context import CollectionState, GatesContext
from pytest_gates.session.heap import settle, tend
from pytest_gates.session.livechain import LiveChain
from pytest_gates.session.needs import board
from pytest_gates.session.sequence import SequenceTracker

#: The gate an item belongs to.
GATE_KEY: Final = pytest.StashKey[str]()
#: The item waited for its gate's needs and xdist gave up on them first.
WAIT_FAILED_KEY: Final = pytest.StashKey[bool]()
#: Characters of a failure's or an error's text kept in JUnit XML (a timeout's is pages long).
JUNIT_TEXT_LIMIT: Final = 4000


def bounded(text: str, limit: int = JUNIT_TEXT_LIMIT) -> str:
    """``text`` when short; else its start and its end (where the error is), saying what was cut."""
    if len(text) <= limit:
        return text
    head, tail = limit // 4, limit - limit // 4
    cut = len(text) - head - tail
    return (
        f"{text[:head]}\n[... {cut} characters cut; the gate's evidence has the item's record ...]"
        f"\n{text[-tail:]}"
    )


class JunitCases:
    """What pytest's JUnit XML (``--junitxml``, on the process that writes it) says of a gate item.

    pytest names a testcase from its node id, writes every user property into it (our payload
    travels as one; the xunit2 schema allows no ``<properties>`` in a ``<testcase>``), and calls a
    failed call a ``<failure>``. Once pytest has finished an item's testcase (at its teardown
    report), this sets the classname to ``gates.<gate-id>``, drops the payload property, turns a
    failure into an ``<error>`` when the item could not run to a verdict (a crash, a timeout), and
    bounds the text of a failure or an error.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        #: The testcase of each item whose setup was seen, by (node id, xdist node).
        self.cases: dict[tuple[str, object], _NodeReporter] = {}
        #: The items whose call was an error.
        self.errored: set[tuple[str, object]] = set()

    def before(self, report: pytest.TestReport, payload: PhasePayload | None) -> int | None:
        """Before pytest sees ``report``: the number of testcases it has opened so far."""
        xml = self.config.stash.get(xml_key, None)
        if xml is None or payload is None:
            return None
        key = (report.nodeid, getattr(report, "node", None))
        if report.when == "setup" and key not in self.cases:
            self.cases[key] = xml.node_reporter(report)
        return len(xml.node_reporters_ordered)

    def after(self, report: pytest.TestReport, payload: PhasePayload, opened: int) -> None:
        """After pytest saw ``report``: at the teardown, settle the item's testcases."""
        xml = self.config.stash[xml_key]
        key = (report.nodeid, getattr(report, "node", None))
        if payload.outcome == "error" and report.when == "call":
            self.errored.add(key)  # a call that crashed or timed out: pytest says "failure"
        if report.when != "teardown":
            return
        errored = key in self.errored
        self.errored.discard(key)
        case = self.cases.pop(key, None)
        # A teardown error after a failed call is a testcase of its own, opened just now.
        cases = [*([case] if case is not None else []), *xml.node_reporters_ordered[opened:]]
        for testcase in (c.to_xml() for c in cases):  # finished: the element pytest will write
            testcase.set("classname", f"gates.{payload.gate}")
            for properties in testcase.findall("properties"):
                for prop in properties.findall(f"property[@name='{PROPERTY}']"):
                    properties.remove(prop)
                if not len(properties):
                    testcase.remove(properties)
            for node in testcase:
                if node.tag == "failure" and errored:
                    node.tag = "error"
                    xml.stats["failure"] -= 1
                    xml.stats["error"] += 1
                if node.tag in {"failure", "error"} and node.text:
                    node.text = bounded(node.text)


class RuntimePlugin:
    """Collection, marking, ordering, shard selection, blocking, waiting and classifying."""

    def __init__(
        self, config: pytest.Config, context: GatesContext, state: CollectionState
    ) -> None:
        self.config = config
        self.context = context
        self.state = state
        self.live = LiveChain(context.loaded)
        self.sequence = SequenceTracker(config, context.loaded.manifest)
        #: The progress file the xdist controller publishes (on a worker only).
        state_file = getattr(config, "workerinput", {}).get("gates_state")
        self.progress_file = Path(state_file) if state_file else None
        #: The gates with items in this session (after deselection and shard selection).
        self.gates_here: set[str] = set()
        self.junit = JunitCases(config)
        #: Gates with a collection error in a suite (their items cannot give a verdict).
        self.collect_failed: set[str] = set()
        #: The run budget, as the controller published it when the session started.
        self.budget = RunBudget(None, None)
        # A suite's collection error is its gate's ERROR, not the session's end: the other gates
        # run, under -n 0 as on xdist workers (where pytest never stops for it).
        config.option.continue_on_collection_errors = True

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
                item.stash[GATE_KEY] = item.gate.id  # its gate node carries the markers
                continue
            gate = self.context.gate_of_path(item.path)
            if gate is None:
                foreign.append(item)
                continue
            for marker in gate_markers(manifest, gate):
                item.add_marker(marker)
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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        gate_id = self.context.gate_of_nodeid(report.nodeid) if report.failed else None
        if gate_id is not None:
            self.collect_failed.add(gate_id)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.state.collected = [item.nodeid for item in session.items]
        self.gates_here = {g for item in session.items if (g := item.stash.get(GATE_KEY, None))}
        suite_items = [*self.state.collected, *self.state.deselected]
        with_suite_items = {
            gate_id
            for nodeid in suite_items
            if not nodeid.startswith(self.context.check_prefix)
            and (gate_id := self.context.gate_of_nodeid(nodeid)) is not None
        }
        whole = not self.context.explicit_args
        self.live.collection_faults(self.collect_failed, with_suite_items, whole)
        self.budget = RunBudget.from_environment()
        settle(session.config)  # the items collected: they live until the session ends

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
        else:
            self.sequence.hold(item, gate)  # a sequential gate's later steps after a failure
            self.budget.check_setup(item)  # the run's budget was spent before the item began

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
            waited = not needs or self._wait_for_needs(self.progress_file, needs)
            if not waited and not self.budget.exceeded():  # else the budget's ERROR says why
                item.stash[WAIT_FAILED_KEY] = True
        if gate_id is not None:
            self.budget.before_item(item)  # after the wait: it counts against the budget
        return (yield)

    def _wait_for_needs(self, state: Path, needs: Sequence[str]) -> bool:
        """Wait until the controller says each need finished (or is certain to be blocked),
        learning their failures; False when the controller gave up first."""

        def done(progress: GateProgress) -> bool:
            self.live.failed |= progress.failed
            self.live.blocked.update(progress.blocked)
            return all(n in progress.finished or self.live.doomed(n) for n in needs)

        progress = wait_for(state, done, self.budget.deadline)
        board(self.config).learn(progress.results)  # what the item's checks may read
        return done(progress)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return report
        gate = self.context.loaded.manifest.gate(gate_id)
        payload = classify(self.context.loaded.manifest, item, gate, call, report)
        payload.message = self.budget.cut_message(item, payload.outcome) or payload.message
        self.sequence.settle(item, payload)
        if report.failed and not isinstance(item, CheckItem):  # a suite test: where and why
            payload.findings = [failure_of(report).finding("suites.test_failed")]
        if payload.outcome == "degraded":
            # Allowed to fail: reported like an expected failure, so -x, --lf and the exit
            # status treat it as such, while the terminal still shows it.
            report.outcome = "skipped"
            report.wasxfail = f"degraded: gate {gate.id} allows failure: {payload.message}"
        # Encoded only where xdist carries it to the controller; here the hooks share it.
        attach_payload(report, payload, ship=hasattr(self.config, "workerinput"))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        """Learn each gate's progress; around pytest's JUnit XML writer, settle its testcase."""
        payload = report_payload(report)
        if payload is not None:
            self.live.observe(payload)
            self.sequence.observe(payload)
        opened = self.junit.before(report, payload)
        result = yield
        if payload is not None and opened is not None:
            self.junit.after(report, payload, opened)
        if payload is not None and payload.check is not None and report.when == "teardown":
            tend(self.config)
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On an xdist worker, send the controller what only collection knows."""
        workeroutput: dict[str, Any] | None = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["gates_deselected"] = sorted(self.state.deselected)
            workeroutput["gates_shard_of"] = dict(sorted(self.state.shard_of.items()))
