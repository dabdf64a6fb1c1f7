"""``pytest-gates keygen``: write an Ed25519 key pair and print its key id."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_gates.trust import KeyFileError, generate_key_pair


def _keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        pair = generate_key_pair(out, args.name, overwrite=args.force)
    except KeyFileError as exc:
        print(f"pytest-gates keygen: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pytest-gates keygen: cannot write to {out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(pair.keyid)
    print(f"private key: {pair.private_path} (mode 0600: keep it secret, e.g. as a CI secret)")
    print(f"public key:  {pair.public_path} (commit it and name it in manifests/trust.yaml)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keygen`` to the ``pytest-gates`` command."""
    keygen = sub.add_parser(
        "keygen", help="write an Ed25519 key pair (NAME.key, NAME.pub) and print its key id"
    )
    keygen.add_argument("--out", required=True, metavar="DIR", help="where to write the pair")
    keygen.add_argument(
        "--name", default="gates", help="the files' name: NAME.key and NAME.pub (default: gates)"
    )
    keygen.add_argument(
        "--force", action="store_true", help="overwrite an existing pair of that name"
    )
    keygen.set_defaults(func=_keygen)
