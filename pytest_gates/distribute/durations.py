"""Recorded durations per item, and the predicted duration of an item.

The file (``manifests/durations.json`` by default) is committed and written deterministically:
``{"version": 1, "items": {node id: [seconds, ...]}}``, keys sorted, the last
:data:`KEEP` runs per item, newest last, rounded to milliseconds. Node ids are canonical:
relative to the rootdir (as pytest writes them) and without an xdist ``@group`` suffix. The one
exception is a suffixed id recorded in the same run as its un-suffixed twin (pytest-split files
keep both, one of them stale): it keeps its own history, so neither pollutes the other's.

The prediction (:func:`predict`) is the mean of an item's last :data:`RECENT` runs; an item
without history takes its gate's declared share, else the median of the predictions of its
module's other items, else the median of those under the nearest enclosing folder that has any,
else the mean of all predictions from history.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_gates.errors import DurationsError
from pytest_gates.model.records import ItemRecord
from pytest_gates.support.atomic import atomic_write

KEEP: Final = 5
#: Runs the prediction averages: the recent mean follows a test that got slower within a run or
#: two and damps one run's noise. On OneGov's history a slow run is as often the start of a new
#: level as a one-off, so no run is discarded as an outlier (benchmarks/bench_drift.py).
RECENT: Final = 3
#: An xdist ``--dist loadgroup`` suffix: ``@name`` after the last ``]`` or name character.
_GROUP_SUFFIX: Final = re.compile(r"@[^@\[\]/:]+$")


#: The outcomes whose time is recorded: a blocked, skipped or errored item says nothing about how
#: long it takes.
TIMED: Final = frozenset({"passed", "failed", "degraded"})


def measured(records: Iterable[ItemRecord]) -> dict[str, float]:
    """setup + call + teardown of each item that ran, by node id: one run to record (the file
    is written in key order whatever the order here)."""
    return {r.nodeid: r.duration for r in records if r.outcome in TIMED}


def canonical_nodeid(nodeid: str) -> str:
    """``tests/a.py::test_x@slow`` -> ``tests/a.py::test_x``; parametrize ids keep their ``@``."""
    return _GROUP_SUFFIX.sub("", nodeid)


@dataclass
class DurationStore:
    """Recorded durations: node id -> the last few runs, newest last."""

    items: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, display: str | None = None) -> DurationStore:
        """Read the file; a missing file is an empty store; a damaged one is an error."""
        name = display or str(path)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DurationsError(name, [f"{name}: unreadable durations file: {exc}"]) from None
        return cls.from_data(data, name)

    @classmethod
    def from_data(cls, data: Any, name: str) -> DurationStore:
        """Our format, or pytest-split's ``{node id: seconds}``."""
        if not isinstance(data, dict):
            raise DurationsError(
                name, [f"{name}: expected a JSON object, found {type(data).__name__}"]
            )
        ours = data.get("version") == 1 and isinstance(data.get("items"), dict)
        raw = data["items"] if ours else data
        items: dict[str, list[float]] = {}
        for nodeid, value in raw.items():
            runs = value if isinstance(value, list) else [value]
            if not all(
                isinstance(r, int | float) and not isinstance(r, bool) and r >= 0 for r in runs
            ):
                raise DurationsError(
                    name,
                    [
                        f"{name}: {nodeid}: expected seconds (>= 0) or a list of them, found {value!r}"
                    ],
                )
            canonical = canonical_nodeid(str(nodeid))
            if canonical != nodeid and canonical in raw:
                if not ours:
                    continue  # pytest-split's stale suffixed twin of a live key: the live one wins
                canonical = str(nodeid)  # ours: a twin recorded apart (see :meth:`record`)
            items.setdefault(canonical, []).extend(float(r) for r in runs)
        return cls({k: v[-KEEP:] for k, v in items.items()})

    def record(self, measured: Mapping[str, float]) -> None:
        """Append one run. A suffixed id whose canonical twin is in the same run, or that has its
        own history already, is kept apart."""
        for nodeid, seconds in measured.items():
            canonical = canonical_nodeid(nodeid)
            apart = canonical != nodeid and (canonical in measured or nodeid in self.items)
            key = nodeid if apart else canonical
            runs = self.items.setdefault(key, [])
            runs.append(round(seconds, 3))
            del runs[:-KEEP]

    def history(self, nodeid: str) -> list[float]:
        """The recorded runs of ``nodeid`` (its own, else its canonical id's), newest last."""
        return self.items.get(nodeid) or self.items.get(canonical_nodeid(nodeid)) or []

    def dump(self) -> bytes:
        items = {k: [round(v, 3) for v in self.items[k]] for k in sorted(self.items)}
        return (
            json.dumps({"version": 1, "items": items}, indent=1, sort_keys=True) + "\n"
        ).encode()

    def save(self, path: Path) -> None:
        atomic_write(path, self.dump())

    def stale(self, live: Iterable[str]) -> list[str]:
        """Recorded node ids that no longer exist: reported, never used."""
        alive = {name for n in live for name in (n, canonical_nodeid(n))}
        return sorted(n for n in self.items if n not in alive)


@dataclass(frozen=True)
class Prediction:
    """An item's predicted seconds and where they come from."""

    seconds: float
    #: ``history`` (mean of the recent runs), ``declared`` (the gate's expected_duration),
    #: ``module`` (median of its module's items with history), ``folder`` (median of the items
    #: with history under its nearest folder that has some), ``mean`` (of all items with history)
    #: or ``default``.
    source: str


def module_of(nodeid: str) -> str:
    """``tests/a.py::TestX::test_y[1]`` -> ``tests/a.py``: the file that holds the item."""
    return canonical_nodeid(nodeid).partition("::")[0]


def recent_mean(runs: list[float]) -> float:
    """The mean of the last :data:`RECENT` runs."""
    recent = runs[-RECENT:]
    return math.fsum(recent) / len(recent)


def predict(
    nodeids: Iterable[str],
    store: DurationStore,
    declared: Mapping[str, float] | None = None,
    default: float = 1.0,
) -> dict[str, Prediction]:
    """Each item's predicted seconds: the mean of its recent runs, else its gate's declared
    ``expected_duration``, else the median of its module's predictions from history (a new test
    resembles its neighbours more than the suite), else the median of those of the nearest
    folder that holds known items (a new file resembles its folder), else the mean of all.

    Aggregates are taken in sorted order with exact sums, so the input order never matters."""
    declared = declared or {}
    wanted = list(nodeids)
    known: dict[str, float] = {}
    for nodeid in sorted(set(wanted)):
        runs = store.history(nodeid)
        if runs:
            known[nodeid] = recent_mean(runs)
    by_module: dict[str, list[float]] = {}
    for nodeid, seconds in known.items():
        by_module.setdefault(module_of(nodeid), []).append(seconds)
    module = {name: statistics.median(values) for name, values in by_module.items()}
    mean = math.fsum(known.values()) / len(known) if known else default
    folders = _FolderMedians(by_module)
    result = {}
    for nodeid in wanted:
        if nodeid in known:
            result[nodeid] = Prediction(known[nodeid], "history")
        elif nodeid in declared:
            result[nodeid] = Prediction(declared[nodeid], "declared")
        elif module_of(nodeid) in module:
            result[nodeid] = Prediction(module[module_of(nodeid)], "module")
        elif (near := folders.nearest(module_of(nodeid))) is not None:
            result[nodeid] = Prediction(near, "folder")
        else:
            result[nodeid] = Prediction(mean, "mean" if known else "default")
    return result


def enclosing_folders(module: str) -> list[str]:
    """``tests/unit/a.py`` -> ``["tests/unit", "tests"]``: the folders that hold a file, nearest
    first (a file at the rootdir has none)."""
    parts = module.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(len(parts), 0, -1)]


class _FolderMedians:
    """The median of the known items under each folder, built only when a new module asks."""

    def __init__(self, by_module: Mapping[str, list[float]]) -> None:
        self._by_module = by_module
        self._median: dict[str, float] | None = None

    def nearest(self, module: str) -> float | None:
        """The median of the items of the nearest enclosing folder that has known items."""
        if self._median is None:
            under: dict[str, list[float]] = {}
            for name in sorted(self._by_module):
                for folder in enclosing_folders(name):
                    under.setdefault(folder, []).extend(self._by_module[name])
            self._median = {folder: statistics.median(v) for folder, v in under.items()}
        for folder in enclosing_folders(module):
            if folder in self._median:
                return self._median[folder]
        return None
