"""The degradation memory: how many runs in a row each gate was DEGRADED, from the persistent log.

A gate's streak is its ``state`` lines' DEGRADED verdicts since its last PASS, oldest first. A PASS
resets it; the other verdicts (FAIL, ERROR, BLOCKED, BYPASSED, NOT_RUN) neither count nor reset it:
they say nothing about whether the degradation was fixed, so a gate escalated to FAIL by
``degrade.threshold`` stays FAIL until it passes. Lines a merge chained from its shards' logs
(``shard`` set) are left out: the merge's own line is the verdict over all of them.

The streak travels into the verdict as a record (:func:`pytest_gates.chain.memory_record`), only
for a gate whose streak has reached its ``degrade.max_consecutive``, so the evidence alone
folds to the same verdict again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pytest_gates.chain import PastRun, memory_record
from pytest_gates.errors import EvidenceError
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.documents import LoggedTransition
from pytest_gates.outputs.translog import verify_log


def degraded_streaks(entries: Iterable[LoggedTransition]) -> dict[str, tuple[PastRun, ...]]:
    """Each gate's DEGRADED runs since its last PASS, oldest first (gates with none are left
    out)."""
    streaks: dict[str, list[PastRun]] = {}
    for entry in entries:
        if entry.event != "state" or entry.gate is None or entry.shard is not None:
            continue
        if entry.to == "PASS":
            streaks.pop(entry.gate, None)
        elif entry.to == "DEGRADED":
            streaks.setdefault(entry.gate, []).append(PastRun(entry.run, entry.time))
    return {gate: tuple(runs) for gate, runs in sorted(streaks.items())}


def read_log(paths: Sequence[Path | None]) -> list[LoggedTransition]:
    """The lines of the longest readable log of ``paths`` (a run's own log and the log it
    continues: one starts the other); an unreadable or broken log counts as empty here (writing
    the outputs reports it)."""
    best: list[LoggedTransition] = []
    for path in paths:
        if path is None:
            continue
        try:
            entries = verify_log(path)
        except (OSError, EvidenceError):
            continue
        if len(entries) > len(best):
            best = entries
    return best


def memory_records(loaded: LoadedManifest, entries: Iterable[LoggedTransition]) -> list[ItemRecord]:
    """A memory record for each gate whose DEGRADED streak reached its limit, in gate order."""
    streaks = degraded_streaks(entries)
    records = []
    for gate in loaded.gates_in_order():
        before = streaks.get(gate.id, ())
        limit = loaded.manifest.degrade_limit(gate)
        if before and len(before) >= limit:
            records.append(memory_record(gate.id, before[-limit:], limit))
    return records
