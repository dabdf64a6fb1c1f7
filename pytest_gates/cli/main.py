"""The ``pytest-gates`` command: the parser, and one module of this package per command group."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pytest_gates.cli import approve, generate, keys, schema, shards, sync, validate, verify
from pytest_gates.support.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-gates", description="Release gates as pytest suites."
    )
    parser.add_argument("--version", action="version", version=f"pytest-gates {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    # In the order ``--help`` lists them.
    schema.register(sub)
    validate.register(sub)
    verify.register(sub)
    shards.register(sub)
    sync.register(sub)
    generate.register(sub)
    keys.register(sub)
    approve.register(sub)
    # `pytest-gates CMD --help` opens with what the command does, as the command list says it.
    for choice in sub._choices_actions:
        command = sub.choices[choice.dest]
        if command.description is None:
            command.description = choice.help
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
