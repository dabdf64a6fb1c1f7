"""The ``pytest-gates`` commands a projected CI file runs, and the output folder they share."""

from __future__ import annotations

from typing import Final

from pytest_gates.model.names import DEFAULT_OUT

#: Where the gates write their outputs in CI (and where verify and merge look for them).
OUTPUT_DIR: Final = DEFAULT_OUT


def verify_command() -> str:
    """Re-checks the outputs of a run: evidence digests, log chain and verdicts."""
    return f"pytest-gates verify {OUTPUT_DIR}"


def merge_command(shards: str) -> str:
    """Merges the outputs of every shard, found in the folders ``shards``, into one report."""
    return f"pytest-gates merge {shards} --out {OUTPUT_DIR}"
