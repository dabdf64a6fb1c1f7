"""Partition quality on real duration files: ours against pytest-split's two algorithms.

For each file in ``../shared/data/durations/`` (pytest-split's ``{node id: seconds}`` format) and
each N in :data:`SPLITS`, all three algorithms split the same items with the same durations, and
each result is scored as makespan / lower bound, where the lower bound is
``max(total / N, longest item)``: no split can beat it, so 1.000 is optimal.

The items are the file's live node ids in sorted order (the order ``--store-durations`` writes;
we do not have the projects' real collection order). Each file goes through
:meth:`~pytest_gates.distribute.durations.DurationStore.from_data`, which drops the stale ``@group`` twins
that OneGov's file carries; the benchmark reports what it dropped. pytest-split gets the raw file
as its durations, as it would read it, and skips those keys itself because no collected item has
their node id.

The "stale predictions" experiment splits OneGov's 2026 items using its 2023 file (items the 2023
file does not know get a prior: ours the median of the known items of their file, else the mean;
least_duration the mean), then scores the groups
with the 2026 durations. Since a third of the items then share one predicted value, it also
shows how much of the result is the tie-break: under seeded random relabellings, and with our
ties ordered as least_duration orders them; and where the error comes from: the same split with
the new items, or the known ones, predicted exactly.

Run: ``python benchmarks/bench_partition.py`` (writes ``benchmarks/results/partition.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

from pytest_split.algorithms import Algorithms

from pytest_gates.distribute.durations import DurationStore, canonical_nodeid, predict
from pytest_gates.distribute.partition import make_units, partition, partition_units
from pytest_gates.support.digest import tree_digest

REPO: Final = Path(__file__).resolve().parent.parent
DATA: Final = REPO.parent / "shared" / "data" / "durations"
RESULT: Final = REPO / "benchmarks" / "results" / "partition.json"
#: The measured value the project's own benchmark source (gates/benchmarks.yaml) holds to a bound.
QUALITY: Final = REPO / "benchmarks" / "results" / "partition-quality.json"
#: What the quality value depends on: the partition and this script (the data sits outside).
QUALITY_INPUTS: Final = (
    "pytest_gates/distribute/partition.py",
    "pytest_gates/distribute/durations.py",
    "benchmarks/bench_partition.py",
)
SPLITS: Final = (2, 4, 8, 16, 32)
#: Timed repeats of our partition per (file, N); the median is reported.
REPEATS: Final = 5
#: Seeded relabellings in the stale experiment (see :func:`relabelled`).
RELABELLINGS: Final = 20
ONEGOV_2023: Final = "onegov-cloud_2d168ed1_2023-05-29_.test_durations"
ONEGOV_2026: Final = "onegov-cloud_f702cfcd_.test_durations"
#: Column order of the tables; ``lpt`` is ours without the improvement pass (an ablation).
ALGORITHMS: Final = ("ours", "lpt", "least_duration", "duration_based_chunks")


class FakeItem:
    """What pytest-split's algorithms read from a pytest item: ``nodeid``, and ``str()``.

    ``least_duration`` pre-sorts by ``str(item)``, which for a real item is ``<Function name>``
    (pytest's ``Node.__repr__``), so this mirrors it rather than the node id.
    """

    def __init__(self, nodeid: str, name: str | None = None) -> None:
        self.nodeid = nodeid
        self.name = name or nodeid.rpartition("::")[2]

    def __repr__(self) -> str:
        return f"<Function {self.name}>"


@dataclass(frozen=True)
class Split:
    """One algorithm's groups (node ids), scored with ``durations``."""

    groups: tuple[tuple[str, ...], ...]

    def loads(self, durations: Mapping[str, float]) -> list[float]:
        return [sum(durations[nodeid] for nodeid in group) for group in self.groups]

    @property
    def empty(self) -> int:
        return sum(1 for group in self.groups if not group)


@dataclass(frozen=True)
class DurationFile:
    name: str
    sha256: str
    raw: dict[str, float]
    #: Live node id -> predicted seconds (our predictor over the store).
    durations: dict[str, float]
    #: Suffixed keys whose un-suffixed twin is in the file: ignored, key -> seconds.
    dropped: dict[str, float]
    #: Suffixed keys without a twin: kept under the canonical id.
    renamed: list[str]

    @classmethod
    def read(cls, path: Path) -> DurationFile:
        data = path.read_bytes()
        raw = json.loads(data)
        store = DurationStore.from_data(raw, path.name)
        items = sorted(store.items)
        durations = {n: p.seconds for n, p in predict(items, store).items()}
        collapsed = [key for key in raw if canonical_nodeid(key) != key]
        dropped = {key: raw[key] for key in collapsed if canonical_nodeid(key) in raw}
        renamed = sorted(key for key in collapsed if key not in dropped)
        # What the store kept must be the file minus what we report as dropped.
        kept = sum(sum(runs) for runs in store.items.values())
        if abs(kept - (sum(raw.values()) - sum(dropped.values()))) > 1e-6:
            raise SystemExit(f"{path.name}: the store kept {kept} s, not the file minus the twins")
        return cls(path.name, hashlib.sha256(data).hexdigest(), raw, durations, dropped, renamed)

    def summary(self) -> dict[str, Any]:
        values = self.durations.values()
        twins = sum(self.durations[canonical_nodeid(key)] for key in self.dropped)
        return {
            "file": self.name,
            "sha256": self.sha256,
            "keys": len(self.raw),
            "items": len(self.durations),
            "total_s": round(sum(values), 3),
            "longest_s": round(max(values), 3),
            "dropped_stale_twins": len(self.dropped),
            "dropped_stale_twins_s": round(sum(self.dropped.values()), 3),
            "their_live_twins_s": round(twins, 3),
            "renamed_suffixed_keys": len(self.renamed),
        }


def lower_bound(values: Sequence[float], n: int) -> float:
    return max(sum(values) / n, max(values))


def pigeonhole_bound(values: Sequence[float], n: int) -> float:
    """A second bound: of the n + 1 longest items two share a group, so some group holds at
    least the n-th and (n+1)-th longest together. Shows where 1.000 against
    :func:`lower_bound` is out of reach."""
    ordered = sorted(values, reverse=True)
    pair = ordered[n - 1] + ordered[n] if len(ordered) > n else 0.0
    return max(lower_bound(values, n), pair)


def split_ours(durations: Mapping[str, float], n: int) -> Split:
    return Split(partition(durations, n).groups)


def split_lpt(durations: Mapping[str, float], n: int) -> Split:
    return Split(partition_units(make_units(durations), n, improve=False).groups)


def pytest_split(algorithm: str) -> Callable[[int, list[FakeItem], dict[str, float]], Split]:
    def run(n: int, items: list[FakeItem], raw: dict[str, float]) -> Split:
        groups = Algorithms[algorithm].value(n, items, raw)
        return Split(tuple(tuple(item.nodeid for item in g.selected) for g in groups))

    return run


def check_cover(split: Split, nodeids: Sequence[str], n: int, label: str) -> None:
    placed = sorted(nodeid for group in split.groups for nodeid in group)
    if len(split.groups) != n or placed != sorted(nodeids):
        raise SystemExit(f"{label}: the groups do not hold every item exactly once")


def run_all(
    nodeids: list[str], predicted: dict[str, float], raw: dict[str, float], n: int
) -> tuple[dict[str, Split], dict[str, float]]:
    """Every algorithm on one input; returns the splits and the seconds each took."""
    items = [FakeItem(nodeid) for nodeid in nodeids]
    runners: dict[str, Callable[[], Split]] = {
        "ours": lambda: split_ours(predicted, n),
        "lpt": lambda: split_lpt(predicted, n),
        "least_duration": lambda: pytest_split("least_duration")(n, items, raw),
        "duration_based_chunks": lambda: pytest_split("duration_based_chunks")(n, items, raw),
    }
    splits: dict[str, Split] = {}
    seconds: dict[str, float] = {}
    for name, runner in runners.items():
        times = []
        for _ in range(REPEATS if name == "ours" else 1):
            start = time.perf_counter()
            splits[name] = runner()
            times.append(time.perf_counter() - start)
        seconds[name] = statistics.median(times)
        check_cover(splits[name], nodeids, n, name)
    return splits, seconds


def score(split: Split, actual: Mapping[str, float], bound: float) -> dict[str, Any]:
    makespan = max(split.loads(actual))
    return {
        "makespan_s": round(makespan, 6),
        "ratio": round(makespan / bound, 6),
        "empty_groups": split.empty,
    }


def quality(files: list[DurationFile]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    timings: dict[str, Any] = {}
    for data in files:
        nodeids = sorted(data.durations)
        values = [data.durations[n] for n in nodeids]
        for n in SPLITS:
            splits, seconds = run_all(nodeids, data.durations, data.raw, n)
            bound = lower_bound(values, n)
            rows.append(
                {
                    "file": data.name,
                    "n": n,
                    "lower_bound_s": round(bound, 6),
                    "bound_by": "longest item" if max(values) >= sum(values) / n else "total/N",
                    "pigeonhole_bound_s": round(pigeonhole_bound(values, n), 6),
                    **{name: score(splits[name], data.durations, bound) for name in ALGORITHMS},
                }
            )
            rows[-1]["ours_minus_least_duration_s"] = round(
                rows[-1]["ours"]["makespan_s"] - rows[-1]["least_duration"]["makespan_s"], 6
            )
            timings[f"{data.name} N={n}"] = {k: round(v, 5) for k, v in seconds.items()}
    return rows, timings


def relabelled(
    nodeids: list[str],
    predicted: dict[str, float],
    raw: dict[str, float],
    actual: Mapping[str, float],
    n: int,
    bound: float,
) -> dict[str, dict[str, float]]:
    """Actual makespan / bound when the items' names are replaced by seeded random labels.

    With stale data many items share one predicted value (a new item gets a prior), so
    which of them lands where is decided by each algorithm's tie-break: ours by node id,
    least_duration by test name and collection order. Random labels (and, for least_duration,
    a shuffled collection order) show how much of a single run's result is that accident.
    """
    ratios: dict[str, list[float]] = {"ours": [], "least_duration": []}
    for seed in range(RELABELLINGS):
        rng = random.Random(seed)
        labels = [f"item{i:05d}" for i in range(len(nodeids))]
        rng.shuffle(labels)
        label = dict(zip(nodeids, labels, strict=True))
        plan = partition({label[nodeid]: predicted[nodeid] for nodeid in nodeids}, n)
        original = {v: k for k, v in label.items()}
        ours = Split(tuple(tuple(original[x] for x in group) for group in plan.groups))
        items = [FakeItem(nodeid, label[nodeid]) for nodeid in nodeids]
        rng.shuffle(items)
        theirs = pytest_split("least_duration")(n, items, raw)
        for name, split in (("ours", ours), ("least_duration", theirs)):
            ratios[name].append(max(split.loads(actual)) / bound)
    return {
        name: {
            "median": round(statistics.median(values), 6),
            "min": round(min(values), 6),
            "max": round(max(values), 6),
        }
        for name, values in ratios.items()
    }


def ties_by_name(predicted: Mapping[str, float], n: int) -> Split:
    """Our partition with equal durations ordered as least_duration orders them: by test name,
    then (where least_duration uses the collection order) by node id."""
    label = {nodeid: f"{nodeid.rpartition('::')[2]}\0{nodeid}" for nodeid in predicted}
    original = {v: k for k, v in label.items()}
    plan = partition({label[nodeid]: seconds for nodeid, seconds in predicted.items()}, n)
    return Split(tuple(tuple(original[x] for x in group) for group in plan.groups))


def stale(old: DurationFile, new: DurationFile) -> dict[str, Any]:
    """Split the new file's items with the old file's predictions; score with the new durations."""
    nodeids = sorted(new.durations)
    store = DurationStore({n: [s] for n, s in old.durations.items()})
    predictions = predict(nodeids, store)
    predicted = {n: p.seconds for n, p in predictions.items()}
    known = [n for n in nodeids if predictions[n].source == "history"]
    old_ids = set(known)
    new_ids = set(nodeids) - old_ids
    actual = [new.durations[n] for n in nodeids]
    rows = []
    for n in SPLITS:
        splits, _ = run_all(nodeids, predicted, old.raw, n)
        bound = lower_bound(actual, n)
        row: dict[str, Any] = {"n": n, "lower_bound_s": round(bound, 6)}
        for name in ALGORITHMS:
            row[name] = {
                "predicted_makespan_s": round(max(splits[name].loads(predicted)), 6),
                **score(splits[name], new.durations, bound),
            }
        row["relabelled"] = relabelled(nodeids, predicted, old.raw, new.durations, n, bound)
        row["ours_ties_by_name"] = score(ties_by_name(predicted, n), new.durations, bound)
        # Where the error comes from: the same split with one kind of item predicted exactly.
        for label, exact in (("new_items_exact", new_ids), ("old_items_exact", old_ids)):
            corrected = {i: new.durations[i] if i in exact else predicted[i] for i in nodeids}
            row[label] = score(split_ours(corrected, n), new.durations, bound)
        rows.append(row)
    return {
        "predictions_from": old.name,
        "actual_from": new.name,
        "items": len(nodeids),
        "known_in_both": len(known),
        "new_items_given_a_prior": len(nodeids) - len(known),
        "mean_s": round(statistics.fmean(old.durations[n] for n in known), 3),
        "old_items_gone": len(set(old.durations) - set(new.durations)),
        "relabellings": RELABELLINGS,
        "rows": rows,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def cell(result: Mapping[str, Any]) -> str:
    empty = f" ({result['empty_groups']} empty)" if result["empty_groups"] else ""
    return f"{result['ratio']:.4f}{empty}"


def ours_ms(result: Mapping[str, Any], row: Mapping[str, Any]) -> float:
    return float(result["timing_s"][f"{row['file']} N={row['n']}"]["ours"]) * 1000


def signed_ms(seconds: float) -> str:
    text = f"{seconds * 1000:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def spread(values: Mapping[str, float]) -> str:
    return f"{values['median']:.4f} [{values['min']:.4f}, {values['max']:.4f}]"


def markdown(result: Mapping[str, Any]) -> str:
    names = ("ours", "ours, LPT only", "least_duration", "duration_based_chunks")
    parts = [
        "### Input",
        table(
            ("file", "keys", "items", "total s", "longest s", "stale twins dropped", "their s"),
            [
                (
                    f["file"],
                    f["keys"],
                    f["items"],
                    f"{f['total_s']:.1f}",
                    f"{f['longest_s']:.1f}",
                    f["dropped_stale_twins"],
                    f"{f['dropped_stale_twins_s']:.1f} (live twins {f['their_live_twins_s']:.1f})",
                )
                for f in result["files"]
            ],
        ),
        "### Makespan / lower bound (empty groups in parentheses)",
        table(
            (
                "file",
                "N",
                "lower bound s",
                "bound by",
                *names,
                "ours - least_duration ms",
                "ours ms",
            ),
            [
                (
                    r["file"].removesuffix(".test_durations").rstrip("_"),
                    r["n"],
                    f"{r['lower_bound_s']:.1f}",
                    r["bound_by"],
                    *(cell(r[name]) for name in ALGORITHMS),
                    signed_ms(r["ours_minus_least_duration_s"]),
                    f"{ours_ms(result, r):.1f}",
                )
                for r in result["rows"]
            ],
        ),
    ]
    s = result["stale"]
    parts += [
        f"### Stale predictions: {s['predictions_from']} splits {s['actual_from']}",
        f"{s['items']} items: {s['known_in_both']} known to both files, "
        f"{s['new_items_given_a_prior']} new ones predicted from a prior (their file's median, else their folder's, else the mean {s['mean_s']} s). "
        "Cells: actual makespan / lower bound of the actual durations. Relabelled: median "
        f"[min, max] over {s['relabellings']} seeded random relabellings of the items.",
        table(
            (
                "N",
                "lower bound s",
                *names,
                "ours relabelled",
                "least_duration relabelled",
                "ours, ties by test name",
                "ours, new items exact",
                "ours, old items exact",
            ),
            [
                (
                    r["n"],
                    f"{r['lower_bound_s']:.1f}",
                    *(cell(r[name]) for name in ALGORITHMS),
                    spread(r["relabelled"]["ours"]),
                    spread(r["relabelled"]["least_duration"]),
                    cell(r["ours_ties_by_name"]),
                    cell(r["new_items_exact"]),
                    cell(r["old_items_exact"]),
                )
                for r in s["rows"]
            ],
        ),
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of .test_durations files")
    parser.add_argument("--out", type=Path, default=RESULT, help="the JSON result file")
    args = parser.parse_args(argv)
    paths = sorted(args.data.glob("*.test_durations"))
    if not paths:
        raise SystemExit(f"{args.data}: no *.test_durations files")
    files = [DurationFile.read(path) for path in paths]
    by_name = {f.name: f for f in files}
    rows, timings = quality(files)
    result: dict[str, Any] = {
        "benchmark": "partition",
        "versions": {
            "python": platform.python_version(),
            "pytest-gates": version("pytest-gates"),
            "pytest-split": version("pytest-split"),
        },
        "splits": list(SPLITS),
        "files": [f.summary() for f in files],
        "rows": rows,
        "stale": stale(by_name[ONEGOV_2023], by_name[ONEGOV_2026]),
        # The only field that changes between runs: median seconds per algorithm and input.
        "timing_s": timings,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    worst = max(row["ours"]["ratio"] for row in rows)
    quality_result = {
        "metric": "makespan_over_lower_bound",
        "value": worst,
        "inputs_sha256": tree_digest(REPO, QUALITY_INPUTS).digest,
    }
    QUALITY.write_text(
        json.dumps(quality_result, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(markdown(result))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
