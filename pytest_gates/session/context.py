"""What the pytest entry point needs before it knows whether gates are on: names only.

``pytest_gates.plugin`` is imported by every pytest run of a project that has pytest-gates
installed, ``--gates`` or not, so it imports nothing heavier than this module; the session, the
manifest models and the check kinds are imported only under ``--gates``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from pytest_gates.session.plugin import GatesSession

#: Set in the environment of a test run that a check starts (the ``coverage`` kind). There,
#: ``--gates`` is ignored: that run measures the tests, it is not a second gate session.
NESTED_ENV: Final = "PYTEST_GATES_NESTED"

#: The gate classes (``pytest_gates.model.manifest.GateClass``; a test holds the two equal).
GATE_CLASSES: Final = ("structural", "semantic", "differential", "benchmark", "freshness")

#: The session of a ``pytest --gates`` run, on ``config.stash``.
SESSION_KEY: Final[pytest.StashKey[GatesSession]] = pytest.StashKey()
