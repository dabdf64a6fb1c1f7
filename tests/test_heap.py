"""A gate session keeps its long-lived objects out of the collector's way, and gives them back
when it ran inside a longer-lived program."""

from __future__ import annotations

import gc

from tests.helpers import GatesProject

FREEZE_PROBE = """
import gc
from pathlib import Path

from pytest_gates import CheckParams, CheckResult, check_kind


class Probe(CheckParams):
    pass


@check_kind("freeze_probe", params=Probe)
def probe(params, ctx):
    Path(ctx.rootdir, "frozen.txt").write_text(str(gc.get_freeze_count()))
    return CheckResult(passed=True, summary="probed")


def pytest_gates_register_checks(registry):
    registry.register(probe)
"""

MANIFEST = """
version: 1
project: demo
gates:
  - id: a
    class: structural
    checks:
      - {id: probe, kind: freeze_probe}
"""


def test_an_in_process_session_freezes_while_it_runs_and_thaws_at_its_end(
    project: GatesProject,
) -> None:
    project.pytester.makeconftest(FREEZE_PROBE)
    project.manifest(MANIFEST)
    before = gc.get_freeze_count()
    result = project.run("--gates")
    assert result.ret == 0, result.stdout.str()
    # The manifest and the items were frozen before the check ran ...
    assert int((project.root / "frozen.txt").read_text()) > before
    # ... and pytester's session, inside this one, gave them back: nothing of it outlives it.
    assert gc.get_freeze_count() == before


def test_the_pytest_command_runs_its_checks_with_the_session_frozen(project: GatesProject) -> None:
    project.pytester.makeconftest(FREEZE_PROBE)
    project.manifest(MANIFEST)
    result = project.run_subprocess("--gates")
    assert result.ret == 0, result.stdout.str()
    assert int((project.root / "frozen.txt").read_text()) > 0
