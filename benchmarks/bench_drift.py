"""Shards under drift: each recorded run planned with the runs before it, scored with its own.

The data is OneGov's weekly ``.test_durations`` history (``../shared/data/durations/onegov-history``:
54 snapshots, 2023-05 to 2024-09, each the durations of one real CI run, pytest-split's
``{node id: seconds}``). For each snapshot ``i >= 1``, exactly as the outside evaluation does:

1. a fresh :class:`~pytest_gates.distribute.durations.DurationStore` is fed snapshots ``0 .. i-1``,
   one at a time, through ``record()``;
2. ``predict(node ids of snapshot i, store)`` and ``partition(durations, n)`` plan ``n`` shards;
3. the shards are scored with snapshot ``i``'s real durations: makespan / lower bound, where
   lower bound = ``max(total / n, longest item)`` (1.000 is optimal).

The baseline in the same run is pytest-split's ``least_duration`` (imported, not reimplemented)
given the last snapshot before ``i``, as pytest-split would read its durations file. Two
references frame the numbers: ``exact`` (our partition given snapshot ``i`` itself: what the
split costs) and ``two-sided`` (each item predicted by the mean of the three snapshots before and
the three after ``i``: a smoother that sees the future, to show how much of the error is noise
that no predictor from the past removes).

The predictor was chosen on the first :data:`TUNE` snapshots; the rest are reported apart as the
held-out part.

Run: ``python benchmarks/bench_drift.py`` (writes ``benchmarks/results/drift.json``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import platform
import statistics
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

from pytest_split.algorithms import Algorithms

from pytest_gates.distribute.durations import DurationStore, predict
from pytest_gates.distribute.partition import partition

REPO: Final = Path(__file__).resolve().parent.parent
DATA: Final = (
    REPO.parent
    / "shared"
    / "data"
    / "durations"
    / "onegov-history"
    / "onegov-weekly-2023-05_2024-09.json.gz"
)
RESULT: Final = REPO / "benchmarks" / "results" / "drift.json"
SPLITS: Final = (4, 8, 16)
#: Snapshots 1 .. TUNE - 1 are the tuning part; TUNE .. end the held-out part (about a third).
TUNE: Final = 36
#: Snapshots on each side in the two-sided reference.
WINDOW: Final = 3
METHODS: Final = ("ours", "least_duration", "exact", "two_sided")

Snapshot = dict[str, float]


class FakeItem:
    """What ``least_duration`` reads from a pytest item: ``nodeid``, and ``str()`` (pytest's
    ``<Function name>``, by which it pre-sorts)."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid
        self.name = nodeid.rpartition("::")[2]

    def __repr__(self) -> str:
        return f"<Function {self.name}>"


def lower_bound(actual: Mapping[str, float], n: int) -> float:
    values = list(actual.values())
    return max(math.fsum(values) / n, max(values))


def ratio(groups: Sequence[Sequence[str]], actual: Mapping[str, float], n: int) -> float:
    if sorted(x for g in groups for x in g) != sorted(actual) or len(groups) != n:
        raise SystemExit("the groups do not hold every item exactly once")
    makespan = max(math.fsum(actual[x] for x in group) for group in groups)
    return makespan / lower_bound(actual, n)


def ours(store: DurationStore, nodeids: list[str], n: int) -> list[tuple[str, ...]]:
    durations = {nodeid: p.seconds for nodeid, p in predict(nodeids, store).items()}
    return list(partition(durations, n).groups)


def least_duration(previous: Snapshot, nodeids: list[str], n: int) -> list[tuple[str, ...]]:
    items = [FakeItem(nodeid) for nodeid in nodeids]
    groups = Algorithms["least_duration"].value(n, items, previous)
    return [tuple(item.nodeid for item in group.selected) for group in groups]


def two_sided(snapshots: Sequence[Snapshot], i: int) -> dict[str, float]:
    window = [
        snapshots[j]
        for j in range(max(0, i - WINDOW), min(len(snapshots), i + WINDOW + 1))
        if j != i
    ]
    known = {}
    for nodeid in snapshots[i]:
        values = [s[nodeid] for s in window if nodeid in s]
        if values:
            known[nodeid] = math.fsum(values) / len(values)
    mean = math.fsum(known.values()) / len(known)
    return {nodeid: known.get(nodeid, mean) for nodeid in snapshots[i]}


def evaluate(snapshots: Sequence[Snapshot]) -> list[dict[str, Any]]:
    rows = []
    store = DurationStore()
    for i in range(1, len(snapshots)):
        store.record(snapshots[i - 1])
        actual = snapshots[i]
        nodeids = list(actual)
        smooth = two_sided(snapshots, i)
        row: dict[str, Any] = {
            "snapshot": i,
            "part": "tune" if i < TUNE else "held-out",
            "items": len(actual),
            "new_items": sum(1 for nodeid in actual if nodeid not in snapshots[i - 1]),
            "total_s": round(math.fsum(actual.values()), 3),
        }
        for n in SPLITS:
            plans: dict[str, Sequence[Sequence[str]]] = {
                "ours": ours(store, nodeids, n),
                "least_duration": least_duration(snapshots[i - 1], nodeids, n),
                "exact": partition(actual, n).groups,
                "two_sided": partition(smooth, n).groups,
            }
            row[str(n)] = {
                name: round(ratio(groups, actual, n), 6) for name, groups in plans.items()
            }
        rows.append(row)
        print(f"snapshot {i}: " + ", ".join(f"{n}: {row[str(n)]['ours']:.4f}" for n in SPLITS))
    return rows


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    parts = {
        "all": rows,
        "tune": [r for r in rows if r["part"] == "tune"],
        "held-out": [r for r in rows if r["part"] == "held-out"],
    }
    result: dict[str, Any] = {}
    for part, selected in parts.items():
        result[part] = {
            "snapshots": [selected[0]["snapshot"], selected[-1]["snapshot"]],
            **{
                str(n): {
                    name: {
                        "mean": round(statistics.fmean(r[str(n)][name] for r in selected), 4),
                        "worst": round(max(r[str(n)][name] for r in selected), 4),
                    }
                    for name in METHODS
                }
                for n in SPLITS
            },
        }
    return result


def markdown(summary: Mapping[str, Any]) -> str:
    lines = [
        "| part | snapshots | N | ours mean | ours worst | least_duration mean "
        "| least_duration worst | exact mean | two-sided mean | two-sided worst |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for part in ("all", "tune", "held-out"):
        first, last = summary[part]["snapshots"]
        for n in SPLITS:
            cell = summary[part][str(n)]
            lines.append(
                f"| {part} | {first}-{last} | {n} | {cell['ours']['mean']:.4f} "
                f"| {cell['ours']['worst']:.4f} | {cell['least_duration']['mean']:.4f} "
                f"| {cell['least_duration']['worst']:.4f} | {cell['exact']['mean']:.4f} "
                f"| {cell['two_sided']['mean']:.4f} | {cell['two_sided']['worst']:.4f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the history (.json.gz)")
    parser.add_argument("--out", type=Path, default=RESULT, help="the JSON result file")
    args = parser.parse_args(argv)
    raw = args.data.read_bytes()
    history = json.loads(gzip.decompress(raw))
    snapshots: list[Snapshot] = [s["durations"] for s in history["snapshots"]]
    rows = evaluate(snapshots)
    summary = aggregate(rows)
    result = {
        "benchmark": "drift",
        "data": {
            "file": args.data.name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "snapshots": len(snapshots),
            "first": history["snapshots"][0]["date"],
            "last": history["snapshots"][-1]["date"],
        },
        "versions": {
            "python": platform.python_version(),
            "pytest-gates": version("pytest-gates"),
            "pytest-split": version("pytest-split"),
        },
        "splits": list(SPLITS),
        "tune_before": TUNE,
        "summary": summary,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(markdown(summary))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
