"""The unified diff every ``--check`` and every drift report shows."""

from __future__ import annotations

import difflib


def unified_diff(
    current: str, wanted: str, name: str, before: str = "committed", after: str = "generated"
) -> str:
    """The diff from ``current`` to ``wanted``, its sides labelled ``name (before)`` and
    ``name (after)``; empty when they are equal."""
    return "".join(
        difflib.unified_diff(
            current.splitlines(True),
            wanted.splitlines(True),
            f"{name} ({before})",
            f"{name} ({after})",
        )
    )
