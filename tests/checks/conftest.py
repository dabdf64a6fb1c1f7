from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.checks.api import CheckContext, CheckKind, CheckResult

DATA = Path(__file__).parent / "data"

Write = Callable[..., Path]


@pytest.fixture
def check_ctx(tmp_path: Path) -> CheckContext:
    """A context whose rootdir is an empty project folder, with a separate scratch folder."""
    root = tmp_path / "project"
    root.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return CheckContext(
        rootdir=root,
        gate_id="demo.gate",
        check_id="demo-check",
        tmp_path=scratch,
        timeout=120,
        environ=dict(os.environ),
    )


@pytest.fixture
def write(check_ctx: CheckContext) -> Write:
    """``write("a/b.py", text)``: a file in the project, dedented; bytes are written as given."""

    def write(name: str, content: str | bytes = "") -> Path:
        path = check_ctx.rootdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


RunCheck = Callable[[CheckKind[Any], Mapping[str, Any]], CheckResult]
Located = tuple[str, str | None, int | None, int | None]


@pytest.fixture
def run_check(check_ctx: CheckContext) -> RunCheck:
    """``run_check(kind, params)``: validate the parameters and run the kind, as the plugin does."""

    def run_check(kind: CheckKind[Any], raw: Mapping[str, Any]) -> CheckResult:
        return kind.run(kind.parse(raw), check_ctx)

    return run_check


def _where(result: CheckResult) -> list[Located]:
    return [(f.rule, f.location.path, f.location.line, f.location.column) for f in result.findings]


@pytest.fixture
def where() -> Callable[[CheckResult], list[Located]]:
    """``where(result)``: (rule, path, line, column) of each finding, in order."""
    return _where
