"""Helpers the tests share: a sample gate project inside pytester, with a scripted check kind."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.outputs.layout import evidence_path

#: A conftest for sample projects: a check kind whose behaviour the manifest scripts.
KINDS_CONFTEST = """
import os
import time
from pathlib import Path

from pytest_gates import CheckParams, CheckResult, Finding, Location, check_kind


class Scripted(CheckParams):
    outcome: str = "pass"  # pass | fail | raise | sleep | exit | flaky
    seconds: float = 0.0
    counter: str = ""
    passes_on: int = 2


def _run(p, ctx):
    if p.outcome == "pass":
        return CheckResult(passed=True, summary="all good")
    if p.outcome == "fail":
        finding = Finding(rule="demo.bad", severity="minor", message="bad thing",
                          location=Location(path="src/a.py", line=3, column=1), fix_hint="fix it")
        return CheckResult(passed=False, summary="1 bad thing", findings=[finding])
    if p.outcome == "raise":
        raise RuntimeError("the tool blew up")
    if p.outcome == "sleep":
        time.sleep(p.seconds)
        return CheckResult(passed=True, summary="slept")
    if p.outcome == "exit":
        os._exit(3)
    if p.outcome == "flaky":
        counter = Path(ctx.rootdir, p.counter)
        n = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(n))
        return CheckResult(passed=n >= p.passes_on, summary=f"attempt {n}")
    raise ValueError(p.outcome)


scripted = check_kind("scripted", params=Scripted, idempotent=True)(_run)
scripted_once = check_kind("scripted_once", params=Scripted, idempotent=False)(_run)


def pytest_gates_register_checks(registry):
    registry.register(scripted)
    registry.register(scripted_once)
"""


class GatesProject:
    """A sample project inside pytester: a manifest, the scripted kind, suites."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        pytester.makeconftest(KINDS_CONFTEST)

    def manifest(self, text: str, name: str = "manifests/gates.yaml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def suite(self, folder: str, files: dict[str, str]) -> None:
        base = self.root / folder
        base.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            (base / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")

    def run(self, *args: str) -> pytest.RunResult:
        # The outer session imported pytest_gates already, so the inner one cannot rewrite it.
        return self.pytester.runpytest(
            "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning", *args
        )

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    def report(self, out: str = ".gates") -> dict[str, Any]:
        return json.loads((self.root / out / "report.json").read_text())

    def evidence(self, gate: str, out: str = ".gates") -> dict[str, Any]:
        return json.loads((self.root / out / evidence_path(gate)).read_text())

    def verdicts(self, out: str = ".gates") -> dict[str, str]:
        return {g["id"]: g["verdict"] for g in self.report(out)["body"]["gates"]}


def run_shards(project: GatesProject, total: int, *extra: str) -> list[str]:
    """Run shards 1..total into ``shard<k>`` folders; the folders."""
    outs = []
    for index in range(1, total + 1):
        out = f"shard{index}"
        project.run("--gates", f"--gates-shard={index}/{total}", "--gates-out", out, *extra)
        outs.append(out)
    return outs


def ran_items(project: GatesProject, out: str) -> set[str]:
    """The items a run's evidence says ran (outcome other than not_run)."""
    report = project.report(out)
    return {
        item["nodeid"]
        for gate in report["body"]["gates"]
        for item in project.evidence(gate["id"], out)["body"]["items"]
        if item["outcome"] != "not_run"
    }
