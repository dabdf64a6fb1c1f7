"""The transition log: ``transitions.jsonl``, append-only across runs, hash-chained.

Each line is canonical JSON carrying ``prev``, the sha256 of the line before it (the first line
carries :data:`GENESIS`), and ``seq``, its 1-based position. Deleting, editing or reordering a line
breaks the chain at the next line; the report records the digest of the last line (the head), so
an edit of the last line, or a truncated log, is caught as well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_gates.errors import EvidenceError
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import canonical_json, sha256_bytes

GENESIS: Final = "sha256:" + "0" * 64


@dataclass(frozen=True)
class LogHead:
    lines: int
    head: str

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "head": self.head}


def verify_log(path: Path) -> list[dict[str, Any]]:
    """Read and check the whole chain; raises :class:`EvidenceError` at the first broken line."""
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raise EvidenceError(
            f"{path}: the last line is cut short (no newline): the log was truncated"
        )
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
        if not isinstance(entry, dict):
            raise EvidenceError(f"{path}:{number}: expected a JSON object")
        if entry.get("prev") != prev:
            raise EvidenceError(
                f"{path}:{number}: chain broken: prev is {entry.get('prev')!r}, expected {prev!r} "
                "(a line before it was edited, deleted or reordered)"
            )
        if entry.get("seq") != number:
            raise EvidenceError(
                f"{path}:{number}: expected seq {number}, found {entry.get('seq')!r}"
            )
        if canonical_json(entry).encode() != line:
            raise EvidenceError(
                f"{path}:{number}: the line is not in canonical form (edited by hand)"
            )
        entries.append(entry)
        prev = sha256_bytes(line)
    return entries


class TransitionLog:
    """Appends a run's gate transitions to ``transitions.jsonl`` without ever rewriting history."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def last_states(self) -> dict[str, str]:
        """Each gate's verdict as of the last run logged (the ``from`` of the next transition)."""
        states: dict[str, str] = {}
        for entry in verify_log(self.path):
            gate = entry.get("gate")
            if isinstance(gate, str):
                states[gate] = str(entry.get("to"))
        return states

    def append(self, entries: Sequence[dict[str, Any]]) -> LogHead:
        """Chain ``entries`` after the existing lines and write the file atomically."""
        existing = self.path.read_bytes() if self.path.exists() else b""
        verified = verify_log(self.path)
        prev = sha256_bytes(existing.splitlines()[-1]) if verified else GENESIS
        seq = len(verified)
        run = 1 + max((int(e.get("run", 0)) for e in verified), default=0)
        out = bytearray(existing)
        for entry in entries:
            seq += 1
            line = canonical_json({**entry, "seq": seq, "run": run, "prev": prev}).encode()
            out += line + b"\n"
            prev = sha256_bytes(line)
        atomic_write(self.path, bytes(out))
        return LogHead(seq, prev)


def log_head(path: Path) -> LogHead:
    entries = verify_log(path)
    if not entries:
        return LogHead(0, GENESIS)
    return LogHead(len(entries), sha256_bytes(path.read_bytes().splitlines()[-1]))
