"""How well a new test's duration is guessed: the priors of ``predict`` for items without history.

Two measurements, both of the mean absolute error (seconds) of the guess against the real time:

1. **New items of each recorded run** (OneGov's weekly history,
   ``../shared/data/durations/onegov-history``): for each snapshot ``i >= 1``, a fresh
   :class:`~pytest_gates.distribute.durations.DurationStore` fed snapshots ``0 .. i-1`` through
   ``record()`` predicts snapshot ``i``'s node ids; the items it has no history for are scored.
2. **A module hidden** (the four pytest-split files in ``../shared/data/durations/``): each
   module's items in turn are dropped from a store that holds all the others, then predicted
   with every node id live, as if the file were new. Each item is scored once.

Each item is guessed four ways: ``ours`` (what ``predict`` returns), ``suite mean`` (the mean of
the live items with history), ``module, else mean`` (the median of its file's items, else the
suite mean: the rule before the folder prior) and ``folder only`` (the median of the nearest
folder with known items, else the suite mean). Nothing is timed; the result file is the same on
every run.

Run: ``python benchmarks/bench_priors.py`` (writes ``benchmarks/results/priors.json``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pytest_gates.distribute.durations import (
    DurationStore,
    enclosing_folders,
    module_of,
    predict,
)

REPO: Final = Path(__file__).resolve().parent.parent
DATA: Final = REPO.parent / "shared" / "data" / "durations"
HISTORY: Final = "onegov-history/onegov-weekly-2023-05_2024-09.json.gz"
RESULT: Final = REPO / "benchmarks" / "results" / "priors.json"
WAYS: Final = ("ours", "suite mean", "module, else mean", "folder only")

Snapshot = dict[str, float]


class Baselines:
    """The guesses other than ours, from the same known items ``predict`` uses."""

    def __init__(self, known: Mapping[str, float]) -> None:
        self.mean = math.fsum(known.values()) / len(known)
        by_module: dict[str, list[float]] = {}
        by_folder: dict[str, list[float]] = {}
        for nodeid in sorted(known):
            by_module.setdefault(module_of(nodeid), []).append(known[nodeid])
            for folder in enclosing_folders(module_of(nodeid)):
                by_folder.setdefault(folder, []).append(known[nodeid])
        self.module = {name: statistics.median(v) for name, v in by_module.items()}
        self.folder = {name: statistics.median(v) for name, v in by_folder.items()}

    def guesses(self, nodeid: str) -> dict[str, float]:
        module = module_of(nodeid)
        folder = next((f for f in enclosing_folders(module) if f in self.folder), None)
        return {
            "suite mean": self.mean,
            "module, else mean": self.module.get(module, self.mean),
            "folder only": self.folder[folder] if folder is not None else self.mean,
        }


def score(store: DurationStore, live: Sequence[str], scored: Iterable[str], real: Snapshot) -> Any:
    """The absolute errors of each way for the ``scored`` items, and where ours came from."""
    predicted = predict(live, store)
    known = {n: p.seconds for n, p in predicted.items() if p.source == "history"}
    baselines = Baselines(known)
    errors: dict[str, list[float]] = {way: [] for way in WAYS}
    sources: dict[str, int] = {}
    for nodeid in scored:
        guesses = {"ours": predicted[nodeid].seconds, **baselines.guesses(nodeid)}
        for way in WAYS:
            errors[way].append(abs(guesses[way] - real[nodeid]))
        sources[predicted[nodeid].source] = sources.get(predicted[nodeid].source, 0) + 1
    return errors, sources


def summarize(errors: Mapping[str, list[float]], sources: Mapping[str, int]) -> dict[str, Any]:
    count = len(errors["ours"])
    return {
        "items": count,
        "ours_from": dict(sorted(sources.items())),
        "mae_s": {way: round(math.fsum(errors[way]) / count, 4) for way in WAYS},
    }


def merge_into(total: dict[str, list[float]], sources: dict[str, int], part: Any) -> None:
    errors, found = part
    for way in WAYS:
        total[way].extend(errors[way])
    for name, count in found.items():
        sources[name] = sources.get(name, 0) + count


def new_items_of_each_run(path: Path) -> dict[str, Any]:
    snapshots: list[Snapshot] = [
        s["durations"] for s in json.loads(gzip.decompress(path.read_bytes()))["snapshots"]
    ]
    errors: dict[str, list[float]] = {way: [] for way in WAYS}
    sources: dict[str, int] = {}
    store = DurationStore()
    for index, snapshot in enumerate(snapshots):
        if index:
            live = sorted(snapshot)
            new = [n for n in live if not store.history(n)]
            merge_into(errors, sources, score(store, live, new, snapshot))
        store.record(snapshot)
    return {"data": path.name, "runs_scored": len(snapshots) - 1, **summarize(errors, sources)}


def a_module_hidden(path: Path) -> dict[str, Any]:
    full = DurationStore.load(path)
    real = {n: runs[-1] for n, runs in full.items.items()}
    live = sorted(real)
    modules = sorted({module_of(n) for n in live})
    errors: dict[str, list[float]] = {way: [] for way in WAYS}
    sources: dict[str, int] = {}
    for module in modules:
        hidden = [n for n in live if module_of(n) == module]
        rest = DurationStore({n: r for n, r in full.items.items() if module_of(n) != module})
        if rest.items:
            merge_into(errors, sources, score(rest, live, hidden, real))
    return {"data": path.name, "modules": len(modules), **summarize(errors, sources)}


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [
        "| data | items | ours from | " + " | ".join(WAYS) + " |",
        "|---|---|---|" + "---|" * len(WAYS),
    ]
    for row in rows:
        origin = ", ".join(f"{name} {count}" for name, count in row["ours_from"].items())
        cells = " | ".join(f"{row['mae_s'][way]:.3f}" for way in WAYS)
        lines.append(f"| {row['data']} | {row['items']} | {origin} | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the durations folder")
    parser.add_argument("--out", type=Path, default=RESULT, help="the JSON result file")
    args = parser.parse_args(argv)
    rows = [new_items_of_each_run(args.data / HISTORY)]
    rows += [a_module_hidden(p) for p in sorted(args.data.glob("*.test_durations"))]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "priors", "rows": rows}, indent=1) + "\n")
    print(markdown(rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
