"""Recorded durations per item, and the predicted duration of an item.

The file (``manifests/durations.json`` by default) is committed and written deterministically:
``{"version": 1, "items": {node id: [seconds, ...]}}``, keys sorted, the last
:data:`KEEP` runs per item, newest last, rounded to milliseconds. Node ids are canonical:
relative to the rootdir (as pytest writes them) and without an xdist ``@group`` suffix.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_gates.errors import DurationsError
from pytest_gates.support.atomic import atomic_write

KEEP: Final = 5
#: An xdist ``--dist loadgroup`` suffix: ``@name`` after the last ``]`` or name character.
_GROUP_SUFFIX: Final = re.compile(r"@[^@\[\]/:]+$")


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
        raw = (
            data["items"]
            if data.get("version") == 1 and isinstance(data.get("items"), dict)
            else data
        )
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
                continue  # a stale suffixed twin of a live key: the live one wins
            items.setdefault(canonical, []).extend(float(r) for r in runs)
        return cls({k: v[-KEEP:] for k, v in items.items()})

    def record(self, measured: Mapping[str, float]) -> None:
        for nodeid, seconds in measured.items():
            runs = self.items.setdefault(canonical_nodeid(nodeid), [])
            runs.append(round(seconds, 3))
            del runs[:-KEEP]

    def dump(self) -> bytes:
        items = {k: [round(v, 3) for v in self.items[k]] for k in sorted(self.items)}
        return (
            json.dumps({"version": 1, "items": items}, indent=1, sort_keys=True) + "\n"
        ).encode()

    def save(self, path: Path) -> None:
        atomic_write(path, self.dump())

    def stale(self, live: Iterable[str]) -> list[str]:
        """Recorded node ids that no longer exist: reported, never used."""
        alive = {canonical_nodeid(n) for n in live}
        return sorted(n for n in self.items if n not in alive)


@dataclass(frozen=True)
class Prediction:
    seconds: float
    #: ``history`` (median of recorded runs), ``declared`` (the gate's expected_duration),
    #: ``mean`` (of the items with history) or ``default``.
    source: str


def predict(
    nodeids: Iterable[str],
    store: DurationStore,
    declared: Mapping[str, float] | None = None,
    default: float = 1.0,
) -> dict[str, Prediction]:
    """Each item's predicted seconds: the median of its recent runs (robust to one slow outlier),
    else its gate's declared ``expected_duration``, else the mean of the items with history."""
    declared = declared or {}
    wanted = list(nodeids)
    known = {
        n: statistics.median(store.items[canonical_nodeid(n)])
        for n in wanted
        if store.items.get(canonical_nodeid(n))
    }
    mean = statistics.fmean(known.values()) if known else default
    result = {}
    for nodeid in wanted:
        if nodeid in known:
            result[nodeid] = Prediction(known[nodeid], "history")
        elif nodeid in declared:
            result[nodeid] = Prediction(declared[nodeid], "declared")
        else:
            result[nodeid] = Prediction(mean, "mean" if known else "default")
    return result
