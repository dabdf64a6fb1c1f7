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

#: The session of a ``pytest --gates`` run, on ``config.stash``.
SESSION_KEY: Final[pytest.StashKey[GatesSession]] = pytest.StashKey()
