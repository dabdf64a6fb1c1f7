"""pytest-gates: release gates as pytest suites.

A generated manifest of gates runs under ``pytest --gates``; each gate's verdict is folded from its
items, and the session writes evidence, a hash-chained transition log and a go/no-go report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pytest-gates")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

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
    EvidenceError,
    GatesError,
    GatesWarning,
    ManifestError,
)
from pytest_gates.findings import Finding, Location
from pytest_gates.manifest import Gate, Manifest, load_manifest

__all__ = [
    "CheckContext",
    "CheckError",
    "CheckFailed",
    "CheckKind",
    "CheckParams",
    "CheckRegistry",
    "CheckResult",
    "DegradedGateWarning",
    "EvidenceError",
    "Finding",
    "Gate",
    "GatesError",
    "GatesWarning",
    "Location",
    "Manifest",
    "ManifestError",
    "__version__",
    "check_kind",
    "load_manifest",
]
