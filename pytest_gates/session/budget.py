"""The run budget (``defaults.max_duration``): what has not finished by then is ERROR.

The controller fixes the deadline when the session starts (wall-clock seconds since the epoch)
and publishes it in :data:`DEADLINE_ENV`, which the xdist workers, started after it, inherit;
every process reads it from there. Then, in every process:

* an item that would start after the deadline does not run: its setup fails, and the item is
  ERROR with the message ``run budget of N s exceeded``;
* an item that starts before the deadline gets a timeout no longer than what is left of the
  budget (pytest-timeout's signal method, as the gate's own timeout), and is ERROR with the same
  message when the budget, not its gate's timeout, stops it;
* an xdist worker waiting for the gates an item needs stops waiting at the deadline.

So the gates those items belong to are ERROR, the decision is NO_GO, and the report says why
(each gate's reason, and ``run.budget`` in the report).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Final

import pytest

#: The environment variable holding the run's deadline (seconds since the epoch).
DEADLINE_ENV: Final = "PYTEST_GATES_DEADLINE"
#: The environment variable holding the budget in seconds (for the message).
BUDGET_ENV: Final = "PYTEST_GATES_BUDGET"
#: The item did not start, or was stopped, because the run's budget ran out: the message.
CUT_KEY: Final = pytest.StashKey[str]()
#: The budget was spent before the item started: it does not run.
SPENT_KEY: Final = pytest.StashKey[bool]()
#: The shortest timeout given to an item that starts just before the deadline.
MIN_TIMEOUT: Final = 0.05


def budget_message(seconds: float) -> str:
    """The message of every item the budget stopped."""
    shown = f"{seconds:g}"
    return f"run budget of {shown} s exceeded"


class RunBudget:
    """The budget as one process sees it: its seconds and the deadline, when there is one."""

    def __init__(self, seconds: float | None, deadline: float | None) -> None:
        self.seconds = seconds
        self.deadline = deadline

    @classmethod
    def from_environment(cls) -> RunBudget:
        try:
            seconds = float(os.environ[BUDGET_ENV])
            deadline = float(os.environ[DEADLINE_ENV])
        except (KeyError, ValueError):
            return cls(None, None)
        return cls(seconds, deadline)

    @property
    def message(self) -> str:
        return budget_message(self.seconds or 0)

    def remaining(self) -> float | None:
        """Seconds left, or None without a budget."""
        if self.deadline is None:
            return None
        return self.deadline - time.time()

    def exceeded(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def before_item(self, item: pytest.Item) -> None:
        """Before anything of ``item`` runs: mark it cut when the budget is spent, else bound
        its timeout by what is left (ahead of its gate's own timeout marker)."""
        left = self.remaining()
        if left is None:
            return
        if left <= 0:
            item.stash[CUT_KEY] = self.message
            item.stash[SPENT_KEY] = True
            return
        marker = item.get_closest_marker("timeout")
        own = float(marker.args[0]) if marker is not None and marker.args else None
        if own is None or own <= 0 or left < own:
            item.stash[CUT_KEY] = self.message
            seconds = round(max(left, MIN_TIMEOUT), 2)
            item.add_marker(pytest.mark.timeout(seconds, method="signal"), append=False)

    @staticmethod
    def check_setup(item: pytest.Item) -> None:
        """In the item's setup: refuse to run it when the budget was spent before it began."""
        if item.stash.get(SPENT_KEY, False):
            pytest.fail(item.stash[CUT_KEY], pytrace=False)

    def cut_message(self, item: pytest.Item, outcome: str) -> str | None:
        """The budget's message for an item it stopped (an error once the budget is spent),
        else None."""
        if outcome != "error" or not self.exceeded():
            return None
        return item.stash.get(CUT_KEY, None)


class BudgetClock:
    """The controller's side: fixes the deadline at the session's start and publishes it."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline: float | None = None
        self._before: dict[str, str | None] = {}

    def start(self) -> None:
        """Fix the deadline and publish it (or clear an outer run's, without a budget)."""
        values: dict[str, str | None] = {DEADLINE_ENV: None, BUDGET_ENV: None}
        if self.seconds is not None:
            self.deadline = time.time() + self.seconds
            values = {DEADLINE_ENV: repr(self.deadline), BUDGET_ENV: repr(self.seconds)}
        for name, value in values.items():
            self._before[name] = os.environ.get(name)
            _set(name, value)

    def as_dict(self, messages: Iterable[str]) -> dict[str, object] | None:
        """The report's ``run.budget``: the budget and whether it stopped an item (one of the
        items' ``messages`` is the budget's)."""
        if self.seconds is None:
            return None
        exceeded = budget_message(self.seconds) in set(messages)
        return {"max_duration": self.seconds, "exceeded": exceeded}

    def report(self, messages: Iterable[str]) -> dict[str, object]:
        """What the report's ``run`` section gets: ``budget`` when the manifest sets one."""
        budget = self.as_dict(messages)
        return {"budget": budget} if budget is not None else {}

    def close(self) -> None:
        """Put the environment back as it was before :meth:`start`."""
        for name, value in self._before.items():
            _set(name, value)
        self._before = {}


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
