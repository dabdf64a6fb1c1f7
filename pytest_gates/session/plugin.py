"""The plugin object registered under ``--gates``: collection, the live chain, and the outputs.

It runs in every process: on an xdist worker it classifies each phase of each item and attaches
the payload to the report; on the controller (or the single process) it gathers the payloads,
folds them into verdicts and writes the outputs. Only the controller writes files.
"""

from __future__ import annotations

import os
import platform
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from pydantic import ValidationError

from pytest_gates.chain import GateVerdict, decide, fold
from pytest_gates.checks.api import CheckRegistry, DuplicateCheckKind
from pytest_gates.distribute.durations import DurationStore, predict
from pytest_gates.distribute.shards import (
    ShardPlan,
    declared_durations,
    parse_shard,
    plan_lines,
    plan_shards,
    shard_from_env,
)
from pytest_gates.distribute.xdist.progress import GateProgress, GateTracker, wait_for
from pytest_gates.errors import DegradedGateWarning, GatesError, ManifestError
from pytest_gates.model.document import line_of
from pytest_gates.model.manifest import CheckSpec, Gate, load_manifest, suite_owner
from pytest_gates.model.names import DEFAULT_DURATIONS, DEFAULT_MANIFEST, DEFAULT_OUT
from pytest_gates.model.records import PROPERTY, ItemRecord, PhasePayload, payload_of
from pytest_gates.outputs.write import RunOutputs, write_outputs
from pytest_gates.session.classify import BLOCKED_KEY, classify
from pytest_gates.session.collect import (
    CheckItem,
    ManifestFile,
    gate_markers,
    timeout_marker,
)
from pytest_gates.session.context import SESSION_KEY as SESSION_KEY
from pytest_gates.session.livechain import LiveChain
from pytest_gates.session.strategies import run_rollbacks
from pytest_gates.support.subject import Subject, find_subject, isoformat, now
from pytest_gates.support.version import __version__

GATE_KEY: Final = pytest.StashKey[str]()
WAIT_FAILED_KEY: Final = pytest.StashKey[str]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class GatesSession:
    """State and hooks of one ``pytest --gates`` session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = config.rootpath
        self.manifest_path = _configured_path(config, "gates_manifest", DEFAULT_MANIFEST)
        self.outdir = _configured_path(config, "gates_out", DEFAULT_OUT)
        self.manifest_display = _display(self.manifest_path, self.rootdir)
        try:
            self.loaded = load_manifest(self.manifest_path, self.manifest_display, self.rootdir)
        except ManifestError as exc:
            raise pytest.UsageError(f"invalid gate manifest\n{exc}") from None
        self.registry = CheckRegistry()
        from pytest_gates.checks import lazy

        if not config.pluginmanager.is_registered(lazy):
            config.pluginmanager.register(lazy, "gates-builtin-checks")
        try:
            config.hook.pytest_gates_register_checks(registry=self.registry)
        except DuplicateCheckKind as exc:
            raise pytest.UsageError(str(exc)) from None
        problems = self._check_params()
        if problems:
            raise pytest.UsageError("invalid gate manifest\n" + "\n".join(problems))
        self.live = LiveChain(self.loaded)
        self.records: dict[str, ItemRecord] = {}
        self.collected: list[str] = []
        self.deselected: set[str] = set()
        self.collect_errors: dict[str, str] = {}
        self.check_prefix = f"{self.manifest_display}::"
        self.explicit_args = config.args_source == pytest.Config.ArgsSource.ARGS
        self.subject = Subject(None, None)
        self.durations_path = _configured_path(config, "gates_durations", DEFAULT_DURATIONS)
        self._durations: DurationStore | None = None
        try:
            option = config.getoption("gates_shard")
            self.shard = parse_shard(option) if option else shard_from_env(os.environ)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        #: node id -> the shard that runs it (sharded runs only).
        self.shard_of: dict[str, int] = {}
        self.shard_plan: ShardPlan | None = None
        self.tracker: GateTracker | None = None
        self.outputs: RunOutputs | None = None
        self.output_error: str | None = None
        self.started = now()
        if not is_worker(config):
            self.subject = find_subject(self.rootdir, self.outdir)
        if not self.explicit_args:
            # Under --gates the session is the gates: the manifest and the suites, nothing else.
            config.args = [str(self.manifest_path)] + [
                str(self.rootdir / suite)
                for gate in self.loaded.manifest.gates
                for suite in gate.suites
            ]

    def _check_params(self) -> list[str]:
        problems: list[str] = []
        doc = self.loaded.document
        for g, gate in enumerate(self.loaded.manifest.gates):
            for c, check in enumerate(gate.checks):
                kind = self.registry.get(check.kind)
                if kind is None:
                    continue  # reported as ERROR by the item, so the rest still runs
                try:
                    kind.parse(check.params)
                except ValidationError as exc:
                    keys = [
                        *CheckSpec.model_fields,
                        *kind.params.model_json_schema(by_alias=True)["properties"],
                    ]
                    problems += doc.validation_problems(exc, ["gates", g, "checks", c], keys)
        return problems

    # -- collection ---------------------------------------------------------------------------

    def gate_of_path(self, path: Path) -> Gate | None:
        return suite_owner(self.loaded.manifest, self.rootdir, path)

    def gate_of_nodeid(self, nodeid: str) -> str | None:
        if nodeid.startswith(self.check_prefix):
            parts = nodeid.split("::")
            return parts[1] if len(parts) > 2 else None
        gate = self.gate_of_path(self.rootdir / nodeid.split("::")[0])
        return gate.id if gate is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        path = collection_path.resolve()
        if path == self.manifest_path.resolve():
            return None
        if self.gate_of_path(path) is not None:
            return None
        keep = [self.manifest_path.resolve()] + [
            (self.rootdir / suite).resolve()
            for gate in self.loaded.manifest.gates
            for suite in gate.suites
        ]
        if any(target.is_relative_to(path) for target in keep):
            return None  # an ancestor of something we collect
        return True

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.File | None:
        if file_path.resolve() == self.manifest_path.resolve():
            return ManifestFile.from_parent(parent, path=file_path)
        return None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            gate = self.gate_of_nodeid(report.nodeid)
            if gate is not None:
                self.collect_errors[report.nodeid] = str(report.longrepr)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Mark suite tests with their gate's markers before ``-m`` deselects by them."""
        manifest = self.loaded.manifest
        foreign: list[pytest.Item] = []
        for item in items:
            if isinstance(item, CheckItem):
                gate: Gate | None = item.gate
            else:
                gate = self.gate_of_path(item.path)
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
        position = {gate_id: i for i, gate_id in enumerate(self.loaded.order)}
        items.sort(key=lambda item: position.get(item.stash.get(GATE_KEY, ""), len(position)))
        plan_total = self.config.getoption("gates_plan")
        if plan_total:
            self.shard_plan = self.plan(items, plan_total)
        if self.shard is not None:
            self._select_shard(items)

    def durations(self) -> DurationStore:
        if self._durations is None:
            display = _display(self.durations_path, self.rootdir)
            try:
                self._durations = DurationStore.load(self.durations_path, display)
            except ManifestError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._durations

    def plan(self, items: Sequence[pytest.Item], total: int) -> ShardPlan:
        item_gates = {item.nodeid: item.stash[GATE_KEY] for item in items}
        return plan_shards(self.loaded.manifest, item_gates, self.durations(), total)

    def predict(self, nodeids: Sequence[str]) -> dict[str, float]:
        """Predicted seconds of each node id (for the xdist scheduler on the controller)."""
        item_gates = {n: g for n in nodeids if (g := self.gate_of_nodeid(n)) is not None}
        declared = declared_durations(self.loaded.manifest, item_gates)
        return {n: p.seconds for n, p in predict(item_gates, self.durations(), declared).items()}

    def _select_shard(self, items: list[pytest.Item]) -> None:
        assert self.shard is not None
        planned = self.plan(items, self.shard.total)
        self.shard_of = {n: i + 1 for n, i in planned.plan.group_of().items()}
        mine = [item for item in items if self.shard_of[item.nodeid] == self.shard.index]
        others = [item for item in items if self.shard_of[item.nodeid] != self.shard.index]
        items[:] = mine
        if others:
            self.config.hook.pytest_deselected(items=others)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.update(item.nodeid for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.shard_plan is not None and reporter is not None and not is_worker(self.config):
            reporter.write_sep("=", "gates: shard plan")
            for line in plan_lines(self.shard_plan):
                reporter.write_line(line)

    # -- running -------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return
        gate = self.loaded.manifest.gate(gate_id)
        if item.stash.get(WAIT_FAILED_KEY, None):
            raise GatesError(item.stash[WAIT_FAILED_KEY])
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
        state = getattr(self.config, "workerinput", {}).get("gates_state")
        if gate_id is not None and state:
            gate = self.loaded.manifest.gate(gate_id)
            if gate.needs and not self._wait_for_needs(Path(state), gate):
                item.stash[WAIT_FAILED_KEY] = (
                    f"the gates {', '.join(gate.needs)} that {gate.id} needs cannot finish: "
                    "xdist gave up on crashed workers"
                )
        return (yield)

    def _wait_for_needs(self, state: Path, gate: Gate) -> bool:
        """Wait until the controller says each need finished (or is certain to be blocked),
        learning their failures; False when the controller gave up first."""

        def done(progress: GateProgress) -> bool:
            self.live.failed |= progress.failed
            self.live.blocked.update(progress.blocked)
            return all(n in progress.finished or self.live.doomed(n) for n in gate.needs)

        return done(wait_for(state, done))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return report
        gate = self.loaded.manifest.gate(gate_id)
        payload = classify(self.loaded.manifest, item, gate, call, report)
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
        if is_worker(self.config):
            return
        gate = payload.gate if payload is not None else self.gate_of_nodeid(report.nodeid)
        if gate is None:
            return
        if self.tracker is not None:
            self._track(gate, report, payload)
        record = self.records.setdefault(report.nodeid, ItemRecord(nodeid=report.nodeid, gate=gate))
        longrepr = "" if report.longrepr is None else str(report.longrepr)
        if isinstance(report.longrepr, tuple):
            longrepr = str(report.longrepr[2])
        record.absorb(
            payload,
            when=report.when,
            failed=report.failed,
            skipped=report.skipped,
            longrepr=longrepr.strip().splitlines()[0] if longrepr.strip() else "",
            duration=report.duration,
        )

    # -- xdist: the controller's view of gate progress, shared with the workers -----------------

    def state_file(self) -> Path:
        """The file the controller publishes gate progress in (created on first use)."""
        if self.tracker is None:
            folder = Path(tempfile.mkdtemp(prefix="pytest-gates-"))
            self.tracker = GateTracker(folder / "progress.json")
        return self.tracker.path

    def expect_items(self, nodeids: Sequence[str]) -> None:
        """Called by the scheduler with the collection: a gate finishes when all of them did."""
        self.state_file()
        assert self.tracker is not None
        self.tracker.expect(g for n in nodeids if (g := self.gate_of_nodeid(n)) is not None)

    def _track(self, gate: str, report: pytest.TestReport, payload: PhasePayload | None) -> None:
        assert self.tracker is not None
        if payload is None and report.failed:
            self.live.failed.add(gate)  # a crashed worker: the item is ERROR
        if payload is not None and payload.outcome == "blocked":
            self.tracker.blocked(gate, payload.blocked_by)
        elif gate in self.live.failed:
            self.tracker.failed(gate)
        if report.when in {"teardown", "???"}:
            self.tracker.completed(gate)

    # -- the end -------------------------------------------------------------------------------

    def all_records(self, stopped: str | None) -> list[ItemRecord]:
        """A record for every item the manifest or the collection knows, run or not."""
        records = dict(self.records)
        known = list(self.collected) + sorted(self.deselected)
        for gate in self.loaded.manifest.gates:
            known += [f"{self.check_prefix}{gate.id}::{check.id}" for check in gate.checks]
        for nodeid in known:
            if nodeid in records:
                continue
            gate_id = self.gate_of_nodeid(nodeid)
            if gate_id is None:
                continue
            record = ItemRecord(nodeid=nodeid, gate=gate_id)
            shard = self.shard_of.get(nodeid)
            if self.shard is not None and shard is not None and shard != self.shard.index:
                record.message = f"on shard {shard} of {self.shard.total}"
            elif nodeid in self.deselected:
                record.message = "deselected"
            elif nodeid in self.collected:
                if stopped:
                    record.message = f"not run: {stopped}"
                else:
                    record.outcome = "error"
                    record.message = "no result was received for this item (lost worker?)"
            else:
                record.message = "not collected in this session"
            parts = nodeid.split("::")
            if nodeid.startswith(self.check_prefix) and len(parts) > 2:
                record.check = parts[2]
            records[nodeid] = record
        for nodeid, longrepr in self.collect_errors.items():
            gate_id = self.gate_of_nodeid(nodeid)
            assert gate_id is not None
            lines = longrepr.strip().splitlines()
            records[nodeid] = ItemRecord(
                nodeid=nodeid,
                gate=gate_id,
                outcome="error",
                message=f"collection error: {lines[-1] if lines else ''}",
            )
        gated_suites = {g.id for g in self.loaded.manifest.gates if g.suites}
        has_suite_items = {
            r.gate for r in records.values() if not r.nodeid.startswith(self.check_prefix)
        }
        for gate_id in sorted(gated_suites - has_suite_items):
            gate = self.loaded.manifest.gate(gate_id)
            nodeid = gate.suites[0]
            record = ItemRecord(nodeid=nodeid, gate=gate_id)
            if self.explicit_args or stopped:
                record.message = "suite not collected in this session"
            else:
                record.outcome = "error"
                record.message = f"suite {', '.join(gate.suites)} collected no tests"
            records[nodeid] = record
        if self.shard is not None:
            for nodeid, record in records.items():
                record.shard = self.shard_of.get(nodeid)
        return list(records.values())

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if is_worker(self.config):
            workeroutput: dict[str, Any] = self.config.workeroutput  # type: ignore[attr-defined]
            workeroutput["gates_deselected"] = sorted(self.deselected)
            workeroutput["gates_shard_of"] = dict(sorted(self.shard_of.items()))
            return
        if self.config.option.collectonly:
            return  # nothing ran: no verdicts, and the last run's outputs stay as they were
        if self.config.getoption("gates_store_durations"):
            self._store_durations()
        stopped = None
        if session.shouldfail:
            stopped = f"the session stopped early ({session.shouldfail})"
        elif session.shouldstop:
            stopped = f"the session stopped early ({session.shouldstop})"
        elif exitstatus == pytest.ExitCode.INTERRUPTED:
            stopped = "the session was interrupted"
        records = self.all_records(stopped)
        verdicts = fold(self.loaded.manifest, self.loaded.order, records)
        rollbacks = run_rollbacks(self.loaded, verdicts, self.rootdir)
        decision, reason = decide(verdicts)
        self._warn_degraded(verdicts)
        selection = {
            "markexpr": self.config.option.markexpr or None,
            "keyword": self.config.option.keyword or None,
            "args": [str(a) for a in self.config.args] if self.explicit_args else None,
            "stopped": stopped,
            "shard": self.shard.as_dict() if self.shard is not None else None,
        }
        finished = now()
        run = {
            "started": isoformat(self.started),
            "finished": isoformat(finished),
            "duration": round((finished - self.started).total_seconds(), 3),
            "python": platform.python_version(),
            "pytest": pytest.__version__,
            "workers": getattr(self.config.option, "numprocesses", None) or 0,
        }
        try:
            self.outputs = write_outputs(
                outdir=self.outdir,
                generator=f"pytest-gates {__version__}",
                loaded=self.loaded,
                manifest_path=self.manifest_display,
                subject=self.subject,
                records=records,
                verdicts=verdicts,
                rollbacks=rollbacks,
                decision=decision,
                reason=reason,
                selection=selection,
                run=run,
            )
        except (OSError, GatesError) as exc:
            self.output_error = f"could not write the gate outputs to {self.outdir}: {exc}"
        else:
            self.config.hook.pytest_gates_report(config=self.config, report=self.outputs.report)
        failed = decision == "NO_GO" or self.output_error is not None
        if failed and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _store_durations(self) -> None:
        """setup + call + teardown of each item that ran (a blocked or skipped item says nothing
        about how long it takes)."""
        measured = {
            nodeid: record.duration
            for nodeid, record in sorted(self.records.items())
            if record.outcome in {"passed", "failed", "degraded"}
        }
        store = self.durations()
        store.record(measured)
        try:
            store.save(self.durations_path)
        except OSError as exc:
            self.output_error = f"could not write {self.durations_path}: {exc}"

    def _warn_degraded(self, verdicts: dict[str, GateVerdict]) -> None:
        """A warning per DEGRADED gate, located at the gate in the manifest."""
        doc = self.loaded.document
        for index, gate in enumerate(self.loaded.manifest.gates):
            verdict = verdicts[gate.id]
            if verdict.verdict == "DEGRADED":
                warnings.warn_explicit(
                    DegradedGateWarning(f"gate {gate.id} is DEGRADED: {verdict.reason}"),
                    DegradedGateWarning,
                    filename=str(self.manifest_path),
                    lineno=line_of(doc.root, ["gates", index]) or 1,
                    module="pytest_gates",
                )

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        manifest = self.loaded.manifest
        return [
            f"gates: {self.manifest_display} ({self.loaded.digest[:19]}), project {manifest.project}, "
            f"{len(manifest.gates)} gates, {len(self.registry)} check kinds, output "
            f"{_display(self.outdir, self.rootdir)}"
        ]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_gates.outputs.report import terminal_table

        if is_worker(self.config):
            return
        write = terminalreporter

        if self.output_error is not None:
            write.write_sep("=", "gates: NO_GO", red=True, bold=True)
            write.write_line(self.output_error)
            return
        if self.outputs is None:
            return
        body = self.outputs.report["body"]
        decision = body["decision"]
        colour = {"GO": "green", "GO_WITH_BYPASS": "yellow", "INCOMPLETE": "yellow"}.get(
            decision, "red"
        )
        write.write_sep("=", "gates", **{colour: True})
        for line in terminal_table(self.outputs.report):
            write.write_line(line)
        write.write_line("")
        write.write_line(f"decision: {decision}: {body['reason']}", **{colour: True, "bold": True})
        write.write_line(f"report: {_display(self.outdir / 'report.md', self.rootdir)}")


def _configured_path(config: pytest.Config, name: str, default: str) -> Path:
    """An option given on the command line is relative to the invocation dir; an ini value to
    the ini file's folder; the default to the rootdir."""
    value: str | None = config.getoption(name)
    if value:
        return (config.invocation_params.dir / value).resolve()
    ini = config.getini(name)
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / str(ini)).resolve()
    return (config.rootpath / default).resolve()


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
