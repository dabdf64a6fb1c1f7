"""The controller plugin: registered only where ``not hasattr(config, "workerinput")`` (the single
process, or the xdist controller), as ``_pytest/junitxml.py`` registers its plugin.

It gathers each phase's payload into an item record, publishes gate progress for xdist workers,
and at the end completes the records, folds them into verdicts, runs rollbacks, writes the
outputs (signed with ``--gates-sign-key``, continuing ``--gates-log-from``) and prints the
summary. Only this plugin writes files.

A signing key and a log to continue are checked when the plugin is made, before anything runs:
a key that cannot be read, a run with no git commit to sign for, or a log whose chain is broken
is a ``pytest.UsageError``.
"""

from __future__ import annotations

import platform
import warnings
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gates.chain import GateVerdict, decide, fold
from pytest_gates.distribute.durations import measured
from pytest_gates.distribute.shards import plan_lines
from pytest_gates.distribute.xdist.progress import GateTracker
from pytest_gates.errors import DegradedGateWarning, EvidenceError, GatesError
from pytest_gates.model.parse import gc_paused
from pytest_gates.model.records import ItemRecord, PhasePayload, report_payload
from pytest_gates.outputs.layout import LOG_FILE, SIGNED_REPORT_FILE
from pytest_gates.outputs.memory import memory_records, read_log
from pytest_gates.outputs.translog import TransitionLog
from pytest_gates.session.approvals import approval_records, bypass_refusal
from pytest_gates.session.budget import BudgetClock
from pytest_gates.session.completion import complete_records
from pytest_gates.session.context import CollectionState, GatesContext
from pytest_gates.session.crashguard import RunRecord
from pytest_gates.session.heap import settle
from pytest_gates.session.needs import NeedPublisher
from pytest_gates.session.ready import fold_ready
from pytest_gates.session.strategies import run_rollbacks
from pytest_gates.session.suitecov import suite_coverage_records
from pytest_gates.support.subject import Subject, find_subject, isoformat, now
from pytest_gates.support.version import __version__

if TYPE_CHECKING:  # the writers and signing load when the run ends (--collect-only: never)
    from pytest_gates.outputs.write import RunOutputs
    from pytest_gates.trust import PrivateKey


class ControllerPlugin:
    """Gathers, folds, writes and prints; ``tracker`` is set when xdist workers run the items."""

    def __init__(
        self,
        config: pytest.Config,
        context: GatesContext,
        state: CollectionState,
        tracker: GateTracker | None = None,
    ) -> None:
        self.config = config
        self.context = context
        self.state = state
        self.tracker = tracker
        self.records: dict[str, ItemRecord] = {}
        self.outputs: RunOutputs | None = None
        self.output_error: str | None = None
        self.started = now()
        #: Says INCOMPLETE in the output folder from the session's start until it decided.
        self.record = RunRecord(context.outdir, isoformat(self.started))
        #: The run budget (``defaults.max_duration``), fixed when the session starts.
        self.clock = BudgetClock(context.loaded.manifest.defaults.max_duration)
        self.subject = find_subject(context.rootdir, context.outdir)
        self.sign_key = _sign_key(config, self.subject)
        self.log_from = _log_from(config, context.outdir)
        with_approvals = partial(approval_records, config, context)
        self.needs = NeedPublisher(config, context.loaded, self.records, tracker, with_approvals)

    # -- what the workers send back (called by the xdist hooks) --------------------------------

    def worker_collected(self, nodeids: Sequence[str]) -> None:
        if not self.state.collected:
            self.state.collected = list(nodeids)

    def worker_finished(self, workeroutput: Mapping[str, Any]) -> None:
        self.state.deselected.update(workeroutput.get("gates_deselected", ()))
        self.state.shard_of.update(workeroutput.get("gates_shard_of", {}))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.config.option.collectonly:
            self.record.start()  # before xdist starts its workers: they inherit the run's id
            self.clock.start()  # and the run's deadline

    # -- gathering -----------------------------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and self.context.gate_of_nodeid(report.nodeid) is not None:
            self.state.collect_errors[report.nodeid] = str(report.longrepr)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.state.shard_plan is not None and reporter is not None:
            reporter.write_sep("=", "gates: shard plan")
            for line in plan_lines(self.state.shard_plan):
                reporter.write_line(line)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = report_payload(report)
        gate = payload.gate if payload is not None else self.context.gate_of_nodeid(report.nodeid)
        if gate is None:
            return
        record = self.records.get(report.nodeid)
        if record is None:
            record = self.records[report.nodeid] = ItemRecord(nodeid=report.nodeid, gate=gate)
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
        if self.tracker is not None:  # after the record: a finished gate's result includes it
            self._track(self.tracker, gate, report, payload)

    @staticmethod
    def _track(
        tracker: GateTracker, gate: str, report: pytest.TestReport, payload: PhasePayload | None
    ) -> None:
        if payload is not None and payload.outcome == "blocked" and payload.blocked_by:
            tracker.blocked(gate, payload.blocked_by)
        elif payload is None and report.failed:
            tracker.failed(gate)  # a crashed worker: the item is ERROR
        elif payload is not None and payload.outcome in {"failed", "error"}:
            tracker.failed(gate)
        if report.when in {"teardown", "???"}:
            tracker.completed(gate)

    # -- the end -------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return  # nothing ran: no verdicts, and the last run's outputs stay as they were
        settle(self.config)  # the run's records and reports: alive until the outputs are written
        if self.config.getoption("gates_store_durations"):
            self._store_durations()
        stopped = _stopped(session, exitstatus)
        records = complete_records(self.context, self.state, self.records, stopped)
        records = approval_records(self.config, self.context, records)
        records += suite_coverage_records(self.config, records)
        loaded = self.context.loaded
        records += memory_records(loaded, read_log([self.context.outdir / LOG_FILE, self.log_from]))
        verdicts = fold(loaded.manifest, loaded.order, records)
        rollbacks = run_rollbacks(
            loaded, verdicts, self.context.rootdir, self.config, self.record.run
        )
        records, verdicts = fold_ready(
            self.context, self.subject, records, verdicts, rollbacks, self.log_from
        )
        decision, reason = decide(verdicts)
        from pytest_gates.outputs.write import write_outputs

        try:
            with gc_paused():  # the documents all live until the last file is written
                self.outputs = write_outputs(
                    outdir=self.context.outdir,
                    generator=f"pytest-gates {__version__}",
                    loaded=loaded,
                    manifest_path=self.context.manifest_display,
                    subject=self.subject,
                    records=records,
                    verdicts=verdicts,
                    rollbacks=rollbacks,
                    decision=decision,
                    reason=reason,
                    selection=_selection(self.config, self.context, stopped),
                    run={**self._run(), **self.clock.report(r.message for r in records)},
                    sign_key=self.sign_key,
                    log_from=self.log_from,
                )
                settle(self.config)  # what the report holds, before the collector walks it
        except (OSError, GatesError) as exc:
            self.output_error = f"could not write the gate outputs to {self.context.outdir}: {exc}"
        else:
            self.record.decided()
            self.config.hook.pytest_gates_report(config=self.config, report=self.outputs.report)
        self.record.close()
        self.clock.close()
        failed = decision == "NO_GO" or self.output_error is not None
        failed = failed or bypass_refusal(loaded.manifest, decision) is not None
        if failed and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self._warn_degraded(verdicts)

    def _run(self) -> dict[str, Any]:
        finished = now()
        return {
            "started": isoformat(self.started),
            "finished": isoformat(finished),
            "duration": round((finished - self.started).total_seconds(), 3),
            "python": platform.python_version(),
            "pytest": pytest.__version__,
            "workers": getattr(self.config.option, "numprocesses", None) or 0,
        }

    def _store_durations(self) -> None:
        """Records this run's durations (:func:`~pytest_gates.distribute.durations.measured`)."""
        store = self.context.planner.store()
        store.record(measured(self.records.values()))
        try:
            store.save(self.context.durations_path)
        except OSError as exc:
            self.output_error = f"could not write {self.context.durations_path}: {exc}"

    def _warn_degraded(self, verdicts: Mapping[str, GateVerdict]) -> None:
        """A warning per DEGRADED gate, located at the gate in the manifest.

        Shown, never raised: a project's ``filterwarnings = ["error"]`` is about its code, and a
        degraded gate is a verdict already written to the report, not an error of the run.
        """
        loaded = self.context.loaded
        for index, gate in enumerate(loaded.manifest.gates):
            verdict = verdicts[gate.id]
            if verdict.verdict != "DEGRADED":
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("always", DegradedGateWarning)
                warnings.warn_explicit(
                    DegradedGateWarning(f"gate {gate.id} is DEGRADED: {verdict.reason}"),
                    DegradedGateWarning,
                    filename=str(self.context.manifest_path),
                    lineno=loaded.line(["gates", index]) or 1,
                    module="pytest_gates",
                )

    # -- the terminal --------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        context = self.context
        manifest = context.loaded.manifest
        lines = [
            f"gates: {context.manifest_display} ({context.loaded.digest[:19]}), project "
            f"{manifest.project}, {len(manifest.gates)} gates, {len(context.registry)} check "
            f"kinds, output {context.display(context.outdir)}"
        ]
        if self.sign_key is not None and self.subject.dirty:
            # A note, not a warning: a project's filterwarnings = error must not stop the run.
            lines.append(
                f"gates: signing a decision for commit {self.subject.commit} from a work tree "
                "that differs from it (the report records dirty: true)"
            )
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_gates.outputs.render.terminal import terminal_table

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
        refusal = bypass_refusal(self.context.loaded.manifest, decision)
        if refusal is not None:
            write.write_line(refusal, red=True, bold=True)
        write.write_line(f"report: {self.context.display(self.context.outdir / 'report.md')}")
        attestation = self.outputs.attestation
        if attestation is not None and attestation.keyid is not None:
            signed = self.context.display(self.context.outdir / SIGNED_REPORT_FILE)
            write.write_line(f"signed: {signed} by key {attestation.keyid}")


def _option_path(config: pytest.Config, name: str) -> tuple[Path, str] | None:
    """A path option (relative to the invocation dir) or its ini twin (relative to the ini
    file's folder), and how it was written; None when neither is set."""
    value: str | None = config.getoption(name)
    if value:
        return (config.invocation_params.dir / value).resolve(), value
    ini = str(config.getini(name) or "")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve(), ini
    return None


def _selection(config: pytest.Config, context: GatesContext, stopped: str | None) -> dict[str, Any]:
    """What the session selected: ``-m``, ``-k``, the paths given, where it stopped, the shard."""
    option = config.option
    shard = context.shard
    return {
        "markexpr": option.markexpr or None,
        "keyword": option.keyword or None,
        "args": [str(a) for a in config.args] if context.explicit_args else None,
        "stopped": stopped,
        "shard": shard.as_dict() if shard is not None else None,
    }


def _sign_key(config: pytest.Config, subject: Subject) -> PrivateKey | None:
    """The key ``--gates-sign-key`` / ``--gates-sign-key-env`` (or their ini twins) name."""
    located = _option_path(config, "gates_sign_key")
    variable = config.getoption("gates_sign_key_env") or str(
        config.getini("gates_sign_key_env") or ""
    )
    if located is None and not variable:
        return None
    from pytest_gates.outputs.attest import NO_COMMIT
    from pytest_gates.trust import KeyFileError, signing_key

    try:
        key = signing_key(
            located[0] if located else None,
            variable or None,
            display=located[1] if located else None,
        )
    except KeyFileError as exc:
        raise pytest.UsageError(f"--gates-sign-key: {exc}") from None
    if key is None:
        return None
    if subject.commit is None:
        raise pytest.UsageError(f"--gates-sign-key: cannot sign: {NO_COMMIT}")
    return key


def _log_from(config: pytest.Config, outdir: Path) -> Path | None:
    """The log ``--gates-log-from`` (or ``gates_log_from``) names, checked: its chain holds, and
    the output folder's log (if any) is a start or a continuation of it."""
    located = _option_path(config, "gates_log_from")
    if located is None:
        return None
    path, shown = located
    try:
        problem = TransitionLog(outdir / LOG_FILE).cannot_continue(path, shown)
    except EvidenceError as exc:
        raise pytest.UsageError(f"--gates-log-from: cannot continue a broken log: {exc}") from None
    if problem is not None:
        raise pytest.UsageError(f"--gates-log-from: {problem}")
    return path


def _stopped(session: pytest.Session, exitstatus: int) -> str | None:
    """Why the session ended before running everything, if it did."""
    if session.shouldfail:
        return f"the session stopped early ({session.shouldfail})"
    if session.shouldstop:
        return f"the session stopped early ({session.shouldstop})"
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "the session was interrupted"
    return None
