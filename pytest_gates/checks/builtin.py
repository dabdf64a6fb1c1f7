"""The check kinds that come with pytest-gates, registered through our own hook like any plugin's."""

from __future__ import annotations

from typing import Any, Final

from pytest_gates.checks.api import CheckKind, CheckRegistry
from pytest_gates.checks.command import command
from pytest_gates.checks.coverage import coverage
from pytest_gates.checks.file_size import file_size
from pytest_gates.checks.files import files
from pytest_gates.checks.schema import schema

BUILTIN_KINDS: Final[tuple[CheckKind[Any], ...]] = (command, files, schema, file_size, coverage)


def pytest_gates_register_checks(registry: CheckRegistry) -> None:
    """Register the built-in kinds."""
    for kind in BUILTIN_KINDS:
        registry.register(kind)
