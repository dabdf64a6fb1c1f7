"""Sync: write the manifest's projections, or compute how the files on disk drifted from them.

Both ``pytest-gates sync`` and its ``--check`` (and the ``sync`` check kind) compute the same plan:
for each file a target owns, what is on disk, what sync would write (the projection with the hand
edits the target keeps) and the drifts between them. Every target is driven through the
:class:`~pytest_gates.projection.target.Target` protocol; this module knows none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gates.model.load import load_manifest
from pytest_gates.projection.drift import Drift
from pytest_gates.projection.project import read_project
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.target import SyncError, Target
from pytest_gates.projection.targets import TARGETS
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.diff import unified_diff


@dataclass(frozen=True)
class ProjectedFile:
    """One file sync owns (or owns a region of): on disk, wanted, and how they differ."""

    path: Path
    #: The path relative to the project root, as messages show it.
    display: str
    #: The file on disk; ``None`` when it does not exist.
    current: str | None
    #: What sync writes (what ``SyncError.shown`` says when ``problem`` stops sync from writing).
    wanted: str
    drifts: tuple[Drift, ...]
    #: Why sync refuses to write this file, if it does.
    problem: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.wanted

    def diff(self) -> str:
        """The unified diff from the file on disk to what sync writes; empty when up to date."""
        if self.up_to_date:
            return ""
        return unified_diff(
            self.current or "", self.wanted, self.display, "on disk", "pytest-gates sync"
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


def plan_sync(
    root: Path, manifest: Path, shards: int | None = None, targets: Sequence[Target] = TARGETS
) -> SyncPlan:
    """Load the manifest (raises ManifestError) and project it through every target, in order."""
    display = display_path(manifest, root)
    loaded = load_manifest(manifest, display, root)
    source = ProjectionSource.from_manifest(loaded, display, shards, read_project(root))
    for problem in source.problems():  # the files would be in sync, and still not work
        print(f"warning: {problem}", file=sys.stderr)
    files = [
        project_file(root, source, target, path)
        for target in targets
        for path in target.paths(source)
    ]
    return SyncPlan(source, tuple(files))


def project_file(
    root: Path, source: ProjectionSource, target: Target, display: str
) -> ProjectedFile:
    """One file of ``target``: render, compare with the file on disk, keep the hand edits."""
    path = root / display
    current = _read(path)
    rendered = target.render(source, display, current)
    drifts = target.drift(source, display, current, rendered)
    try:
        wanted = target.keep(source, display, current, rendered)
    except SyncError as exc:
        if exc.rule is not None:
            drifts.append(Drift(display, None, exc.rule, str(exc)))
        shown = rendered if exc.shown is None else exc.shown
        return ProjectedFile(path, display, current, shown, tuple(drifts), str(exc))
    return ProjectedFile(path, display, current, wanted, tuple(drifts))


def write(plan: SyncPlan) -> int:
    """Write every file that differs and say what was done; 1 when one could not be written."""
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
