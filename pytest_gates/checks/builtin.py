"""Every built-in kind, imported: for the JSON Schemas and the command line.

Derived from the one table in :mod:`pytest_gates.checks.lazy`; a gate run registers the kinds
from there by name instead, and imports only those its manifest uses.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_gates.checks.api import CheckKind, CheckRegistry
from pytest_gates.checks.lazy import BUILTIN_KIND_MODULES, pytest_gates_register_checks


def _import_all() -> tuple[CheckKind[Any], ...]:
    registry = CheckRegistry()
    pytest_gates_register_checks(registry)
    kinds = [registry.get(name) for name in BUILTIN_KIND_MODULES]
    return tuple(kind for kind in kinds if kind is not None)


#: The built-in kinds, in the table's order.
BUILTIN_KINDS: Final[tuple[CheckKind[Any], ...]] = _import_all()
