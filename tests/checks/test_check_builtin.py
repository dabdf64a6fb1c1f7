from __future__ import annotations

import pytest

from pytest_gates.checks.api import CheckRegistry, DuplicateCheckKind
from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.checks.lazy import pytest_gates_register_checks


def test_every_builtin_kind_is_registered() -> None:
    registry = CheckRegistry()
    pytest_gates_register_checks(registry)
    assert registry.names() == [
        "artifacts",
        "benchmark",
        "command",
        "coverage",
        "differential",
        "file_size",
        "files",
        "http",
        "ledger",
        "links",
        "manifest_fresh",
        "obligations",
        "ready",
        "release_report",
        "research",
        "schema",
        "site_conformity",
        "symbols",
        "sync",
    ]
    assert len(BUILTIN_KINDS) == 19


def test_idempotence_and_descriptions() -> None:
    kinds = {kind.name: kind for kind in BUILTIN_KINDS}
    assert {name: kind.idempotent for name, kind in kinds.items()} == {
        "command": True,
        "files": True,
        "schema": True,
        "file_size": True,
        "coverage": False,
        "manifest_fresh": True,
        "ledger": True,
        "obligations": False,
        "artifacts": True,
        "release_report": True,
        "differential": False,
        "sync": True,
        "symbols": True,
        "links": True,
        "site_conformity": True,
        "research": True,
        "http": True,
        "benchmark": True,
        "ready": True,
    }
    assert all(kind.description for kind in BUILTIN_KINDS)


def test_registering_twice_is_harmless_but_a_clash_is_not() -> None:
    registry = CheckRegistry()
    pytest_gates_register_checks(registry)
    pytest_gates_register_checks(registry)
    assert len(registry) == len(BUILTIN_KINDS)
    clash = BUILTIN_KINDS[0].__class__(
        name="command", params=BUILTIN_KINDS[0].params, run=BUILTIN_KINDS[0].run
    )
    with pytest.raises(DuplicateCheckKind):
        registry.register(clash)


def test_a_kind_registered_by_name_is_imported_only_when_asked_for() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pytest_gates.checks.api import CheckRegistry\n"
        "from pytest_gates.checks.lazy import pytest_gates_register_checks\n"
        "registry = CheckRegistry()\n"
        "pytest_gates_register_checks(registry)\n"
        "before = 'pytest_gates.checks.coverage' in sys.modules\n"
        "registry.get('coverage')\n"
        "print(before, 'pytest_gates.checks.coverage' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "True"]
