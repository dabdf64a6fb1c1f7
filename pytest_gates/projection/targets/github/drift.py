"""Workflow drift: how a workflow on disk differs from the manifest's projection, said in gate terms.

Both files are parsed and compared as data, so layout and comments are not drift, and neither is
the order of jobs (GitHub orders jobs by ``needs``, not by position). The order of a job's steps
is drift: steps run in the order written. What the policy allows (named jobs and steps, manual
regions) is left out of the comparison.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import yaml

from pytest_gates.model.document import describe, line_of
from pytest_gates.model.policy import (
    GATES_JOB,
    RESULT_JOB,
    RESULT_JOB_NAME,
    STEP_DECIDE,
    STEP_GATES,
    STEP_GENERATE_CHECK,
    STEP_MERGE,
    STEP_RESTORE_LOG,
    STEP_SYNC_CHECK,
    STEP_UPLOAD_DECISION,
    STEP_UPLOAD_DURATIONS,
    STEP_VERIFY,
)
from pytest_gates.projection.drift import Drift, header_drift
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.targets.github.handwork import step_label, yaml_error, yaml_problem

_MISSING: Final = object()
_SHARDS: Final = re.compile(r"--gates-shard[= ].*?/(\d+)")
_SYNC_SHARDS: Final = re.compile(r" --shards[= ]\d+")
_SHOW_MAX: Final = 120

#: What is lost when a trigger goes.
_TRIGGER_LOSS: Final = {
    "pull_request": "pull requests no longer run the gates",
    "push": "pushes to the main branch no longer run the gates",
    "merge_group": "the merge queue no longer runs the gates, so a queued change waits forever "
    "for the required check",
}
#: What is lost when a gate-command step goes.
_STEP_LOSS: Final = {
    STEP_GATES: "no gate runs in CI",
    STEP_VERIFY: "the outputs are no longer verified",
    STEP_MERGE: "the shards are no longer merged into one report",
    STEP_DECIDE: "the required check passes whatever the gates decide",
    STEP_GENERATE_CHECK: "a hand edit of the manifest is no longer caught in CI",
    STEP_SYNC_CHECK: "a hand edit of the CI files is no longer caught in CI",
}
#: What is lost when a step that carries the log or the timings from one run to the next goes.
_CARRY_LOSS: Final = {
    STEP_RESTORE_LOG: "the transition log restarts on every run instead of continuing from "
    "the last decision on the main branch (projection.restore_log: false turns this off)",
    STEP_UPLOAD_DECISION: "the next run's log cannot continue from the merged decision",
    STEP_UPLOAD_DURATIONS: "the durations the merge recorded are lost, so the shards keep "
    "planning from old timings",
}


def show(value: Any) -> str:
    """A value as short YAML on one line, for ``expected X, found Y``."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, str):
        return f"`{value}`" if "\n" not in value else f"`{'; '.join(value.splitlines())}`"
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False)
    text = text.strip().removesuffix("...").strip()
    # A whole job in a message hides the point; the diff above it has the details.
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 3] + "..."


def workflow_drift(
    display: str, current: str | None, expected: str, source: ProjectionSource
) -> list[Drift]:
    """Every drift of the workflow ``current`` from ``expected`` (what sync writes, with the
    manual regions as found on disk)."""
    if current is None:
        return [
            Drift(
                display,
                None,
                "sync.missing",
                f"the workflow does not exist, so CI does not run the gates; run `{source.command}`",
            )
        ]
    try:
        root = yaml.compose(current, Loader=yaml.SafeLoader)
        actual = yaml.safe_load(current)
    except yaml.YAMLError as exc:
        line, problem = yaml_error(exc)
        return [Drift(display, line, "sync.invalid", f"not valid YAML: {problem}")]
    drifts = header_drift(display, current.splitlines(), 0, source, "file")
    if not isinstance(actual, dict):
        drifts.append(
            Drift(display, 1, "sync.invalid", f"expected a workflow, found {describe(actual)}")
        )
        return drifts
    try:
        wanted = yaml.safe_load(expected)
    except yaml.YAMLError as exc:
        # Only a manual region's content, moved into the generated layout, can break it.
        message = f"a manual region does not fit the generated file: {yaml_problem(exc)}"
        return [*drifts, Drift(display, None, "sync.manual-region", message)]
    comparison = _Comparison(display, root, source)
    comparison.workflow(wanted, actual)
    return drifts + sorted(comparison.drifts, key=lambda d: d.line or 0)


def _triggers(doc: dict[Any, Any]) -> Any:
    # YAML 1.1 reads the key `on` as the boolean true; GitHub reads it as "on".
    value = doc.get("on", doc.get(True, _MISSING))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return dict.fromkeys(value)
    return value


class _Findings:
    """The drifts found so far, each placed at its line in the workflow on disk."""

    def __init__(self, display: str, root: yaml.Node | None, source: ProjectionSource) -> None:
        self.display = display
        self.root = root
        self.source = source
        self.allowed_jobs = set(source.policy.allow.jobs)
        self.allowed_steps = set(source.policy.allow.steps)
        self.drifts: list[Drift] = []

    def add(self, path: Sequence[int | str], rule: str, message: str) -> None:
        self.drifts.append(Drift(self.display, line_of(self.root, path), rule, message))

    def value(self, path: Sequence[int | str], what: str, expected: Any, actual: Any) -> None:
        if expected == actual:
            return
        if expected is _MISSING:
            self.add(path, "sync.added", f"{what} added by hand: {show(actual)}")
        elif actual is _MISSING:
            self.add(path[:-1], "sync.removed", f"{what} removed (expected {show(expected)})")
        else:
            self.add(
                path,
                "sync.changed",
                f"{what} changed: expected {show(expected)}, found {show(actual)}",
            )


class _StepComparison(_Findings):
    """Compares the steps of one job: added, removed, reordered, edited."""

    def steps(self, job_id: str, expected: Any, actual: Any) -> None:
        path: list[int | str] = ["jobs", job_id, "steps"]
        if not isinstance(actual, list) or not isinstance(expected, list):
            self.value(path, f"job '{job_id}': 'steps'", expected, actual)
            return
        want = [(_label(s), s) for s in expected if step_label(s) not in self.allowed_steps]
        have = [
            (i, _label(s), s)
            for i, s in enumerate(actual)
            if step_label(s) not in self.allowed_steps
        ]
        wanted = dict(want)
        found: dict[str, tuple[int, Any]] = {}
        for index, label, step in have:
            if label in wanted and label not in found:
                found[label] = (index, step)
            else:
                self.add(
                    [*path, index],
                    "sync.step-added",
                    f"job '{job_id}': step '{label}' added by hand: no gate explains it (name "
                    f"it in projection.allow.steps, or put it in a manual region)",
                )
        for label, step in want:
            if label not in found:
                loss = _STEP_LOSS.get(label, _CARRY_LOSS.get(label))
                message = f"job '{job_id}': step '{label}' removed"
                self.add(path, "sync.step-removed", f"{message}: {loss}" if loss else message)
            else:
                index, have_step = found[label]
                self.step(job_id, label, [*path, index], step, have_step)
        order_want = [label for label, _ in want if label in found]
        order_have = [label for i, label, _ in have if label in found and found[label][0] == i]
        if order_want != order_have:
            self.add(
                path,
                "sync.step-order",
                f"job '{job_id}': steps reordered (they run in order): expected "
                f"{', '.join(order_want)}; found {', '.join(order_have)}",
            )

    def step(
        self, job_id: str, label: str, path: list[int | str], expected: Any, actual: Any
    ) -> None:
        if not isinstance(actual, dict):
            self.value(path, f"job '{job_id}': step '{label}'", expected, actual)
            return
        for key in [*expected, *sorted(k for k in actual if k not in expected)]:
            want, have = expected.get(key, _MISSING), actual.get(key, _MISSING)
            if want == have:
                continue
            if key == "run" and label in _STEP_LOSS:
                self.command(job_id, label, [*path, key], want, have)
            elif key == "uses" and have is not _MISSING:
                self.add(
                    [*path, key],
                    "sync.action-changed",
                    f"job '{job_id}': step '{label}' uses {show(have)} instead of the pinned "
                    f"{show(want)}",
                )
            else:
                self.value([*path, key], f"job '{job_id}': step '{label}': '{key}'", want, have)

    def command(self, job_id: str, label: str, path: list[int | str], want: Any, have: Any) -> None:
        if (
            label == STEP_SYNC_CHECK
            and isinstance(want, str)
            and isinstance(have, str)
            and _SYNC_SHARDS.sub("", want) == _SYNC_SHARDS.sub("", have)
        ):
            return  # the shard count it checks with is reported with the shards
        if label == STEP_GATES and isinstance(have, str):
            found = _SHARDS.search(have)
            shards = int(found.group(1)) if found else 1
            if shards != self.source.shards:
                self.add(
                    path,
                    "sync.shards",
                    f"shard count changed: job '{job_id}' runs the gates as {shards} "
                    f"shard{'s' if shards != 1 else ''} ({show(have)}), the projection has "
                    f"{self.source.shards} (projection.shards)",
                )
                return
        self.add(
            path,
            "sync.command-edited",
            f"job '{job_id}': the gate command of step '{label}' was edited: expected "
            f"{show(want)}, found {show(have)}",
        )


class _Comparison(_StepComparison):
    """Compares the expected workflow with the one on disk: triggers, permissions, jobs, shards."""

    def workflow(self, expected: dict[Any, Any], actual: dict[Any, Any]) -> None:
        self.triggers(_triggers(expected), _triggers(actual))
        keys = [k for k in expected if k not in ("on", True)]
        keys += sorted(str(k) for k in actual if k not in expected and k not in ("on", True))
        for key in keys:
            if key in self.source.policy.allow.keys:
                continue
            if key == "jobs":
                self.jobs(expected["jobs"], actual.get("jobs", _MISSING))
            elif key == "permissions":
                what = "permissions (the workflow only reads the repository)"
                self.value([key], what, expected[key], actual.get(key, _MISSING))
            else:
                self.value(
                    [key], f"'{key}'", expected.get(key, _MISSING), actual.get(key, _MISSING)
                )

    def triggers(self, expected: dict[str, Any], actual: Any) -> None:
        if not isinstance(actual, dict):
            self.add(
                [],
                "sync.trigger",
                f"triggers changed: expected {show(expected)}, found {show(actual)}",
            )
            return
        for event, config in expected.items():
            if event not in actual:
                self.add(
                    ["on"], "sync.trigger", f"trigger '{event}' removed: {_TRIGGER_LOSS[event]}"
                )
            elif actual[event] != config:
                self.add(
                    ["on", event],
                    "sync.trigger",
                    f"trigger '{event}' changed: expected {show(config)}, found {show(actual[event])}",
                )
        for event in actual:
            if event not in expected:
                self.add(
                    ["on", event],
                    "sync.trigger",
                    f"trigger '{event}' added by hand: the gates run on {', '.join(expected)} only",
                )

    def jobs(self, expected: dict[str, Any], actual: Any) -> None:
        if not isinstance(actual, dict):
            self.add(
                ["jobs"],
                "sync.changed",
                f"jobs: expected a mapping of jobs, found "
                f"{'nothing' if actual is _MISSING else describe(actual)}",
            )
            return
        for job_id, job in expected.items():
            if job_id in self.allowed_jobs:
                continue
            if job_id not in actual:
                self.add(["jobs"], "sync.job-removed", self.job_loss(job_id))
            else:
                self.job(job_id, job, actual[job_id])
        for job_id in actual:
            if job_id not in expected and job_id not in self.allowed_jobs:
                self.add(
                    ["jobs", job_id],
                    "sync.job-added",
                    f"job '{job_id}' added by hand: no gate explains it (name it in "
                    f"projection.allow.jobs, or put it in a manual region)",
                )

    def job_loss(self, job_id: str) -> str:
        if job_id == GATES_JOB:
            return (
                f"required job '{GATES_JOB}' removed: it runs the gates "
                f"({', '.join(self.source.gate_ids)}); without it no gate runs in CI"
            )
        if job_id == RESULT_JOB:
            return (
                f"required job '{RESULT_JOB}' removed: it is the check to make required "
                f"('{RESULT_JOB_NAME}'), the one that decides GO or NO_GO"
            )
        return f"job '{job_id}' removed"

    def job(self, job_id: str, expected: Any, actual: Any) -> None:
        path: list[int | str] = ["jobs", job_id]
        if not isinstance(actual, dict):
            self.value(path, f"job '{job_id}'", expected, actual)
            return
        spoke = job_id == GATES_JOB and self.shards(path, actual)
        keys = [*expected, *sorted(k for k in actual if k not in expected)]
        for key in keys:
            want, have = expected.get(key, _MISSING), actual.get(key, _MISSING)
            if key == "steps":
                self.steps(job_id, want, have)
            elif key == "name" and spoke:
                continue  # the name shows the shard count, which has been reported
            elif key == "strategy" and job_id == GATES_JOB:
                if not (spoke and _MISSING in (want, have)):
                    what = f"job '{job_id}': 'strategy'"
                    self.value([*path, key], what, *_without_shards(want, have))
            elif key == "if" and job_id == RESULT_JOB and want != have:
                self.add(
                    [*path, key] if have is not _MISSING else path,
                    "sync.changed",
                    f"job '{job_id}': 'if: {want}' {'removed' if have is _MISSING else 'changed'}: "
                    f"the decision would be skipped when a gate fails, and a required check that "
                    f"is skipped never reports",
                )
            else:
                self.value([*path, key], f"job '{job_id}': '{key}'", want, have)

    def shards(self, path: list[int | str], actual: dict[str, Any]) -> bool:
        """Says whether the gates job runs the projection's shards; True when it said something."""
        want = self.source.shards
        matrix = _shard_matrix(actual)
        if want == 1:
            if matrix is not _MISSING:
                self.add(
                    [*path, "strategy"],
                    "sync.shards",
                    f"shard count changed: job '{GATES_JOB}' runs a matrix of shards "
                    f"{show(matrix)}, the projection has 1 (projection.shards)",
                )
            return matrix is not _MISSING
        where = [*path, "strategy", "matrix", "shard"]
        if not isinstance(matrix, list) or not all(isinstance(k, int) for k in matrix):
            self.add(
                where,
                "sync.shards",
                f"shard count changed: job '{GATES_JOB}' has no shard matrix (found "
                f"{show(matrix)}), the projection has {want} shards (projection.shards)",
            )
            return True
        extra = [k for k in matrix if not 1 <= k <= want]
        if extra or not matrix:
            self.add(
                where,
                "sync.shards",
                f"shard count changed: the matrix of job '{GATES_JOB}' lists shards "
                f"{show(matrix)}, the projection has {want} (projection.shards)",
            )
            return True
        missing = [k for k in range(1, want + 1) if k not in matrix]
        for k in missing:
            self.add(
                where,
                "sync.shard-removed",
                f"shard {k}/{want} removed from the matrix of job '{GATES_JOB}': the gates "
                f"in that shard never run, so the merged report cannot say GO",
            )
        return bool(missing)


def _label(step: Any) -> str:
    label = step_label(step)
    if label is not None:
        return label
    if isinstance(step, dict):
        for key in ("run", "uses"):
            if isinstance(step.get(key), str):
                return f"{key}: {step[key].splitlines()[0] if step[key] else ''}"
    return show(step)


def _shard_matrix(job: dict[str, Any]) -> Any:
    strategy = job.get("strategy", _MISSING)
    matrix = strategy.get("matrix", _MISSING) if isinstance(strategy, dict) else _MISSING
    return matrix.get("shard", _MISSING) if isinstance(matrix, dict) else _MISSING


def _without_shards(expected: Any, actual: Any) -> tuple[Any, Any]:
    """The strategies with their shard lists left out: shards() has spoken about those."""

    def strip(strategy: Any) -> Any:
        if not isinstance(strategy, dict) or not isinstance(strategy.get("matrix"), dict):
            return strategy
        matrix = {k: v for k, v in strategy["matrix"].items() if k != "shard"}
        rest = {k: v for k, v in strategy.items() if k != "matrix"}
        return {**rest, "matrix": matrix} if matrix else rest

    return strip(expected), strip(actual)
