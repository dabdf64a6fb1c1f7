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


@hookspec
def pytest_gates_alert(config: pytest.Config, alert: dict[str, Any]) -> None:
    """Called on the controller when something needs a person now: a rollback that did not hold.

    For plugins that page someone. Called once per gate whose rollback (see ``on_failure:
    rollback`` and ``rollback_on``) failed, errored or did not pass its ``verify`` command,
    after all items ran and before the outputs are written. ``alert`` holds:

    * ``gate``: the id of the gate whose rollback it was;
    * ``reason``: one line saying what went wrong;
    * ``trigger``: why the rollback ran (``gate deploy is FAIL``, or a ``rollback_on`` gate);
    * ``outcome``: the rollback's outcome, ``failed`` (the command exited non-zero) or
      ``error`` (it could not run, timed out, or its verification did not pass);
    * ``commands``: the rollback command, then the verification command if one ran, each an
      argument list;
    * ``exit_codes``: their exit codes, in the same order (None for one that did not run to an
      end);
    * ``output``: the tail of their output (at most 4,000 characters), with the values of
      secret-looking environment variables masked;
    * ``run_id``: the id of the run (its ``run.incomplete.json`` record and the
      ``PYTEST_GATES_RUN`` environment variable name the same run).

    The alert is informational: the hook cannot change the verdicts or the decision.
    """
