"""``pytest-gates schema``: print, write or check a JSON Schema generated from the models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.checks.schemas import manifest_schema, source_schemas
from pytest_gates.cli.check import check_text, report_stale
from pytest_gates.outputs.documents import Document, EvidenceDocument, ReportDocument, output_schema
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.diff import unified_diff
from pytest_gates.support.schema_text import dumps
from pytest_gates.trust.schema import TRUST_SCHEMA_NAMES, schema_text

OUTPUT_DOCUMENTS: dict[str, type[Document]] = {
    "evidence": EvidenceDocument,
    "report": ReportDocument,
}


def _sources(args: argparse.Namespace) -> int:
    """``pytest-gates schema sources [--output DIR | --check DIR]``: one schema per source file."""
    texts = {f"{name}.schema.json": dumps(s) for name, s in source_schemas(BUILTIN_KINDS).items()}
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
    stale: list[str] = []
    diffs: list[str] = []
    for filename, text in texts.items():
        target = folder / filename
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            stale.append(str(target))
            diffs.append(unified_diff(current, text, str(target)))
    if stale:
        return report_stale(
            diffs,
            f"{', '.join(stale)}: stale; regenerate with: "
            f"pytest-gates schema sources --output {folder}",
        )
    print(f"{folder}: {len(texts)} schemas up to date")
    return 0


def _schema(args: argparse.Namespace) -> int:
    if args.name == "sources":
        return _sources(args)
    if args.name in TRUST_SCHEMA_NAMES:
        text = schema_text(args.name)
    elif args.name in OUTPUT_DOCUMENTS:
        model = OUTPUT_DOCUMENTS[args.name]
        text = dumps(output_schema(model, f"pytest-gates {args.name}"))
    else:
        text = dumps(manifest_schema(BUILTIN_KINDS))
    if args.check:
        target = Path(args.check)
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        return check_text(
            str(target),
            current,
            text,
            f"{target}: up to date",
            f"{target} is stale; regenerate it with: pytest-gates schema {args.name} --output "
            f"{target}",
        )
    if args.output:
        atomic_write(Path(args.output), text.encode())
        print(f"wrote {args.output}")
        return 0
    sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``schema`` to the ``pytest-gates`` command."""
    schema = sub.add_parser(
        "schema", help="print (or check) a JSON Schema generated from the models"
    )
    schema.add_argument(
        "name", choices=["manifest", "sources", "evidence", "report", *TRUST_SCHEMA_NAMES]
    )
    group = schema.add_mutually_exclusive_group()
    group.add_argument(
        "--output", metavar="FILE", help="write the schema to FILE (sources: a folder)"
    )
    group.add_argument(
        "--check",
        metavar="FILE",
        help="exit 1 when FILE (sources: a folder) differs from the generated schema",
    )
    schema.set_defaults(func=_schema)
