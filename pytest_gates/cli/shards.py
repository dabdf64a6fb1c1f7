"""``pytest-gates plan`` and ``pytest-gates merge``."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_gates.distribute.durations import DurationStore, measured
from pytest_gates.distribute.shards import ShardPlan, plan_lines
from pytest_gates.errors import DurationsError
from pytest_gates.model.names import DEFAULT_DURATIONS
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.merge import merge
from pytest_gates.trust import KeyFileError, signing_key


class _PlanCapture:
    def __init__(self) -> None:
        self.plan: ShardPlan | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from pytest_gates.session.context import SESSION_KEY

        gates = session.config.stash.get(SESSION_KEY, None)
        self.plan = gates.shard_plan if gates is not None else None


def _plan(args: argparse.Namespace) -> int:
    capture = _PlanCapture()
    argv = [
        "--gates",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--gates-plan={args.shards}",
    ]
    if args.durations:
        argv.append(f"--gates-durations={args.durations}")
    if args.manifest:
        argv.append(f"--gates-manifest={args.manifest}")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main([*argv, *args.pytest_args], plugins=[capture])
    if capture.plan is None or code not in (0, 5):
        sys.stderr.write(output.getvalue())
        print(f"pytest-gates plan: collection failed (pytest exit status {code})", file=sys.stderr)
        return 1
    for line in plan_lines(capture.plan):
        print(line)
    return 0


def _merge(args: argparse.Namespace) -> int:
    try:
        key = signing_key(Path(args.sign_key) if args.sign_key else None, args.sign_key_env)
    except KeyFileError as exc:
        print(f"pytest-gates merge: cannot sign: {exc}", file=sys.stderr)
        return 1
    from pytest_gates.session.ready import fold_merged_ready

    try:  # a damaged durations file refuses the merge before anything is written
        recorder = _DurationRecorder(Path(args.store_durations)) if args.store_durations else None
    except DurationsError as exc:
        print(f"pytest-gates merge: {exc}", file=sys.stderr)
        return 1
    code, report = merge(
        [Path(d) for d in args.shards],
        Path(args.out),
        key,
        fold_merged_ready,
        ran=recorder.record if recorder else None,
    )
    body = report["body"]
    stream = sys.stdout if code == 0 else sys.stderr
    for problem in report["run"].get("problems", []):
        print(problem, file=sys.stderr)
    print(f"{args.out}: {body['decision']}: {body['reason']}", file=stream)
    if key is not None and not report["run"].get("problems"):
        print(f"{args.out}: signed by key {key.keyid} (report.intoto.json)", file=stream)
    if recorder is not None and recorder.problem:
        print(f"pytest-gates merge: {recorder.problem}", file=sys.stderr)
        return 1
    if recorder is not None and recorder.items:
        print(f"{recorder.path}: recorded the durations of {recorder.items} items", file=stream)
    return code


class _DurationRecorder:
    """Records the merged run's durations, as one run, into a durations file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = DurationStore.load(path)
        self.items = 0
        self.problem = ""

    def record(self, records: Sequence[ItemRecord]) -> None:
        run = measured(records)
        self.store.record(run)
        try:
            self.store.save(self.path)
        except OSError as exc:
            self.problem = f"could not write {self.path}: {exc}"
            return
        self.items = len(run)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` and ``merge`` to the ``pytest-gates`` command."""
    plan = sub.add_parser(
        "plan", help="print how the gate items split into N shards and how close to the best"
    )
    plan.add_argument("--shards", type=int, required=True, metavar="N")
    plan.add_argument(
        "--durations", metavar="PATH", help="durations file (default: the configured one)"
    )
    plan.add_argument("--manifest", metavar="PATH", help="manifest (default: the configured one)")
    plan.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    plan.set_defaults(func=_plan)

    merged = sub.add_parser(
        "merge", help="merge the outputs of all shards into one evidence set and report"
    )
    merged.add_argument("shards", nargs="+", metavar="SHARD_DIR")
    merged.add_argument("--out", required=True, metavar="DIR")
    merged.add_argument(
        "--sign-key",
        metavar="PATH",
        help="sign the merged decision with this Ed25519 private key (PEM): report.intoto.json",
    )
    merged.add_argument(
        "--sign-key-env",
        metavar="VAR",
        help="sign with the private key whose PEM the environment variable VAR holds (a CI secret)",
    )
    merged.add_argument(
        "--store-durations",
        nargs="?",
        const=DEFAULT_DURATIONS,
        metavar="PATH",
        help="record the merged run's item durations into this file, as one run "
        f"(default: {DEFAULT_DURATIONS})",
    )
    merged.set_defaults(func=_merge)
