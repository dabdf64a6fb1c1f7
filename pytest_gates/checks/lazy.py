"""The one table of built-in kinds, registered by name and imported on first use.

Importing every kind up front (jsonschema, coverage, the projection code ...) costs every pytest
process of a gate run, xdist workers included, about a third of a second, whether or not its
manifest uses them. Registered here by name, a kind's module is imported only when a check of
that kind is validated or run. :data:`pytest_gates.checks.builtin.BUILTIN_KINDS` imports them all
from this table, for the schemas and the command line.
"""

from __future__ import annotations

from typing import Final

from pytest_gates.checks.api import CheckRegistry

#: kind name -> the module that defines it, as an attribute of the same name.
BUILTIN_KIND_MODULES: Final[dict[str, str]] = {
    "command": "pytest_gates.checks.command",
    "files": "pytest_gates.checks.files",
    "schema": "pytest_gates.checks.schema",
    "file_size": "pytest_gates.checks.file_size",
    "coverage": "pytest_gates.checks.coverage",
    "manifest_fresh": "pytest_gates.checks.manifest_fresh",
    "ledger": "pytest_gates.checks.ledger",
    "obligations": "pytest_gates.checks.obligations",
    "artifacts": "pytest_gates.checks.freshness",
    "release_report": "pytest_gates.checks.release_report",
    "differential": "pytest_gates.checks.differential",
    "sync": "pytest_gates.checks.sync",
    "ready": "pytest_gates.checks.ready",
    "symbols": "pytest_gates.checks.symbols",
    "links": "pytest_gates.checks.links",
    "site_conformity": "pytest_gates.checks.site_conformity",
    "research": "pytest_gates.checks.research",
    "http": "pytest_gates.checks.http",
    "benchmark": "pytest_gates.checks.benchmark",
}


def pytest_gates_register_checks(registry: CheckRegistry) -> None:
    """Register the built-in kinds by name; each is imported when first asked for."""
    for name, module in BUILTIN_KIND_MODULES.items():
        registry.register_lazy(name, f"{module}:{name}")
