"""``pytest-gates approve``: sign an approval of gates for one commit and manifest.

The approval is written into the approvals folder (``--gates-approvals``, default
``approvals/``) as one file per approval; a gate session reads it back
(:mod:`pytest_gates.session.approvals`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from pytest_gates.errors import GatesError
from pytest_gates.model.load import load_manifest
from pytest_gates.model.manifest import MAX_WINDOW, parse_duration
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.support.subject import now
from pytest_gates.trust import load_private_key
from pytest_gates.trust.approval import (
    DEFAULT_APPROVALS_DIR,
    ApprovalKind,
    ApprovalStatement,
    format_time,
    write_approval,
)
from pytest_gates.trust.errors import abbreviate


class ApproveError(Exception):
    """A problem with the command's arguments, printed after ``pytest-gates approve: ``."""


def resolve_commit(revision: str) -> str:
    """The full commit id ``revision`` names in the current git work tree."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ApproveError(f"--subject {revision}: cannot run git: {exc}") from None
    commit = done.stdout.strip()
    if done.returncode != 0 or not commit:
        raise ApproveError(f"--subject {revision}: not a commit of this git repository")
    return commit


def expiry_seconds(text: str) -> float:
    """``--expires``: ``30m``, ``24h``, ``7d`` or seconds, more than 0 and at most 30 days."""
    value = parse_duration(text)
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= MAX_WINDOW:
        raise ApproveError(
            f"--expires {text}: expected a duration such as 30m, 24h or 7d (at most 30d)"
        )
    return seconds


def _kind(args: argparse.Namespace) -> ApprovalKind:
    if args.override:
        return "override"
    if args.emergency:
        return "emergency"
    return "review" if args.review else "approve"


def _approve(args: argparse.Namespace) -> int:
    try:
        return _sign(args)
    except ApproveError as exc:
        print(f"pytest-gates approve: {exc}", file=sys.stderr)
    except GatesError as exc:
        print(f"pytest-gates approve: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"pytest-gates approve: cannot write: {exc}", file=sys.stderr)
    return 1


def _sign(args: argparse.Namespace) -> int:
    loaded = load_manifest(Path(args.manifest), args.manifest)
    gates = sorted(set(args.gate), key=args.gate.index)
    known = {gate.id for gate in loaded.manifest.gates}
    unknown = [gate for gate in gates if gate not in known]
    if unknown:
        raise ApproveError(f"--gate {unknown[0]}: no such gate in {args.manifest}")
    seconds = expiry_seconds(args.expires)
    commit = resolve_commit(args.subject)
    key = load_private_key(Path(args.key), args.key)
    issued = now().replace(microsecond=0)
    try:
        statement = ApprovalStatement(
            kind=_kind(args),
            gates=gates,
            commit=commit,
            manifest_digest=loaded.digest,
            keyid=key.keyid,
            issued=format_time(issued),
            expires=format_time(issued + timedelta(seconds=seconds)),
            reason=args.reason,
        )
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise ApproveError(f"--{error['loc'][0]}: {error['msg']}") from None
    path = write_approval(Path(args.approvals), statement, key)
    print(
        f"{path}: {statement.kind} of {', '.join(gates)} for commit {abbreviate(commit)} by key "
        f"{abbreviate(key.keyid)}, expires {statement.expires}"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``approve`` to the ``pytest-gates`` command."""
    approve = sub.add_parser(
        "approve",
        help="sign an approval (or an override, emergency bypass or review) of gates for one "
        "commit and manifest, into the approvals folder",
    )
    approve.add_argument(
        "--gate", action="append", required=True, metavar="ID", help="a gate (repeatable)"
    )
    approve.add_argument(
        "--subject", required=True, metavar="REV", help="the commit approved (e.g. HEAD)"
    )
    approve.add_argument("--reason", required=True, metavar="TEXT", help="why, for the audit")
    approve.add_argument(
        "--expires", required=True, metavar="DURATION", help="how long it holds: 30m, 24h, 7d"
    )
    approve.add_argument(
        "--key", required=True, metavar="PATH", help="the signer's Ed25519 private key (PEM)"
    )
    approve.add_argument(
        "--manifest",
        default=DEFAULT_MANIFEST,
        metavar="PATH",
        help=f"the manifest the approval is bound to (default: {DEFAULT_MANIFEST})",
    )
    approve.add_argument(
        "--gates-approvals",
        dest="approvals",
        default=DEFAULT_APPROVALS_DIR,
        metavar="DIR",
        help=f"where approvals are written (default: {DEFAULT_APPROVALS_DIR}/)",
    )
    kind = approve.add_mutually_exclusive_group()
    kind.add_argument(
        "--override",
        action="store_true",
        help="turn the gates' failure into BYPASSED (signer: approver, within the override window)",
    )
    kind.add_argument(
        "--emergency",
        action="store_true",
        help="skip the gates, verdict BYPASSED (signer: operator)",
    )
    kind.add_argument(
        "--review",
        action="store_true",
        help="the review a gate with reviews: X needs (signer: neither X's executor nor the "
        "commit's author)",
    )
    approve.set_defaults(func=_approve)
