"""``pytest-gates verify``: re-check a run's evidence digests, log chain and verdicts, and, with a
trust file or a key, who signed the decision and for which commit."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from pytest_gates.errors import GatesError
from pytest_gates.model.names import DEFAULT_OUT
from pytest_gates.outputs.verify import verify_origin, verify_outputs
from pytest_gates.trust import DEFAULT_TRUST_PATH, Trust, load_public_key, load_trust
from pytest_gates.trust.errors import abbreviate

CONSISTENT = "evidence digests, log chain and verdicts hold together"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _expected_commit(args: argparse.Namespace, origin: bool) -> tuple[str | None, str]:
    """The commit the decision must be about, and how messages name it.

    Only a check of origin defaults to HEAD: consistency alone holds for any commit.
    """
    if args.expect_commit is None:
        head = _git("rev-parse", "--verify", "--quiet", "HEAD^{commit}") if origin else None
        return head, "HEAD"
    resolved = _git("rev-parse", "--verify", "--quiet", f"{args.expect_commit}^{{commit}}")
    return resolved or args.expect_commit, args.expect_commit


def _trust(args: argparse.Namespace) -> Trust | None:
    keys = [load_public_key(Path(path), path) for path in args.key]
    if args.trust is None:
        return Trust.from_keys(keys, ", ".join(args.key)) if keys else None
    root = Path(_git("rev-parse", "--show-toplevel") or ".")
    return load_trust(Path(args.trust), root, args.trust).with_keys(keys)


def _failed(directory: str, problems: list[str]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        f"{directory}: {len(problems)} problem(s): the outputs do not hold together",
        file=sys.stderr,
    )
    return 1


def _verify(args: argparse.Namespace) -> int:
    outdir = Path(args.dir)
    try:
        trust = _trust(args)
    except GatesError as exc:
        print(f"pytest-gates verify: {exc}", file=sys.stderr)
        return 1
    expected, label = _expected_commit(args, trust is not None)
    if trust is None:
        problems = verify_outputs(outdir, expected, label)
        if problems:
            return _failed(args.dir, problems)
        print(f"{args.dir}: ok: {CONSISTENT}")
        print(
            f"{args.dir}: origin not checked: give --trust {DEFAULT_TRUST_PATH} or --key PUB "
            "to check who signed the decision"
        )
        return 0
    checked = verify_origin(outdir, trust, expected, label)
    if checked.problems or checked.verified is None:
        return _failed(args.dir, checked.problems)
    verified = checked.verified
    named = args.trust is not None and verified.identity is not None
    who = f"identity '{verified.identity.id}'" if named and verified.identity else "--key"
    print(
        f"{args.dir}: ok: {verified.predicate.decision} for commit {abbreviate(verified.commit)} "
        f"signed by key {abbreviate(verified.keyid)} of {who} (release); {CONSISTENT}"
    )
    if expected is None:
        print(f"{args.dir}: commit not checked: not in a git work tree; give --expect-commit REV")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` to the ``pytest-gates`` command."""
    verify = sub.add_parser(
        "verify",
        help="re-check a run's evidence digests, log chain and verdicts; with --trust or --key, "
        "who signed the decision and for which commit",
    )
    verify.add_argument("dir", nargs="?", default=DEFAULT_OUT)
    verify.add_argument(
        "--trust",
        metavar="PATH",
        help=f"the trust file naming who may sign a release (e.g. {DEFAULT_TRUST_PATH})",
    )
    verify.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="PUB",
        help="a public key (PEM) trusted to sign; with --trust, the key of an identity named "
        "there by key id (repeatable)",
    )
    verify.add_argument(
        "--expect-commit",
        metavar="REV",
        help="the commit the decision must be about (default with --trust/--key: HEAD, when run "
        "in a git work tree)",
    )
    verify.set_defaults(func=_verify)
