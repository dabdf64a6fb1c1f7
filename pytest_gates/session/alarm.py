"""pytest-timeout's signal timer for check items, armed without reinstalling its handler.

For each item, pytest-timeout's signal method installs a new ``SIGALRM`` handler and a timer, then
stops the timer and puts the default handler back: with 10,000 checks that was 0.3 s of a 10 s
run. Through the hooks pytest-timeout offers for other timer strategies
(``pytest_timeout_set_timer``, ``pytest_timeout_cancel_timer``), :class:`CheckAlarm` keeps one
handler for the session and only sets and stops the timer around each check item. What happens
at the deadline is pytest-timeout's own (``timeout_sigalrm``: the stacks when threads run, then
the failure whose message the gate session reads as a timeout). Suite tests, the thread method
and items run outside the main thread keep pytest-timeout's own timer.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, Final

import pytest
import pytest_timeout

from pytest_gates.session.collect import CheckItem

PLUGIN_NAME: Final = "gates-alarm"


class CheckAlarm:
    """One ``SIGALRM`` handler for the session's check items, and the item its timer is for."""

    def __init__(self) -> None:
        self.item: pytest.Item | None = None
        self.settings: Any = None
        #: The handler found before the first check item, given back by :meth:`close`.
        self.previous: Any = None
        self.installed = False
        #: pytest-timeout set a timer of its own since the handler was installed: it leaves the
        #: default handler behind, which would end the process at the next check's deadline.
        self.displaced = False
        self.handler = self._expired  # one bound method, so that it is recognised when installed

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        if (
            not isinstance(item, CheckItem)
            or settings.method != "signal"
            or not hasattr(signal, "SIGALRM")  # Windows: pytest-timeout falls back to a thread
            or threading.current_thread() is not threading.main_thread()
        ):
            self.displaced = True
            return None  # pytest-timeout's own timer
        if not self.installed or self.displaced:
            current = signal.getsignal(signal.SIGALRM)
            if not self.installed:
                self.previous, self.installed = current, True
            if current is not self.handler:
                signal.signal(signal.SIGALRM, self.handler)
            self.displaced = False
        self.item, self.settings = item, settings
        signal.setitimer(signal.ITIMER_REAL, settings.timeout)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        if self.item is None or item is not self.item:
            return None
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.item = self.settings = None
        return True

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True
        item, settings = self.item, self.settings
        if item is None:
            return  # the timer fired as it was being stopped
        pytest_timeout.timeout_sigalrm(item, settings)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        self.close()  # every item has run

    def close(self) -> None:
        """Stop the timer and give back the handler found before the first check item."""
        if not self.installed:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        if signal.getsignal(signal.SIGALRM) is self.handler:
            signal.signal(signal.SIGALRM, self.previous or signal.SIG_DFL)
        self.installed, self.item, self.settings = False, None, None
