"""A gate session keeps its long-lived objects out of the collector's way, and gives them back
when it ran inside a longer-lived program."""

from __future__ import annotations

import gc

import pytest

from tests.helpers import GatesProject

FREEZE_PROBE = """
import gc

import pytest
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


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_every_thousandth_check_settles_the_runs_survivors_and_collects_garbage_first(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weakref

    from pytest_gates.session import heap

    monkeypatch.setattr(heap, "SETTLE_EVERY", 3)
    before = gc.get_freeze_count()
    try:
        heap.tend(pytestconfig)
        heap.tend(pytestconfig)
        survivor = [object()]
        garbage = _Cycle()
        gone = weakref.ref(garbage)
        del garbage
        assert gc.get_freeze_count() == before  # two checks: nothing settled yet
        heap.tend(pytestconfig)
        # The third settles: the young garbage cycle was collected, not frozen ...
        assert gone() is None
        # ... and what lives on is out of the collector's way.
        assert gc.get_freeze_count() > before
        assert not any(survivor is obj for obj in gc.get_objects())
    finally:
        heap.release(pytestconfig)
        gc.unfreeze()  # this test process is the pytest command: release() left them frozen
    assert heap.FINISHED_KEY not in pytestconfig.stash
