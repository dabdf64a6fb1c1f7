"""The built-in kinds, registered by name and imported on first use.

Importing every kind up front (jsonschema, coverage, the projection code ...) costs every pytest
process of a gate run, xdist workers included, about a third of a second, whether or not its
manifest uses them. Registered here by name, a kind's module is imported only when a check of
that kind is validated or run. ``builtin.BUILTIN_KINDS`` imports them all, for the schema and
the tests; a test holds the two lists equal.
"""

from __future__ import annotations

from typing import Final

from pytest_gates.checks.api import CheckRegistry

#: kind name -> ``module:attribute`` of its CheckKind.
BUILTIN_KIND_TARGETS: Final[dict[str, str]] = {
    "command": "pytest_gates.checks.command:command",
    "files": "pytest_gates.checks.files:files",
    "schema": "pytest_gates.checks.schema:schema",
    "file_size": "pytest_gates.checks.file_size:file_size",
    "coverage": "pytest_gates.checks.coverage:coverage",
    "manifest_fresh": "pytest_gates.checks.manifest_fresh:manifest_fresh",
    "ledger": "pytest_gates.checks.ledger:ledger",
    "obligations": "pytest_gates.checks.obligations:obligations",
    "artifacts": "pytest_gates.checks.freshness:artifacts",
    "release_report": "pytest_gates.checks.release_report:release_report",
    "differential": "pytest_gates.checks.differential:differential",
    "sync": "pytest_gates.checks.sync:sync",
}


def pytest_gates_register_checks(registry: CheckRegistry) -> None:
    """Register the built-in kinds by name; each is imported when first asked for."""
    for name, target in BUILTIN_KIND_TARGETS.items():
        registry.register_lazy(name, target)
