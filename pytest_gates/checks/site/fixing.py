"""The auto-fix switch of the kinds that can repair what they find (``site_conformity``).

``pytest --gates --gates-fix`` (ini ``gates_fix = true``) sets :data:`FIX_ENV` in the session's
environment, which every check's :class:`~pytest_gates.checks.api.CheckContext` carries (xdist
workers inherit it); a check may also be told to fix by its own ``fix: true`` parameter.
"""

from __future__ import annotations

import os
from typing import Final

from pytest_gates.checks.api import CheckContext

#: Set to ``1`` by ``--gates-fix``.
FIX_ENV: Final = "PYTEST_GATES_FIX"


def fixing(ctx: CheckContext) -> bool:
    """Whether this session applies auto-fixes."""
    return ctx.environ.get(FIX_ENV) == "1"


def enable_fix(enabled: bool) -> str | None:
    """Set or clear :data:`FIX_ENV` for this process and its children; the previous value."""
    previous = os.environ.get(FIX_ENV)
    if enabled:
        os.environ[FIX_ENV] = "1"
    return previous


def restore_fix(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(FIX_ENV, None)
    else:
        os.environ[FIX_ENV] = previous
