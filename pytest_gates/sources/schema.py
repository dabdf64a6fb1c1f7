"""JSON Schemas of the source files, generated from their models (``pytest-gates schema sources``).

One schema per file, committed as ``manifests/schema/sources/<name>.schema.json``, so an editor
can validate a source while it is written and the ``schema`` kind can in a gate.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from pytest_gates.checks.api import CheckKind
from pytest_gates.checks.manifest_schema import SCHEMA_DIALECT, dumps, manifest_schema
from pytest_gates.model.names import DEFAULT_SOURCE_SCHEMAS
from pytest_gates.sources.models import (
    BenchmarkManifest,
    CapabilityRegistry,
    CorpusManifest,
    GenerateConfig,
    Ledger,
    ObligationRegistry,
    SourceModel,
)
from pytest_gates.support.atomic import atomic_write

DEFAULT_FOLDER: Final = DEFAULT_SOURCE_SCHEMAS
#: Each schema's name (its file is ``<name>.schema.json``) and the model it comes from.
SOURCE_SCHEMAS: Final[dict[str, type[SourceModel]]] = {
    "generate": GenerateConfig,
    "capabilities": CapabilityRegistry,
    "obligations": ObligationRegistry,
    "corpora": CorpusManifest,
    "benchmarks": BenchmarkManifest,
    "ledger": Ledger,
}


def _extra_gates_schema(kinds: Iterable[CheckKind[Any]]) -> dict[str, Any]:
    # The gates are held to the manifest's own schema, each check to its kind's parameters.
    schema = manifest_schema(kinds)
    return {
        "$defs": schema["$defs"],
        "$schema": SCHEMA_DIALECT,
        "additionalProperties": False,
        "description": "Gates copied into the generated manifest as written.",
        "properties": {"version": {"const": 1}, "gates": schema["properties"]["gates"]},
        "required": ["version"],
        "title": "pytest-gates source: extra-gates",
        "type": "object",
    }


def source_schemas(kinds: Iterable[CheckKind[Any]]) -> dict[str, dict[str, Any]]:
    """Every source file's schema by name, the extra gates' included."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in SOURCE_SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = SCHEMA_DIALECT
        schema["title"] = f"pytest-gates source: {name}"
        schemas[name] = schema
    schemas["extra-gates"] = _extra_gates_schema(kinds)
    return schemas


def schema_command(args: argparse.Namespace, kinds: Iterable[CheckKind[Any]]) -> int:
    """``pytest-gates schema sources [--output DIR | --check DIR]``."""
    texts = {f"{name}.schema.json": dumps(s) for name, s in source_schemas(kinds).items()}
    if args.output:
        folder = Path(args.output)
        for filename, text in texts.items():
            atomic_write(folder / filename, text.encode())
        print(f"wrote {len(texts)} schemas to {folder}")
        return 0
    if not args.check:
        combined = {name: json.loads(text) for name, text in texts.items()}
        sys.stdout.write(json.dumps(combined, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return 0
    folder = Path(args.check)
    stale = []
    for filename, text in texts.items():
        target = folder / filename
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            stale.append(str(target))
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True),
                    text.splitlines(True),
                    f"{target} (committed)",
                    f"{target} (generated)",
                )
            )
    if stale:
        print(
            f"\n{', '.join(stale)}: stale; regenerate with: "
            f"pytest-gates schema sources --output {folder}"
        )
        return 1
    print(f"{folder}: {len(texts)} schemas up to date")
    return 0
