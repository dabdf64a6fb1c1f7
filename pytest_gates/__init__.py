"""pytest-gates: release gates as pytest suites.

A generated manifest of gates runs under ``pytest --gates``; each gate's verdict is folded from its
items, and the session writes evidence, a hash-chained transition log and a go/no-go report.

The public names below are imported on first use: every pytest run imports this package (through
the plugin's entry point), and only a ``--gates`` run needs the models behind them.

PYTEST_DONT_REWRITE: the package holds no test code, and ``pytest-gates plan`` runs pytest in a
process that has imported it already, where pytest's warning that it cannot be rewritten would stop
a project whose ``filterwarnings`` is ``error``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_gates.support.version import __version__

if TYPE_CHECKING:
    from pytest_gates.checks.api import (
        CheckContext,
        CheckKind,
        CheckParams,
        CheckRegistry,
        CheckResult,
        check_kind,
    )
    from pytest_gates.errors import (
        CheckError,
        CheckFailed,
        DegradedGateWarning,
        DurationsError,
        EvidenceError,
        GatesError,
        GatesWarning,
        ManifestError,
        SourceError,
    )
    from pytest_gates.model.findings import Finding, Location
    from pytest_gates.model.load import load_manifest
    from pytest_gates.model.manifest import Gate, Manifest

#: public name -> the module that defines it.
_HOMES = {
    "CheckContext": "pytest_gates.checks.api",
    "CheckKind": "pytest_gates.checks.api",
    "CheckParams": "pytest_gates.checks.api",
    "CheckRegistry": "pytest_gates.checks.api",
    "CheckResult": "pytest_gates.checks.api",
    "check_kind": "pytest_gates.checks.api",
    "CheckError": "pytest_gates.errors",
    "CheckFailed": "pytest_gates.errors",
    "DegradedGateWarning": "pytest_gates.errors",
    "DurationsError": "pytest_gates.errors",
    "EvidenceError": "pytest_gates.errors",
    "GatesError": "pytest_gates.errors",
    "GatesWarning": "pytest_gates.errors",
    "ManifestError": "pytest_gates.errors",
    "SourceError": "pytest_gates.errors",
    "Finding": "pytest_gates.model.findings",
    "Location": "pytest_gates.model.findings",
    "Gate": "pytest_gates.model.manifest",
    "Manifest": "pytest_gates.model.manifest",
    "load_manifest": "pytest_gates.model.load",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_gates' has no attribute {name!r}")


__all__ = [
    "CheckContext",
    "CheckError",
    "CheckFailed",
    "CheckKind",
    "CheckParams",
    "CheckRegistry",
    "CheckResult",
    "DegradedGateWarning",
    "DurationsError",
    "EvidenceError",
    "Finding",
    "Gate",
    "GatesError",
    "GatesWarning",
    "Location",
    "Manifest",
    "ManifestError",
    "SourceError",
    "__version__",
    "check_kind",
    "load_manifest",
]
