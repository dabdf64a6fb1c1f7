"""The ``pytest-gates`` command: schema, validate, verify."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.checks.manifest_schema import dumps, manifest_schema
from pytest_gates.cli import generate as generate_cli
from pytest_gates.cli import shards as cli_shards
from pytest_gates.errors import ManifestError
from pytest_gates.model.manifest import load_manifest
from pytest_gates.model.names import DEFAULT_MANIFEST, DEFAULT_OUT
from pytest_gates.outputs.documents import Document, EvidenceDocument, ReportDocument, output_schema
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.projection import sync as projection_sync
from pytest_gates.sources import schema as source_schema
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.version import __version__

OUTPUT_DOCUMENTS: dict[str, type[Document]] = {
    "evidence": EvidenceDocument,
    "report": ReportDocument,
}


def _schema(args: argparse.Namespace) -> int:
    if args.name == "sources":
        return source_schema.schema_command(args, BUILTIN_KINDS)
    if args.name in OUTPUT_DOCUMENTS:
        model = OUTPUT_DOCUMENTS[args.name]
        text = dumps(output_schema(model, f"pytest-gates {args.name}"))
    else:
        text = dumps(manifest_schema(BUILTIN_KINDS))
    if args.check:
        target = Path(args.check)
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            print(f"{target}: up to date")
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(True),
                text.splitlines(True),
                f"{target} (committed)",
                f"{target} (generated)",
            )
        )
        print(
            f"\n{target} is stale; regenerate it with: pytest-gates schema {args.name} --output {target}"
        )
        return 1
    if args.output:
        atomic_write(Path(args.output), text.encode())
        print(f"wrote {args.output}")
        return 0
    sys.stdout.write(text)
    return 0


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.manifest)
    try:
        loaded = load_manifest(path, str(path), Path.cwd())
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: valid; {len(loaded.manifest.gates)} gates in order: {', '.join(loaded.order)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    problems = verify_outputs(Path(args.dir))
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(
            f"{args.dir}: {len(problems)} problem(s): the outputs do not hold together",
            file=sys.stderr,
        )
        return 1
    print(f"{args.dir}: ok: evidence digests, log chain and verdicts hold together")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-gates", description="Release gates as pytest suites."
    )
    parser.add_argument("--version", action="version", version=f"pytest-gates {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    schema = sub.add_parser(
        "schema", help="print (or check) a JSON Schema generated from the models"
    )
    schema.add_argument("name", choices=["manifest", "sources", "evidence", "report"])
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

    validate = sub.add_parser("validate", help="validate a manifest and print the gate order")
    validate.add_argument("manifest", nargs="?", default=DEFAULT_MANIFEST)
    validate.set_defaults(func=_validate)

    verify = sub.add_parser(
        "verify", help="re-check a run's evidence digests, log chain and verdicts"
    )
    verify.add_argument("dir", nargs="?", default=DEFAULT_OUT)
    verify.set_defaults(func=_verify)
    cli_shards.register(sub)
    projection_sync.register(sub)
    generate_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
