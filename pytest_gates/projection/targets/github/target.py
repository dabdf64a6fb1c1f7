"""The GitHub Actions target: one workflow file, written whole, with manual regions and the
hand-written jobs and steps the policy allows kept in place."""

from __future__ import annotations

from typing import Final

import yaml

from pytest_gates.projection.drift import Drift
from pytest_gates.projection.emit import manual_regions
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.target import SyncError
from pytest_gates.projection.targets.github.drift import workflow_drift
from pytest_gates.projection.targets.github.handwork import hand_blocks, keep_hand_work
from pytest_gates.projection.targets.github.workflow import render_workflow

#: The rule of a hand-written job or step that sync cannot keep.
HAND_WORK_RULE: Final = "sync.hand-work"


def _readable(text: str) -> bool:
    """Whether ``text`` reads as a workflow (a YAML mapping), as the drift check requires."""
    try:
        return isinstance(yaml.safe_load(text), dict)
    except yaml.YAMLError:
        return False


class GitHubWorkflow:
    """The workflow at ``projection.workflow``: the gates job (or a matrix of shards) and the
    always-running result job that decides."""

    def paths(self, source: ProjectionSource) -> tuple[str, ...]:
        return (source.policy.workflow,)

    def render(self, source: ProjectionSource, path: str, current: str | None) -> str:
        found = manual_regions(current) if current is not None else {}
        regions: dict[str, list[str]] = {
            name: found[name] for name in source.policy.manual_regions if name in found
        }
        return render_workflow(source, regions)

    def drift(
        self, source: ProjectionSource, path: str, current: str | None, rendered: str
    ) -> list[Drift]:
        return workflow_drift(path, current, rendered, source)

    def keep(self, source: ProjectionSource, path: str, current: str | None, rendered: str) -> str:
        allow = source.policy.allow
        # The drift check reports an unreadable file, and says why.
        unreadable = current is not None and not _readable(current)
        if unreadable and (allow.jobs or allow.steps):
            raise SyncError(
                "the file is not valid YAML, so the hand-written jobs and steps the policy "
                "allows cannot be kept; fix it, then run sync"
            )
        try:
            blocks = hand_blocks(current, source.policy) if current is not None else []
            return keep_hand_work(rendered, blocks)
        except SyncError as exc:
            # Sync refuses to write (it would lose the block); the diff shows the projection alone.
            raise SyncError(str(exc), rule=None if unreadable else HAND_WORK_RULE) from None


#: The GitHub Actions target of :data:`pytest_gates.projection.targets.TARGETS`.
GITHUB: Final = GitHubWorkflow()
