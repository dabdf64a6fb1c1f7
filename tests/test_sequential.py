"""Steps in order: once a check of a ``sequential: true`` gate fails, its later checks do not run
(blocked by that check), in one process and on xdist workers; a non-idempotent check is never
retried."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.distribute.durations import DurationStore
from pytest_gates.distribute.xdist.keys import SEQUENTIAL_GATES_KEY
from pytest_gates.distribute.xdist.scheduler import GateScheduling
from pytest_gates.model.load import load_manifest
from pytest_gates.model.manifest import CheckSpec, Gate, Retry
from pytest_gates.session.sequence import attempts_allowed
from tests.helpers import GatesProject
from tests.test_scheduler import DURATIONS, MANIFEST, FakeNode, _checks, run_to_end, scheduled

MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]


def step(check_id: str, code: str) -> str:
    return f"{{id: {check_id}, kind: command, run: [python, -c, {code!r}]}}"


def deploy(sequential: bool) -> str:
    touch = "open('{}', 'w').write('done')"
    steps = ", ".join(
        [
            step("branch-clean", "raise SystemExit('the branch has uncommitted changes')"),
            step("build", touch.format("built.txt")),
            step("cdn-sync", touch.format("synced.txt")),
        ]
    )
    return (
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: files, class: structural, checks: [{id: a, kind: scripted}, "
        "{id: b, kind: scripted}, {id: c, kind: scripted}]}\n"
        f"  - {{id: deploy, class: semantic, sequential: {str(sequential).lower()}, "
        f"checks: [{steps}]}}\n"
        "  - {id: smoke, class: semantic, needs: [deploy], checks: [{id: ping, kind: scripted}]}\n"
    )


@pytest.fixture(params=MODES)
def dist(request: pytest.FixtureRequest) -> tuple[str, ...]:
    mode: tuple[str, ...] = request.param
    return mode


def items(project: GatesProject, gate: str) -> list[tuple[Any, ...]]:
    return [
        (item["check"], item["outcome"], item["message"])
        for item in project.evidence(gate)["body"]["items"]
    ]


@pytest.mark.timeout(120)
def test_a_sequential_deploy_gate_runs_no_build_after_a_dirty_branch(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    project.manifest(deploy(sequential=True))
    result = project.run("--gates", *dist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not (project.root / "built.txt").exists()
    assert not (project.root / "synced.txt").exists()
    assert items(project, "deploy") == [
        (
            "branch-clean",
            "failed",
            "exit code 1 (expected 0)",
        ),
        ("build", "blocked", "blocked by check 'branch-clean'"),
        ("cdn-sync", "blocked", "blocked by check 'branch-clean'"),
    ]
    assert project.verdicts() == {"files": "PASS", "deploy": "FAIL", "smoke": "BLOCKED"}
    assert project.evidence("deploy")["body"]["reason"].startswith(
        "1 item failed; first: branch-clean"
    )


@pytest.mark.timeout(120)
def test_without_sequential_every_step_runs(project: GatesProject, dist: tuple[str, ...]) -> None:
    project.manifest(deploy(sequential=False))
    project.run("--gates", *dist)
    assert (project.root / "built.txt").exists()
    assert (project.root / "synced.txt").exists()
    assert [outcome for _, outcome, _ in items(project, "deploy")] == [
        "failed",
        "passed",
        "passed",
    ]


@pytest.mark.timeout(120)
def test_a_sequential_gate_whose_steps_pass_runs_them_all_in_order(
    project: GatesProject, dist: tuple[str, ...]
) -> None:
    append = "open('steps.txt', 'a').write('{}\\n')"
    steps = ", ".join(step(name, append.format(name)) for name in ("one", "two", "three", "four"))
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        f"  - {{id: deploy, class: semantic, sequential: true, checks: [{steps}]}}\n"
    )
    assert project.run("--gates", *dist).ret == pytest.ExitCode.OK
    assert (project.root / "steps.txt").read_text().split() == ["one", "two", "three", "four"]


def test_the_scheduler_sends_a_sequential_gates_steps_to_one_worker_in_order(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(MANIFEST).replace("benchmark,", "benchmark, sequential: true,"))
    loaded = load_manifest(path)
    store = DurationStore({f"m.yaml::{g}::{c}": [s] for g, c, s in _checks(loaded)})
    config = pytester.parseconfig("--tx", "2*popen")
    config.stash[SEQUENTIAL_GATES_KEY] = frozenset({"perf"})
    run = scheduled(loaded, store, config, range(2))
    nodes = run.nodes
    done = run_to_end(run, nodes)
    steps = sorted(([n for n in names if n.startswith("p")] for names in done.values()), key=len)
    assert steps == [[], ["p1", "p2", "p3", "p4"]]  # balanced, they would be split 8+1 / 3+3
    assert sorted(done["gw0"] + done["gw1"]) == sorted(DURATIONS)


def test_the_controller_tells_the_scheduler_which_gates_are_sequential(
    project: GatesProject,
) -> None:
    project.manifest(deploy(sequential=True))
    config = project.pytester.parseconfigure("--gates", "-p", "no:xdist")
    assert config.stash[SEQUENTIAL_GATES_KEY] == frozenset({"deploy"})


class _Params(CheckParams):
    pass


def _never(params: _Params, ctx: CheckContext) -> CheckResult:
    return CheckResult(passed=False)


def test_a_non_idempotent_check_is_never_retried_at_run_time() -> None:
    kind = check_kind("again", params=_Params, idempotent=True)(_never)
    safe = CheckSpec.model_validate({"id": "safe", "kind": "again"})
    once = CheckSpec.model_validate({"id": "once", "kind": "again", "idempotent": False})
    # The manifest refuses this gate at load; the runtime guard holds even so.
    gate = Gate.model_construct(id="deploy", retry=Retry(attempts=3), checks=[safe, once])
    assert attempts_allowed(gate, safe, kind) == 3
    assert attempts_allowed(gate, once, kind) == 1
    unsafe_kind = check_kind("again", params=_Params, idempotent=False)(_never)
    assert attempts_allowed(gate, safe, unsafe_kind) == 1


CHAIN = """\
version: 1
project: demo
gates:
  - {id: tests, class: semantic, checks: [CHECKS]}
  - {id: review, class: semantic, needs: [tests], checks: [{id: changelog, kind: k}]}
  - {id: ready, class: semantic, needs: [review], checks: [{id: audit, kind: k}]}
  - id: build
    class: structural
    needs: [ready]
    sequential: true
    checks: [{id: clean, kind: k}, {id: wheel, kind: k}, {id: upload, kind: k}]
"""


def _simulate(sched: GateScheduling, nodes: list[FakeNode], loaded: Any, seed: int) -> bool:
    """Run the scheduler against workers that behave as xdist's do: a worker runs its oldest
    item only while it holds a next one or was told to shut down, and an item starts only once
    every item of the gates its gate needs completed (the runtime's wait). True if every item
    completed; False on a deadlock."""
    import random

    rng = random.Random(seed)
    assert sched.collection is not None
    gate_of = {i: nodeid.split("::")[1] for i, nodeid in enumerate(sched.collection)}
    needs = {gate.id: list(gate.needs) for gate in loaded.manifest.gates}
    done: set[int] = set()

    def ready_to_run(node: FakeNode) -> bool:
        pending = sched.node2pending.get(node, [])
        if not pending or (len(pending) < 2 and not node.shutting_down):
            return False
        gate = gate_of[pending[0]]
        return all(i in done for need in needs[gate] for i, g in gate_of.items() if g == need)

    while len(done) < len(gate_of):
        runnable = [node for node in nodes if ready_to_run(node)]
        if not runnable:
            return False
        node = rng.choice(runnable)
        index = sched.node2pending[node][0]
        done.add(index)
        sched.mark_test_complete(node, index)
    return True


def test_a_sequential_gate_never_deadlocks_workers_that_hold_their_last_item(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    """Found on pallets/click under -n 2 (one run in three hung): a worker held the READY check
    (waiting for the review) and the deploy's first step, the deploy's second step was pinned to
    it, and the other worker held the review's only check as its last item, which xdist runs only
    once a next item or a shutdown arrives. A sequential gate's steps now go to their worker
    together, so nothing is left that only a full worker may take."""
    checks = ", ".join(f"{{id: t{n}, kind: k}}" for n in range(12))
    path = tmp_path / "gates.yaml"
    path.write_text(CHAIN.replace("CHECKS", checks))
    loaded = load_manifest(path)
    store = DurationStore(
        {f"m.yaml::{g.id}::{c.id}": [1.0] for g in loaded.manifest.gates for c in g.checks}
    )
    deadlocks = []
    for seed in range(60):
        config = pytester.parseconfig("--tx", "2*popen")
        config.stash[SEQUENTIAL_GATES_KEY] = frozenset({"build"})
        run = scheduled(loaded, store, config, range(2))
        if not _simulate(run.sched, run.nodes, loaded, seed):
            deadlocks.append(seed)
    assert deadlocks == []
