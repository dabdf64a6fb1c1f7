"""Completing the records at the end: one record for every item the manifest or the collection
knows, whether it ran here, on another shard, was deselected, or never reported."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_gates.model.records import ItemRecord
from pytest_gates.session.context import CollectionState, GatesContext


def complete_records(
    context: GatesContext,
    state: CollectionState,
    received: Mapping[str, ItemRecord],
    stopped: str | None,
) -> list[ItemRecord]:
    """The records received, plus a record for each known item that sent none."""
    records = dict(received)
    prefix = context.check_prefix
    known = list(state.collected) + sorted(state.deselected)
    for gate in context.loaded.manifest.gates:
        known += [f"{prefix}{gate.id}::{check.id}" for check in gate.checks]
    for nodeid in known:
        if nodeid in records:
            continue
        gate_id = context.gate_of_nodeid(nodeid)
        if gate_id is None:
            continue
        records[nodeid] = _missing(context, state, nodeid, gate_id, stopped)
    for nodeid, longrepr in state.collect_errors.items():
        gate_id = context.gate_of_nodeid(nodeid)
        assert gate_id is not None
        lines = longrepr.strip().splitlines()
        records[nodeid] = ItemRecord(
            nodeid=nodeid,
            gate=gate_id,
            outcome="error",
            message=f"collection error: {lines[-1] if lines else ''}",
        )
    gated_suites = {g.id for g in context.loaded.manifest.gates if g.suites}
    has_suite_items = {r.gate for r in records.values() if not r.nodeid.startswith(prefix)}
    for gate_id in sorted(gated_suites - has_suite_items):
        gate = context.loaded.manifest.gate(gate_id)
        nodeid = gate.suites[0]
        record = ItemRecord(nodeid=nodeid, gate=gate_id)
        if context.explicit_args or stopped:
            record.message = "suite not collected in this session"
        else:
            record.outcome = "error"
            record.message = f"suite {', '.join(gate.suites)} collected no tests"
        records[nodeid] = record
    if context.shard is not None:
        for nodeid, record in records.items():
            record.shard = state.shard_of.get(nodeid)
    return list(records.values())


def _missing(
    context: GatesContext, state: CollectionState, nodeid: str, gate_id: str, stopped: str | None
) -> ItemRecord:
    """The record of an item that sent no report, saying why."""
    record = ItemRecord(nodeid=nodeid, gate=gate_id)
    shard = state.shard_of.get(nodeid)
    if context.shard is not None and shard is not None and shard != context.shard.index:
        record.message = f"on shard {shard} of {context.shard.total}"
    elif nodeid in state.deselected:
        record.message = "deselected"
    elif nodeid in state.collected:
        if stopped:
            record.message = f"not run: {stopped}"
        else:
            record.outcome = "error"
            record.message = "no result was received for this item (lost worker?)"
    else:
        record.message = "not collected in this session"
    parts = nodeid.split("::")
    if nodeid.startswith(context.check_prefix) and len(parts) > 2:
        record.check = parts[2]
    return record
