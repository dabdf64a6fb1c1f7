"""``pytest-gates validate``: validate a manifest as ``pytest --gates`` does, and print the gate order.

The manifest is loaded through :func:`pytest_gates.model.load.load_manifest`, as the gate
session loads it, with the check kinds a session would know: the built-in ones, those of the
installed pytest plugins and those of the rootdir's ``conftest.py``. Unlike a run, where a check
of an unknown kind is an ERROR item and the others still run, ``validate`` reports the unknown
kind with the known ones and a "did you mean".
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

from pytest_gates.checks import lazy
from pytest_gates.checks.api import CheckRegistry, DuplicateCheckKind
from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from pytest_gates.model.names import DEFAULT_MANIFEST


def session_kinds(rootdir: Path) -> tuple[CheckRegistry, list[str]]:
    """The check kinds a gate session in ``rootdir`` registers, and what could not be loaded.

    Each plugin's ``pytest_gates_register_checks`` is called as pytest would call it: the
    built-in kinds, the installed pytest plugins (entry point group ``pytest11``), the rootdir's
    ``conftest.py``.
    """
    plugins: list[object] = [lazy]
    notes: list[str] = []
    for entry in entry_points(group="pytest11"):
        try:
            plugins.append(entry.load())
        except Exception as exc:  # a broken plugin: say so, keep the others
            notes.append(f"plugin {entry.name} not loaded: {type(exc).__name__}: {exc}")
    conftest = rootdir / "conftest.py"
    if conftest.is_file():
        spec = importlib.util.spec_from_file_location("_pytest_gates_validate_conftest", conftest)
        try:
            if spec is None or spec.loader is None:
                raise ImportError("not a Python module")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            plugins.append(module)
        except Exception as exc:
            notes.append(f"{conftest.name} not loaded: {type(exc).__name__}: {exc}")
    registry = CheckRegistry()
    for plugin in dict.fromkeys(plugins):
        hook = getattr(plugin, "pytest_gates_register_checks", None)
        if callable(hook):
            hook(registry=registry)
    return registry, notes


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.manifest)
    try:
        registry, notes = session_kinds(Path.cwd())
    except DuplicateCheckKind as exc:
        print(exc, file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}; kinds it registers are not known here", file=sys.stderr)
    try:
        loaded = load_manifest(path, str(path), Path.cwd(), registry, unknown_kinds=not notes)
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: valid; {len(loaded.manifest.gates)} gates in order: {', '.join(loaded.order)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``validate`` to the ``pytest-gates`` command."""
    validate = sub.add_parser("validate", help="validate a manifest and print the gate order")
    validate.add_argument("manifest", nargs="?", default=DEFAULT_MANIFEST)
    validate.set_defaults(func=_validate)
