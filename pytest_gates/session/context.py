"""What the session's parts share, on ``config.stash``: a narrow, frozen context and the state
collection leaves behind.

The items, the runtime and controller plugins and (through what ``plugin.py`` hands it) the xdist
scheduler read :class:`GatesContext`; none of them sees the others. :class:`CollectionState` is
what collection found, written by the process that collects and, under xdist, completed on the
controller from what the workers send back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_gates.checks.api import CheckRegistry
from pytest_gates.distribute.plan import Planner, ShardPlan
from pytest_gates.distribute.shards import Shard
from pytest_gates.model.load import LoadedManifest, suite_owner
from pytest_gates.model.manifest import Gate

#: The message of a READY check a shard leaves to ``pytest-gates merge``.
JUDGED_AT_MERGE: Final = "judged by merge: READY audits the merged evidence of every shard"


@dataclass(frozen=True)
class GatesContext:
    """The configuration of one ``pytest --gates`` session: read by everything, changed by none."""

    rootdir: Path
    #: The manifest, resolved, and as messages name it (relative to the rootdir).
    manifest_path: Path
    manifest_display: str
    loaded: LoadedManifest
    registry: CheckRegistry
    outdir: Path
    durations_path: Path
    #: The one planning pipeline (recorded durations, loaded on first use).
    planner: Planner
    #: ``--gates-shard`` (or Bazel's environment); None when not sharded.
    shard: Shard | None
    #: Paths were given on the command line (otherwise the session is the manifest and suites).
    explicit_args: bool
    #: ``--gates-fix`` (ini ``gates_fix``): checks that can repair what they find do so.
    fix: bool = False
    #: Each check's parameters as its kind's model, validated with the manifest, by (gate index,
    #: check index): its item runs with them.
    params: Mapping[tuple[int, int], Any] = field(default_factory=dict)

    @property
    def check_prefix(self) -> str:
        """The node id prefix of every declarative check."""
        return f"{self.manifest_display}::"

    def suite_paths(self) -> list[Path]:
        return [
            (self.rootdir / suite).resolve()
            for gate in self.loaded.manifest.gates
            for suite in gate.suites
        ]

    def gate_of_path(self, path: Path) -> Gate | None:
        return suite_owner(self.loaded.manifest, self.rootdir, path)

    def gate_of_nodeid(self, nodeid: str) -> str | None:
        if nodeid.startswith(self.check_prefix):
            parts = nodeid.split("::")
            return parts[1] if len(parts) > 2 else None
        gate = self.gate_of_path(self.rootdir / nodeid.split("::")[0])
        return gate.id if gate is not None else None

    def plan(self, nodeids: Sequence[str], total: int) -> ShardPlan:
        """The plan of ``nodeids`` into ``total`` groups (shards, or xdist workers' shares)."""
        return self.planner.plan({n: self.gate_of_nodeid(n) for n in nodeids}, total)

    def display(self, path: Path) -> str:
        return display(path, self.rootdir)

    def left_to_merge(self, gate: Gate) -> bool:
        """On a CI shard, ``gate`` is a READY gate judged by ``pytest-gates merge``
        (:meth:`Manifest.judged_at_merge`): its READY check is not judged here."""
        if self.shard is None or self.shard.total < 2:
            return False
        return self.loaded.manifest.judged_at_merge(gate)


@dataclass
class CollectionState:
    """What collection found: the items, the deselected ones, collection errors, the shards."""

    collected: list[str] = field(default_factory=list)
    deselected: set[str] = field(default_factory=set)
    #: node id -> the collection error's text, for files of a gate's suites.
    collect_errors: dict[str, str] = field(default_factory=dict)
    #: node id -> the shard that runs it (sharded runs only).
    shard_of: dict[str, int] = field(default_factory=dict)
    #: The plan ``--gates-plan N`` asked for.
    shard_plan: ShardPlan | None = None


#: The context of a ``pytest --gates`` session, on ``config.stash``.
CONTEXT_KEY: Final = pytest.StashKey[GatesContext]()
#: What collection found (``pytest-gates plan`` reads ``shard_plan`` from it).
SESSION_KEY: Final = pytest.StashKey[CollectionState]()


def display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it, else as it is."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
