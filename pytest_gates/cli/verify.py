"""``pytest-gates verify``: re-check a run's evidence digests, log chain and verdicts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_gates.model.names import DEFAULT_OUT
from pytest_gates.outputs.verify import verify_outputs


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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` to the ``pytest-gates`` command."""
    verify = sub.add_parser(
        "verify", help="re-check a run's evidence digests, log chain and verdicts"
    )
    verify.add_argument("dir", nargs="?", default=DEFAULT_OUT)
    verify.set_defaults(func=_verify)
