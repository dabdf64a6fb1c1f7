"""Environment variables pytest-gates sets or reads."""

from __future__ import annotations

from typing import Final

#: Set in the environment of a test run that a check starts (the ``coverage`` kind). There,
#: ``--gates`` is ignored: that run measures the tests, it is not a second gate session.
NESTED_ENV: Final = "PYTEST_GATES_NESTED"
