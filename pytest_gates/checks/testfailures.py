"""Failing tests as findings: the node id, the file and line, and the full assertion message.

Used twice: by the gate session for the tests of a gate's ``suites`` (from the item's report) and
by the ``coverage`` kind, whose pytest subprocess loads this module as a plugin
(``-p pytest_gates.checks.testfailures``) and writes its failures as JSON to the file named by
:data:`FAILURES_ENV`. Messages are bounded by :data:`MESSAGE_LIMIT` characters, cut at a word
boundary, and say so when cut.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

import pytest

from pytest_gates.model.findings import Finding, Location

#: The environment variable naming the JSON file the subprocess plugin writes.
FAILURES_ENV: Final = "PYTEST_GATES_FAILURES_FILE"
#: Characters of one failure's message kept in the evidence.
MESSAGE_LIMIT: Final = 2000
#: The plugin's name for ``-p``.
PLUGIN: Final = "pytest_gates.checks.testfailures"


def bounded_words(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` if it fits in ``limit`` characters; else its start, cut after the last whole word
    that fits, then how many characters were cut."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > 0:
        head = head[:space]
    head = head.rstrip()
    return f"{head} [... {len(text) - len(head)} more characters cut]"


@dataclass(frozen=True)
class TestFailure:
    """One failing test: where it is and what it said."""

    __test__ = False  # not a test class, whatever its name says

    nodeid: str
    #: The test's file, relative to the rootdir (``/`` separated).
    path: str
    #: The 1-based line where it failed in its own file (the test's ``def`` when unknown).
    line: int | None
    #: The exception as pytest states it (the assertion with its explanation), bounded.
    message: str
    #: ``call`` for a failing test, ``setup``/``teardown`` for an error around it.
    when: str = "call"

    def finding(self, rule: str) -> Finding:
        what = "failed" if self.when == "call" else f"{self.when} error"
        return Finding(
            rule=rule,
            location=Location(path=self.path or None, line=self.line),
            message=f"{self.nodeid} {what}: {self.message}",
        )


def failure_of(report: pytest.TestReport) -> TestFailure:
    """The failure a failed report records: the crash line when it is in the test's own file."""
    fspath, lineno, _ = report.location
    path = fspath.replace("\\", "/")
    line = lineno + 1 if lineno is not None else None
    message = str(report.longrepr).strip().splitlines()[-1] if report.longrepr else "failed"
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        message = crash.message
        if Path(crash.path).as_posix().endswith(path) and crash.lineno:
            line = crash.lineno
    elif isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
    return TestFailure(
        nodeid=report.nodeid,
        path=path,
        line=line,
        message=bounded_words(message.strip() or "failed"),
        when=report.when,
    )


def read_failures(path: Path) -> list[TestFailure]:
    """The failures the subprocess plugin wrote; none if it wrote nothing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [TestFailure(**entry) for entry in data if isinstance(entry, dict)]


class FailureRecorder:
    """In the pytest that a ``coverage`` check runs (its controller, not its xdist workers):
    records each failed phase and writes the list at the session's end."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.failures: list[TestFailure] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failures.append(failure_of(report))

    def pytest_sessionfinish(self) -> None:
        data = [asdict(failure) for failure in self.failures]
        self.target.write_text(json.dumps(data, indent=1), encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    target = os.environ.get(FAILURES_ENV)
    if target and not hasattr(config, "workerinput"):
        config.pluginmanager.register(FailureRecorder(Path(target)), "gates-failure-recorder")
