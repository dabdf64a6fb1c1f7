"""``pytest-gates validate``: validate a manifest and print the gate order."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from pytest_gates.model.names import DEFAULT_MANIFEST


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.manifest)
    try:
        loaded = load_manifest(path, str(path), Path.cwd())
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
