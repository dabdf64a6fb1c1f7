"""Hooks that pytest-gates adds to pytest; implement them in a conftest.py or an installed plugin.

``pytest_addhooks`` registers this module under ``--gates`` and without it, so a plugin that
implements a hook validates either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pluggy
import pytest

if TYPE_CHECKING:
    from pytest_gates.checks.api import CheckRegistry

#: Marks the hook specifications of this module (pytest's own project name).
hookspec: Final = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_gates_register_checks(registry: CheckRegistry) -> None:
    """Register check kinds: call ``registry.register(kind)`` for each.

    Called once per session under ``--gates``, after the rootdir's conftest.py files and the
    installed plugins are loaded. The built-in kinds are registered through this hook too.
    Registering a name twice is an error.
    """


@hookspec
def pytest_gates_report(config: pytest.Config, report: dict[str, Any]) -> None:
    """Called on the controller with the finished report (as written to ``report.json``).

    For plugins that publish the decision elsewhere (a chat message, a status API). The report
    must not be changed here: it is already written and its digests recorded.
    """
