"""The transition log: ``transitions.jsonl``, append-only across runs, hash-chained.

Each line is the canonical JSON of a :class:`LoggedTransition`: it carries ``prev``, the sha256 of
the line before it (the first line carries :data:`GENESIS`), and ``seq``, its 1-based position.
Deleting, editing or reordering a line breaks the chain at the next line; the report records the
digest of the last line (the head), so an edit of the last line, or a truncated log, is caught as
well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from pytest_gates.chain import Verdict
from pytest_gates.errors import EvidenceError
from pytest_gates.outputs.documents import NO_DIGEST, LoggedTransition, Transition, first_error
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import canonical_json, sha256_bytes

#: The ``prev`` of the first line.
GENESIS: Final = NO_DIGEST


@dataclass(frozen=True)
class LogHead:
    """How many lines the log has and the digest of the last one, as a report cites them."""

    lines: int
    head: str

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "head": self.head}


def verify_log(path: Path) -> list[LoggedTransition]:
    """Read and check the whole chain; raises :class:`EvidenceError` at the first broken line."""
    if not path.exists():
        return []
    entries: list[LoggedTransition] = []
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
        try:
            entries.append(LoggedTransition.model_validate(entry))
        except ValidationError as exc:
            raise EvidenceError(f"{path}:{number}: not a transition: {first_error(exc)}") from None
        prev = sha256_bytes(line)
    return entries


class TransitionLog:
    """Appends a run's gate transitions to ``transitions.jsonl`` without ever rewriting history."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def last_states(self) -> dict[str, Verdict]:
        """Each gate's verdict as of the last run logged (the ``from`` of the next transition)."""
        return {entry.gate: entry.to for entry in verify_log(self.path)}

    def append(self, transitions: Sequence[Transition]) -> LogHead:
        """Chain ``transitions`` after the existing lines and write the file atomically."""
        existing = self.path.read_bytes() if self.path.exists() else b""
        verified = verify_log(self.path)
        prev = sha256_bytes(existing.splitlines()[-1]) if verified else GENESIS
        seq = len(verified)
        run = 1 + max((entry.run for entry in verified), default=0)
        out = bytearray(existing)
        for transition in transitions:
            seq += 1
            logged = LoggedTransition(**transition.model_dump(), seq=seq, run=run, prev=prev)
            line = canonical_json(logged.model_dump(mode="json", by_alias=True)).encode()
            out += line + b"\n"
            prev = sha256_bytes(line)
        atomic_write(self.path, bytes(out))
        return LogHead(seq, prev)


def log_head(path: Path) -> LogHead:
    """The head of the log at ``path`` after checking its chain."""
    entries = verify_log(path)
    if not entries:
        return LogHead(0, GENESIS)
    return LogHead(len(entries), sha256_bytes(path.read_bytes().splitlines()[-1]))
