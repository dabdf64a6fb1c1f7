"""Check kinds: the API plugins use, and the built-in kinds."""

from __future__ import annotations

from pytest_gates.checks.api import (
    CheckContext,
    CheckKind,
    CheckParams,
    CheckRegistry,
    CheckResult,
    DuplicateCheckKind,
    check_kind,
)

__all__ = [
    "CheckContext",
    "CheckKind",
    "CheckParams",
    "CheckRegistry",
    "CheckResult",
    "DuplicateCheckKind",
    "check_kind",
]
