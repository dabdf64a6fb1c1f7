"""The ``generate`` and ``digest`` subcommands of ``pytest-gates``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_gates.cli.check import check_text
from pytest_gates.errors import SourceError
from pytest_gates.sources.generate import changed_sources, generate, generate_command, project
from pytest_gates.sources.load import DEFAULT_CONFIG, load_sources
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import tree_digest


def _generate(args: argparse.Namespace) -> int:
    root = Path.cwd()
    try:
        sources = load_sources(root, args.config)
        text = generate(sources)
    except SourceError as exc:
        print("ERROR: the gate sources are incomplete or invalid", file=sys.stderr)
        print(exc, file=sys.stderr)
        return 1
    output = sources.config.model.output
    target = root / output
    current = target.read_text(encoding="utf-8") if target.is_file() else ""
    command = generate_command(sources)
    if args.check:
        changed = changed_sources(current, sources) if current != text else []
        since = f"sources changed since {output} was generated: {', '.join(changed)}"
        return check_text(
            output,
            current,
            text,
            f"{output}: up to date with its sources",
            *([since] if changed else []),
            f"{output} is not the projection of its sources; regenerate it with: {command}",
        )
    if current == text:
        print(f"{output}: up to date with its sources")
        return 0
    atomic_write(target, text.encode("utf-8"))
    gates = len(project(sources)["gates"])
    print(f"wrote {output}: {gates} gates from {len(sources.digests())} sources")
    return 0


def _digest(args: argparse.Namespace) -> int:
    found = tree_digest(Path.cwd(), args.paths)
    if found.missing:
        for pattern in found.missing:
            print(f"{pattern}: matches no file", file=sys.stderr)
        return 1
    if args.files:
        for name in found.files:
            print(name)
    print(found.digest)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``generate`` and ``digest`` to the ``pytest-gates`` command."""
    gen = subparsers.add_parser(
        "generate", help="write the gate manifest from the project's sources (docs/generate.md)"
    )
    gen.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        metavar="FILE",
        help=f"the generation config (default: {DEFAULT_CONFIG})",
    )
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the manifest is not the projection",
    )
    gen.set_defaults(func=_generate)
    digest = subparsers.add_parser(
        "digest", help="print the digest of files, globs or directories, as sources record it"
    )
    digest.add_argument("paths", nargs="+", metavar="PATH")
    digest.add_argument("--files", action="store_true", help="list the files hashed first")
    digest.set_defaults(func=_digest)
