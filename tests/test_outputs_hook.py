"""The ``pytest_gates_report`` hook: a plugin gets the finished report, once, on the controller."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: exist, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted, outcome: fail}]}
"""

#: A plugin that publishes the decision: one JSON line per call, and a line in the summary.
PUBLISHER = """
import json
import os
from pathlib import Path


def pytest_gates_report(config, report):
    published = {
        "worker": hasattr(config, "workerinput"),
        "type": type(report).__name__,
        "report": report,
    }
    with Path(config.rootpath, "published.jsonl").open("a") as out:
        out.write(json.dumps(published) + "\\n")
    config.stash.setdefault(DECISION, []).append(report["body"]["decision"])


def pytest_terminal_summary(terminalreporter, config):
    for decision in config.stash.get(DECISION, []):
        terminalreporter.write_line(f"published: {decision}")


import pytest

DECISION = pytest.StashKey()
"""


@pytest.fixture
def publishing(project: GatesProject) -> GatesProject:
    conftest = project.root / "conftest.py"
    conftest.write_text(conftest.read_text() + PUBLISHER)
    project.manifest(MANIFEST)
    return project


def published(project: GatesProject) -> list[dict[str, object]]:
    text = (project.root / "published.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_report_hook_gets_the_written_report_once_on_the_controller(
    publishing: GatesProject, workers: list[str]
) -> None:
    result = publishing.run_subprocess("--gates", *workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert published(publishing) == [
        {"worker": False, "type": "dict", "report": publishing.report()}
    ]
    result.stdout.fnmatch_lines(["published: NO_GO"])


def test_the_report_hook_is_not_called_without_gates(publishing: GatesProject) -> None:
    publishing.run("-p", "no:xdist")
    assert not (publishing.root / "published.jsonl").exists()
