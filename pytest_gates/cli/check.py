"""What every ``--check`` prints: the unified diff of what is stale, then how to fix it."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from pytest_gates.support.diff import unified_diff


def report_stale(blocks: Iterable[str], *fixes: str) -> int:
    """Print each block (a diff, and what it means) as it is, then each fix after a blank line.

    Returns 1, the exit status of a ``--check`` that found something stale.
    """
    sys.stdout.writelines(blocks)
    for fix in fixes:
        print(f"\n{fix}")
    return 1


def check_text(name: str, current: str, wanted: str, fresh: str, *fixes: str) -> int:
    """The ``--check`` of one generated file: print ``fresh`` and return 0 when ``current`` is
    ``wanted``, else print the diff and how to fix it and return 1."""
    if current == wanted:
        print(fresh)
        return 0
    return report_stale([unified_diff(current, wanted, name)], *fixes)
