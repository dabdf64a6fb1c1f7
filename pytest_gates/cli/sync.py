"""``pytest-gates sync [--check]``: write the manifest's projections, or show how they drifted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_gates.cli.check import report_stale
from pytest_gates.errors import ManifestError
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.projection.sync import ProjectedFile, SyncPlan, plan_sync, write

SYNC_HELP = "write the CI workflow and the tox gate environments from the manifest"
CHECK_HELP = "write nothing; exit 1 with a diff and a diagnosis when the files drifted"
SHARDS_HELP = "machines to split the gates over (default: projection.shards in the manifest)"


def _block(projected: ProjectedFile, manifest: str) -> str:
    """What ``--check`` says of one file: in sync, or its diff and each drift."""
    if not projected.drifts:
        note = "" if projected.up_to_date else " (sync would change only layout or order)"
        return f"{projected.display}: in sync with {manifest}{note}\n"
    drifts = "".join(f"{drift.render()}\n" for drift in projected.drifts)
    return f"{projected.display}: drifted from {manifest}\n{projected.diff()}{drifts}"


def check(plan: SyncPlan) -> int:
    """Print each file's diff and diagnosis; 1 on any drift."""
    manifest = plan.source.manifest
    blocks = [_block(projected, manifest) for projected in plan.files]
    drifts = plan.drifts
    if not drifts:
        sys.stdout.writelines(blocks)
        return 0
    return report_stale(
        blocks,
        f"{len(drifts)} drift{'s' if len(drifts) != 1 else ''}: the CI files are no longer the "
        f"projection of {manifest}. Regenerate them with `{plan.source.command}`, or allow the "
        f"hand edit in the manifest's projection policy.",
    )


def _sync(args: argparse.Namespace) -> int:
    root = Path.cwd()
    try:
        plan = plan_sync(root, root / args.manifest, args.shards)
    except ManifestError as exc:
        print(f"ERROR: invalid gate manifest\n{exc}", file=sys.stderr)
        return 2
    return check(plan) if args.check else write(plan)


def _shard_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 256, found '{text}'")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sync`` to the ``pytest-gates`` command."""
    parser = sub.add_parser("sync", help=SYNC_HELP, description=SYNC_HELP)
    parser.add_argument("--check", action="store_true", help=CHECK_HELP)
    parser.add_argument(
        "--manifest", default=DEFAULT_MANIFEST, metavar="PATH", help=f"default: {DEFAULT_MANIFEST}"
    )
    parser.add_argument("--shards", type=_shard_count, metavar="N", help=SHARDS_HELP)
    parser.set_defaults(func=_sync)
