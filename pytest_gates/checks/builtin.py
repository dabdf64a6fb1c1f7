"""The check kinds that come with pytest-gates, registered through our own hook like any plugin's."""

from __future__ import annotations

from typing import Any, Final

from pytest_gates.checks.api import CheckKind, CheckRegistry
from pytest_gates.checks.command import command
from pytest_gates.checks.coverage import coverage
from pytest_gates.checks.differential import differential
from pytest_gates.checks.file_size import file_size
from pytest_gates.checks.files import files
from pytest_gates.checks.freshness import artifacts
from pytest_gates.checks.ledger import ledger
from pytest_gates.checks.manifest_fresh import manifest_fresh
from pytest_gates.checks.obligations import obligations
from pytest_gates.checks.release_report import release_report
from pytest_gates.checks.schema import schema
from pytest_gates.checks.sync import sync

BUILTIN_KINDS: Final[tuple[CheckKind[Any], ...]] = (
    command,
    files,
    schema,
    file_size,
    coverage,
    manifest_fresh,
    ledger,
    obligations,
    artifacts,
    release_report,
    differential,
    sync,
)


def pytest_gates_register_checks(registry: CheckRegistry) -> None:
    """Register the built-in kinds."""
    for kind in BUILTIN_KINDS:
        registry.register(kind)
