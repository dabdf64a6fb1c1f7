"""Classifying each phase of an item into what it means for its gate."""

from __future__ import annotations

from typing import Final

import pytest

from pytest_gates.chain import degrades
from pytest_gates.errors import CheckFailed, GatesError
from pytest_gates.model.manifest import Gate, Manifest
from pytest_gates.model.records import PhasePayload
from pytest_gates.session.collect import CHECK_RUN_KEY, CheckItem, UnknownCheckKind

BLOCKED_KEY: Final = pytest.StashKey[tuple[str, ...]]()
#: pytest-timeout fails an item with this in the message (it has no exception type of its own).
TIMEOUT_MESSAGE: Final = "from pytest-timeout"


def classify(
    manifest: Manifest,
    item: pytest.Item,
    gate: Gate,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
) -> PhasePayload:
    """What one phase of an item says about its gate: passed, failed, error, degraded, blocked
    or skipped, with a one-line message, and for a check's call its attempts and findings."""
    check = item.check.id if isinstance(item, CheckItem) else None
    kind = item.check.kind if isinstance(item, CheckItem) else None
    payload = PhasePayload(gate=gate.id, check=check, kind=kind, when=report.when, outcome="passed")
    if isinstance(item, CheckItem) and report.when == "call":
        run = item.stash.get(CHECK_RUN_KEY, None)
        if run is not None:
            payload.attempts = run.attempts
            if run.result is not None:
                payload.findings = run.result.findings
                payload.details = run.result.details
                payload.output = run.result.output[-20000:]
    excinfo = call.excinfo
    if report.skipped:
        roots = item.stash.get(BLOCKED_KEY, None)
        if roots and report.when == "setup":
            payload.outcome, payload.blocked_by = "blocked", list(roots)
            payload.message = f"blocked by {', '.join(roots)}"
        elif hasattr(report, "wasxfail"):
            payload.outcome, payload.message = "passed", f"xfail: {report.wasxfail}"
        else:
            payload.outcome = "skipped"
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            payload.message = reason.removeprefix("Skipped: ")
    elif report.failed:
        text = excinfo.exconly() if excinfo is not None else str(report.longrepr)
        first = text.strip().splitlines()[0] if text.strip() else "failed"
        if excinfo is not None and TIMEOUT_MESSAGE in text:
            payload.outcome = "error"
            payload.message = (
                f"timeout: over the {manifest.timeout(gate)}s gate {gate.id} allows each item"
            )
        elif report.when != "call":
            payload.outcome, payload.message = "error", f"{report.when} error: {first}"
        elif isinstance(item, CheckItem):
            if excinfo is not None and isinstance(excinfo.value, CheckFailed):
                payload.outcome, payload.message = "failed", excinfo.value.summary
            elif excinfo is not None and isinstance(excinfo.value, GatesError | UnknownCheckKind):
                payload.outcome, payload.message = (
                    "error",
                    f"check could not run: {excinfo.value}",
                )
            else:
                payload.outcome, payload.message = "error", f"check crashed: {first}"
        else:
            payload.outcome, payload.message = "failed", first
        if payload.outcome == "failed" and degrades(manifest, gate):
            payload.outcome = "degraded"
    return payload
