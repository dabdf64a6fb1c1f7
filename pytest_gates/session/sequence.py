"""Steps in order, retries only where safe.

A ``sequential: true`` gate runs its checks as steps: once one fails (or degrades, or errors), its
later checks do not run and are reported as ``blocked`` by that check. Its items run in manifest
order in one process: under ``-n 0`` pytest runs them in collection order, and on xdist the
scheduler keeps them on one worker, in order (:mod:`pytest_gates.distribute.xdist.scheduler`), so
what this process saw is enough.

A check written ``idempotent: false`` is never retried, whatever its kind says: the manifest
refuses a retried gate with such a check when it loads, and :func:`attempts_allowed` is the
runtime's guard for the same rule.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from pytest_gates.checks.api import CheckKind
from pytest_gates.distribute.xdist.keys import SEQUENTIAL_GATES_KEY
from pytest_gates.model.manifest import CheckSpec, Gate, Manifest
from pytest_gates.model.records import PhasePayload

#: The check whose failure blocks this item of a sequential gate.
SEQUENCE_BLOCKED_KEY: Final = pytest.StashKey[str]()
#: Item outcomes that stop a sequential gate.
STOPS_SEQUENCE: Final = frozenset({"failed", "degraded", "error"})


def blocked_message(check_id: str) -> str:
    return f"blocked by check '{check_id}'"


class SequenceTracker:
    """The first check that failed in each sequential gate, as this process saw it.

    Made on every process; it also tells the xdist scheduler (on the controller, through
    ``config.stash``) which gates are sequential.
    """

    def __init__(self, config: pytest.Config, manifest: Manifest) -> None:
        self.sequential = frozenset(gate.id for gate in manifest.gates if gate.sequential)
        config.stash[SEQUENTIAL_GATES_KEY] = self.sequential
        #: gate id -> the check that stopped it.
        self.stopped: dict[str, str] = {}

    def observe(self, payload: PhasePayload) -> None:
        if (
            payload.gate in self.sequential
            and payload.check is not None
            and payload.outcome in STOPS_SEQUENCE
        ):
            self.stopped.setdefault(payload.gate, payload.check)

    def hold(self, item: pytest.Item, gate: Gate) -> None:
        """Before ``item`` of ``gate`` runs: skip it, marked as blocked, when an earlier check
        of its sequential gate failed."""
        check = self.stopped.get(gate.id)
        if check is None:
            return
        item.stash[SEQUENCE_BLOCKED_KEY] = check
        item.add_marker(pytest.mark.skip(reason=blocked_message(check)))

    @staticmethod
    def settle(item: pytest.Item, payload: PhasePayload) -> None:
        """A skipped step of a stopped sequence is ``blocked`` by the check that stopped it."""
        check = item.stash.get(SEQUENCE_BLOCKED_KEY, None)
        if check is not None and payload.outcome == "skipped":
            payload.outcome, payload.message = "blocked", blocked_message(check)


def attempts_allowed(gate: Gate, check: CheckSpec, kind: CheckKind[Any]) -> int:
    """How many times a check may run: the gate's retry attempts for an idempotent kind and
    check, else once."""
    retry = gate.retry
    if retry is None or not kind.idempotent or not check.idempotent:
        return 1
    return retry.attempts
