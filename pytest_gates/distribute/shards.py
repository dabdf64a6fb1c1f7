"""Shards: which items a ``--gates-shard K/N`` run takes, predicted from recorded durations.

Every shard machine computes the same partition from the same inputs (the collected node ids,
the committed durations file, the manifest), so no coordination is needed: shard K runs group K
of the plan (:mod:`pytest_gates.distribute.plan`) and reports the others as ``NOT_RUN`` on their
shard.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_gates.distribute.plan import ShardPlan

__all__ = ["Shard", "ShardPlan", "parse_shard", "plan_lines", "shard_from_env", "shard_of"]

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``total``."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def as_dict(self) -> dict[str, int]:
        return {"index": self.index, "total": self.total}


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> shard 2 of 4; raises ValueError with what was expected."""
    match = _SHARD.match(text)
    if not match:
        raise ValueError(f"--gates-shard expects K/N such as 2/4, given: {text!r}")
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or not 1 <= index <= total:
        raise ValueError(f"--gates-shard expects 1 <= K <= N, given: {text!r}")
    return Shard(index, total)


def shard_from_env(environ: Mapping[str, str]) -> Shard | None:
    """Bazel's ``TEST_SHARD_INDEX`` (0-based) and ``TEST_TOTAL_SHARDS``, when both are set.

    Bazel also asks a test runner that supports sharding to touch ``TEST_SHARD_STATUS_FILE``.
    """
    index, total = environ.get("TEST_SHARD_INDEX"), environ.get("TEST_TOTAL_SHARDS")
    if index is None or total is None:
        return None
    if not (index.strip().isdigit() and total.strip().isdigit()):
        raise ValueError(
            f"TEST_SHARD_INDEX and TEST_TOTAL_SHARDS must be whole numbers, given: {index!r}, {total!r}"
        )
    shard = parse_shard(f"{int(index) + 1}/{int(total)}")
    status = environ.get("TEST_SHARD_STATUS_FILE")
    if status:
        Path(status).touch()
    return shard


def shard_of(planned: ShardPlan) -> dict[str, int]:
    """Each planned item's shard (1-based): shard K of N runs group K of the plan."""
    return {nodeid: index + 1 for nodeid, index in planned.plan.group_of().items()}


def plan_lines(planned: ShardPlan) -> list[str]:
    """The plan as ``pytest-gates plan`` prints it."""
    plan = planned.plan
    sources = Counter(p.source for p in planned.predictions.values())
    total = sum(p.seconds for p in planned.predictions.values())
    longest = max((p.seconds for p in planned.predictions.values()), default=0.0)
    described = ", ".join(f"{name} {sources[name]}" for name in sorted(sources))
    lines = [
        f"{len(plan.groups)} shards, {len(planned.predictions)} items; predictions from: "
        f"{described or 'nothing'}",
        "shard  items  predicted",
    ]
    for index, (group, load) in enumerate(zip(plan.groups, plan.loads, strict=True), start=1):
        lines.append(f"{index:<5}  {len(group):<5}  {load:.2f}s")
    lines.append(
        f"lower bound {planned.lower_bound():.2f}s = max(total {total:.2f}s / {len(plan.groups)}, "
        f"longest {longest:.2f}s); makespan {plan.makespan:.2f}s; "
        f"makespan / lower bound = {planned.ratio():.4f}"
    )
    for gates, why in planned.kept:
        lines.append(f"kept on one shard: {', '.join(gates)} ({'; '.join(why)})")
    if planned.stale:
        lines.append(
            f"{len(planned.stale)} recorded node ids no longer exist (not used): "
            + ", ".join(planned.stale[:5])
            + (" ..." if len(planned.stale) > 5 else "")
        )
    return lines
