"""``pytest-gates sync [--check]``: write the manifest's projections, or say how the files drifted.

Both modes compute the same plan: for each projected file, what is on disk, what sync would write
(keeping manual regions and allowed hand-written jobs and steps), and the drifts between them.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_gates.errors import ManifestError
from pytest_gates.model.manifest import load_manifest
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.projection.drift import Drift, workflow_drift
from pytest_gates.projection.emit import manual_regions
from pytest_gates.projection.handwork import hand_blocks, keep_hand_work
from pytest_gates.projection.source import ProjectionSource, SyncError
from pytest_gates.projection.targets.github import render_workflow
from pytest_gates.projection.targets.tox import splice_tox, tox_drift
from pytest_gates.support.atomic import atomic_write

SYNC_HELP = "write the CI workflow and the tox gate environments from the manifest"
CHECK_HELP = "write nothing; exit 1 with a diff and a diagnosis when the files drifted"
SHARDS_HELP = "machines to split the gates over (default: projection.shards in the manifest)"


@dataclass(frozen=True)
class ProjectedFile:
    """One file sync owns (or owns a region of): on disk, wanted, and how they differ."""

    path: Path
    #: The path relative to the project root, as messages show it.
    display: str
    #: The file on disk; ``None`` when it does not exist.
    current: str | None
    #: What sync writes (the projection alone when ``problem`` stops sync from writing).
    wanted: str
    drifts: tuple[Drift, ...]
    #: Why sync refuses to write this file, if it does.
    problem: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.wanted

    def diff(self) -> str:
        if self.up_to_date:
            return ""
        return "".join(
            difflib.unified_diff(
                (self.current or "").splitlines(keepends=True),
                self.wanted.splitlines(keepends=True),
                f"{self.display} (on disk)",
                f"{self.display} (pytest-gates sync)",
            )
        )


@dataclass(frozen=True)
class SyncPlan:
    """The projections of one manifest."""

    source: ProjectionSource
    files: tuple[ProjectedFile, ...]

    @property
    def drifts(self) -> list[Drift]:
        return [drift for projected in self.files for drift in projected.drifts]


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def plan_sync(root: Path, manifest: Path, shards: int | None = None) -> SyncPlan:
    """Load the manifest (raises ManifestError) and compute every projected file."""
    display = display_path(manifest, root)
    loaded = load_manifest(manifest, display, root)
    source = ProjectionSource.from_manifest(loaded, display, shards)
    files = [project_workflow(root, source)]
    if source.policy.tox is not None:
        files.append(project_tox(root, source, source.policy.tox.path))
    return SyncPlan(source, tuple(files))


def project_workflow(root: Path, source: ProjectionSource) -> ProjectedFile:
    display = source.policy.workflow
    path = root / display
    current = _read(path)
    found = manual_regions(current) if current is not None else {}
    regions: dict[str, list[str]] = {
        name: found[name] for name in source.policy.manual_regions if name in found
    }
    expected = render_workflow(source, regions)
    drifts = workflow_drift(display, current, expected, source)
    unreadable = any(drift.rule == "sync.invalid" for drift in drifts)
    if unreadable and (source.policy.allow.jobs or source.policy.allow.steps):
        problem = (
            "the file is not valid YAML, so the hand-written jobs and steps the policy allows "
            "cannot be kept; fix it, then run sync"
        )
        return ProjectedFile(path, display, current, expected, tuple(drifts), problem)
    try:
        blocks = hand_blocks(current, source.policy) if current is not None else []
        wanted = keep_hand_work(expected, blocks)
    except SyncError as exc:
        # Sync refuses to write (it would lose the block); the diff shows the projection alone.
        if not unreadable:
            drifts.append(Drift(display, None, "sync.hand-work", str(exc)))
        return ProjectedFile(path, display, current, expected, tuple(drifts), str(exc))
    return ProjectedFile(path, display, current, wanted, tuple(drifts))


def project_tox(root: Path, source: ProjectionSource, display: str) -> ProjectedFile:
    path = root / display
    current = _read(path)
    drifts = tuple(tox_drift(display, current, source))
    try:
        return ProjectedFile(path, display, current, splice_tox(current, source), drifts)
    except SyncError as exc:
        return ProjectedFile(path, display, current, current or "", drifts, str(exc))


def write(plan: SyncPlan) -> int:
    """Write every file that differs; 1 when one could not be written."""
    status = 0
    for projected in plan.files:
        if projected.problem is not None:
            print(f"ERROR: {projected.display}: {projected.problem}", file=sys.stderr)
            status = 1
        elif projected.up_to_date:
            print(f"{projected.display}: up to date")
        else:
            atomic_write(projected.path, projected.wanted.encode("utf-8"))
            print(f"wrote {projected.display} from {plan.source.manifest}")
    return status


def check(plan: SyncPlan) -> int:
    """Print each drifted file's diff and diagnosis; 1 on any drift."""
    manifest = plan.source.manifest
    for projected in plan.files:
        if not projected.drifts:
            note = "" if projected.up_to_date else " (sync would change only layout or order)"
            print(f"{projected.display}: in sync with {manifest}{note}")
            continue
        print(f"{projected.display}: drifted from {manifest}")
        sys.stdout.write(projected.diff())
        for drift in projected.drifts:
            print(drift.render())
    drifts = plan.drifts
    if not drifts:
        return 0
    print(
        f"\n{len(drifts)} drift{'s' if len(drifts) != 1 else ''}: the CI files are no longer the "
        f"projection of {manifest}. Regenerate them with `{plan.source.command}`, or allow the "
        f"hand edit in the manifest's projection policy."
    )
    return 1


def run(args: argparse.Namespace) -> int:
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
    parser.set_defaults(func=run)
