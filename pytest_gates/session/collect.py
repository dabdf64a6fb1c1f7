"""Gates as pytest nodes: the manifest file, a collector per gate, an item per check."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from _pytest._code.code import ExceptionInfo, TerminalRepr

from pytest_gates.checks.api import CheckContext, CheckKind, CheckResult
from pytest_gates.errors import CheckFailed, GatesError, WorkersLost
from pytest_gates.model.manifest import CheckSpec, Gate, Manifest
from pytest_gates.model.names import READY_KIND
from pytest_gates.model.parse import gc_paused
from pytest_gates.model.records import Attempt
from pytest_gates.session.context import CONTEXT_KEY, JUDGED_AT_MERGE, GatesContext
from pytest_gates.session.needs import board, readable
from pytest_gates.session.scratch import scratch_of
from pytest_gates.session.sequence import attempts_allowed

#: Lines of a tool's output shown under a failed check.
OUTPUT_TAIL: Final = 40


def gate_markers(manifest: Manifest, gate: Gate) -> list[pytest.MarkDecorator]:
    """The markers every item of ``gate`` carries; ``gate`` has the id both ways so that
    ``item.get_closest_marker("gate").args[0]`` and ``-m "gate(id='qa.lint')"`` both work."""
    markers = [
        getattr(pytest.mark, gate.class_),
        pytest.mark.blocking if gate.blocking else pytest.mark.advisory,
        pytest.mark.gate(gate.id, id=gate.id),
    ]
    return markers


def timeout_marker(manifest: Manifest, gate: Gate) -> pytest.MarkDecorator | None:
    # The signal method raises inside the item, so a timeout is an ERROR for that item alone;
    # the thread method would end the whole process.
    seconds = manifest.timeout(gate)
    if seconds is None:
        return None
    return pytest.mark.timeout(seconds, method="signal")


class ManifestFile(pytest.File):
    """The manifest, collected as a file whose children are the gates that have checks."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        context = self.config.stash[CONTEXT_KEY]
        manifest = context.loaded.manifest
        position = {gate.id: index for index, gate in reversed(list(enumerate(manifest.gates)))}
        for gate_id in context.loaded.order:
            gate = manifest.gate(gate_id)
            if gate.checks:
                yield GateNode.from_parent(
                    self, name=gate.id, gate=gate, position=position[gate_id]
                )


class GateNode(pytest.Collector):
    """One gate: carries the gate's markers, so its checks inherit them."""

    def __init__(self, *, gate: Gate, position: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        #: The gate's index in the manifest's ``gates`` (for the line of its checks).
        self.position = position
        manifest = self.config.stash[CONTEXT_KEY].loaded.manifest
        for marker in gate_markers(manifest, gate):
            self.add_marker(marker)
        #: One timeout marker for the gate's checks, on each of them: pytest-timeout looks it up
        #: four times per item, and found on the item no lookup climbs to the session.
        self.timeout_mark = timeout_marker(manifest, gate)

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        with gc_paused():  # the items live as long as the session
            items = [
                CheckItem.from_parent(
                    self,
                    name=check.id,
                    gate=self.gate,
                    check=check,
                    index=index,
                    position=self.position,
                )
                for index, check in enumerate(self.gate.checks)
            ]
        if self.timeout_mark is not None:
            for item in items:
                item.add_marker(self.timeout_mark)
        return items


@dataclass
class CheckRun:
    """What happened when a check item ran, for the phase payload."""

    attempts: list[Attempt] = field(default_factory=list)
    result: CheckResult | None = None


CHECK_RUN_KEY: Final = pytest.StashKey[CheckRun]()


class UnknownCheckKind(Exception):
    """The manifest names a check kind no plugin registered: the check is ERROR."""


class CheckItem(pytest.Item):
    """One declarative check of a gate."""

    def __init__(
        self, *, gate: Gate, check: CheckSpec, index: int, position: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.check = check
        self.index = index
        #: The gate's index in the manifest's ``gates``.
        self.position = position
        self.extra_keyword_matches.add(check.kind)

    def runtest(self) -> None:
        context = self.config.stash[CONTEXT_KEY]
        kind = context.registry.get(self.check.kind)
        run = CheckRun()
        self.stash[CHECK_RUN_KEY] = run
        if kind is None:
            known = ", ".join(context.registry.names())
            raise UnknownCheckKind(
                f"unknown check kind '{self.check.kind}' (known kinds: {known}); a plugin or the "
                "rootdir conftest.py registers kinds with pytest_gates_register_checks"
            )
        if self.check.kind == READY_KIND and context.left_to_merge(self.gate):
            pytest.skip(JUDGED_AT_MERGE)
        params = context.params.get((self.position, self.index))
        if params is None:
            params = kind.parse(self.check.params)
        retry = self.gate.retry
        attempts = attempts_allowed(self.gate, self.check, kind)
        for number in range(1, attempts + 1):
            if retry is not None and number > 1:
                time.sleep(retry.delay_before(number))
            result = self._attempt(kind, params, number, run, context)
            run.result = result
            if result.passed:
                return
        assert run.result is not None
        raise CheckFailed(run.result.summary or f"check '{self.check.id}' failed")

    def _attempt(
        self,
        kind: CheckKind[Any],
        params: Any,
        number: int,
        run: CheckRun,
        context: GatesContext,
    ) -> CheckResult:
        start = time.perf_counter()
        scratch = scratch_of(self.config)
        reads = readable(context.loaded, self.gate, self.check)
        ctx = CheckContext(
            rootdir=context.rootdir,
            gate_id=self.gate.id,
            check_id=self.check.id,
            tmp_path=scratch.take(),
            timeout=context.loaded.manifest.timeout(self.gate),
            fix=context.fix,
            readable=reads,
            needs=board(self.config).view(reads),
            manifest=context.manifest_display,
        )
        try:
            result = kind.run(params, ctx)
        except Exception as exc:
            run.attempts.append(
                Attempt(
                    attempt=number,
                    outcome="error",
                    summary=f"{type(exc).__name__}: {exc}",
                    duration=time.perf_counter() - start,
                )
            )
            raise
        finally:
            scratch.give_back()
        run.attempts.append(
            Attempt(
                attempt=number,
                outcome="passed" if result.passed else "failed",
                summary=result.summary,
                duration=time.perf_counter() - start,
            )
        )
        return result

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailed | UnknownCheckKind | GatesError | WorkersLost):
            return self._describe(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def _describe(self, exc: BaseException) -> str:
        run = self.stash.get(CHECK_RUN_KEY, None)
        lines = [f"gate {self.gate.id}, check {self.check.id} ({self.check.kind}): {exc}"]
        if run is not None and len(run.attempts) > 1:
            lines.append("attempts: " + ", ".join(f"{a.attempt}:{a.outcome}" for a in run.attempts))
        result = run.result if run is not None else None
        if result is not None:
            lines += [f"  {finding.render()}" for finding in result.findings[:50]]
            if len(result.findings) > 50:
                lines.append(f"  ... {len(result.findings) - 50} more findings in the evidence")
            if result.output and not result.findings:
                tail = result.output.rstrip().splitlines()[-OUTPUT_TAIL:]
                lines += ["output (last lines):", *(f"  {line}" for line in tail)]
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        loaded = self.config.stash[CONTEXT_KEY].loaded
        line = loaded.line(["gates", self.position, "checks", self.index])
        return self.path, (line - 1 if line else None), f"{self.gate.id}::{self.check.id}"


def iter_check_items(items: Iterable[pytest.Item]) -> Iterator[CheckItem]:
    return (item for item in items if isinstance(item, CheckItem))
