"""The transition log: ``transitions.jsonl``, append-only across runs and CI jobs, hash-chained.

Each line is the canonical JSON of a :class:`LoggedTransition`: it carries ``prev``, the sha256 of
the line before it (the first line carries :data:`GENESIS`), ``seq``, its 1-based position, and
``run``, which counts up by one from run to run. Deleting, editing or reordering a line breaks the
chain at the next line; a run cut out of the middle and the rest chained again leaves a gap in the
run numbers; the report records the digest of the last line of its run (the head), so an edit of
the last line, or a truncated log, is caught as well.

A run may start from another log (``--gates-log-from``: the last decision's log, restored by CI),
and a merge chains its shards' lines onto their common start (:func:`chain_shards`), so the log
remembers every run that led to a decision.
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


def _raw_lines(path: Path) -> list[bytes]:
    return _split_lines(path, path.read_bytes())


def _split_lines(path: Path, raw: bytes) -> list[bytes]:
    if raw and not raw.endswith(b"\n"):
        raise EvidenceError(
            f"{path}: the last line is cut short (no newline): the log was truncated"
        )
    return raw.splitlines()


#: Logs this process verified, by the sha256 of their bytes: a session reads its log four or five
#: times (its memory, the last states, the append, the signature's line), and a log gains a run's
#: lines at every run. Only what passed is kept; the bytes decide, not a file's name or time.
_VERIFIED: Final[dict[str, tuple[LoggedTransition, ...]]] = {}
_VERIFIED_KEPT: Final = 4


def verify_log(path: Path) -> list[LoggedTransition]:
    """Read and check the whole chain; raises :class:`EvidenceError` at the first broken line."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    digest = sha256_bytes(raw)
    known = _VERIFIED.get(digest)
    if known is not None:
        return list(known)
    entries = _verify_lines(path, _split_lines(path, raw))
    _remember(digest, entries)
    return entries


def _remember(digest: str, entries: list[LoggedTransition]) -> None:
    if len(_VERIFIED) >= _VERIFIED_KEPT:
        del _VERIFIED[next(iter(_VERIFIED))]
    _VERIFIED[digest] = tuple(entries)


def _verify_lines(path: Path, lines: list[bytes]) -> list[LoggedTransition]:
    entries: list[LoggedTransition] = []
    prev = GENESIS
    run = 1
    for number, line in enumerate(lines, start=1):
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
            logged = LoggedTransition.model_validate(entry)
        except ValidationError as exc:
            raise EvidenceError(f"{path}:{number}: not a transition: {first_error(exc)}") from None
        if logged.run not in (run, run + 1) or (number == 1 and logged.run != 1):
            raise EvidenceError(_run_gap(path, number, logged.run, run if entries else 0))
        run = logged.run
        entries.append(logged)
        prev = sha256_bytes(line)
    return entries


def _run_gap(path: Path, number: int, run: int, before: int) -> str:
    if run <= before:
        return f"{path}:{number}: run {run} follows run {before}: runs count up one at a time"
    missing = f"run {before + 1} was" if run == before + 2 else f"runs {before + 1}-{run - 1} were"
    return f"{path}:{number}: run {run} follows run {before}: {missing} cut out of the chain"


def _chained(entry: dict[str, Any], seq: int, run: int, prev: str) -> bytes:
    return canonical_json({**entry, "seq": seq, "run": run, "prev": prev}).encode()


class TransitionLog:
    """Appends a run's events to ``transitions.jsonl`` without ever rewriting history."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def last_states(self) -> dict[str, Verdict]:
        """Each gate's verdict as of the last state line (the ``from`` of the next transition)."""
        return {
            entry.gate: entry.to
            for entry in verify_log(self.path)
            if entry.event == "state" and entry.gate is not None and entry.to is not None
        }

    def next_run(self) -> int:
        """The run number the next :meth:`append` gives its lines."""
        return 1 + max((entry.run for entry in verify_log(self.path)), default=0)

    def append(self, transitions: Sequence[Transition], *, same_run: bool = False) -> LogHead:
        """Chain ``transitions`` after the existing lines and write the file atomically.

        They are a new run, or with ``same_run`` more lines of the last one (the ``sign`` line
        written after the report).
        """
        verified = verify_log(self.path)
        lines = _raw_lines(self.path) if verified else []
        prev = sha256_bytes(lines[-1]) if lines else GENESIS
        last = max((entry.run for entry in verified), default=0)
        run = last if same_run and last else last + 1
        out = bytearray(b"".join(line + b"\n" for line in lines))
        for transition in transitions:
            line = _chained(transition.line_data(), len(lines) + 1, run, prev)
            verified.append(LoggedTransition.model_validate_json(line))
            lines.append(line)
            out += line + b"\n"
            prev = sha256_bytes(line)
        atomic_write(self.path, bytes(out))
        _remember(sha256_bytes(bytes(out)), verified)  # chained here: verified as it was made
        return LogHead(len(lines), prev)

    def start_from(self, source: Path, display: str | None = None) -> None:
        """Make this log continue ``source`` (the last decision's log), checking it first.

        Nothing is written when this log already continues ``source``; it is replaced by a copy
        when it is empty or a start of ``source``; any other log is refused
        (:meth:`cannot_continue`): two histories cannot both be continued.
        """
        problem = self.cannot_continue(source, display)
        if problem is not None:
            raise EvidenceError(problem)
        wanted = source.read_bytes()
        if not (self.path.exists() and self.path.read_bytes().startswith(wanted)):
            atomic_write(self.path, wanted)

    def cannot_continue(self, source: Path, display: str | None = None) -> str | None:
        """Why this log cannot continue ``source`` (both chains are checked), or None."""
        name = display or str(source)
        if not source.is_file():
            return f"{name}: no such log (expected a transitions.jsonl to continue)"
        verify_log(source)
        if not self.path.exists():
            return None
        verify_log(self.path)
        have, wanted = self.path.read_bytes(), source.read_bytes()
        if have.startswith(wanted) or wanted.startswith(have):
            return None
        return (
            f"{self.path}: this log does not continue {name} (it differs at line "
            f"{_first_difference(have, wanted)}); remove it or choose another --gates-out"
        )


def _first_difference(one: bytes, other: bytes) -> int:
    for number, (a, b) in enumerate(
        zip(one.splitlines(), other.splitlines(), strict=False), start=1
    ):
        if a != b:
            return number
    return 1 + min(len(one.splitlines()), len(other.splitlines()))


def chain_shards(logs: Sequence[tuple[int, Path]]) -> bytes:
    """One log of the shards' logs: their common start, then each shard's own lines.

    ``logs`` is ``(shard index, log)``; the shards run in index order, each its own run, with
    ``shard`` set on each of its lines. Every log is verified first.
    """
    lines = {index: _raw_lines(path) if verify_log(path) else [] for index, path in logs}
    ordered = sorted(lines)
    common = 0
    if ordered:
        first = lines[ordered[0]]
        while common < len(first) and all(
            common < len(lines[i]) and lines[i][common] == first[common] for i in ordered
        ):
            common += 1
    out = list(lines[ordered[0]][:common]) if ordered else []
    run = max((json.loads(line)["run"] for line in out), default=0)
    prev = sha256_bytes(out[-1]) if out else GENESIS
    for index in ordered:
        was = None
        for line in lines[index][common:]:
            entry = json.loads(line)
            if entry["run"] != was:  # each run of the shard stays a run of its own
                was, run = entry["run"], run + 1
            entry["shard"] = index
            chained = _chained(entry, len(out) + 1, run, prev)
            out.append(chained)
            prev = sha256_bytes(chained)
    return b"".join(line + b"\n" for line in out)


def log_head(path: Path) -> LogHead:
    """The head of the log at ``path`` after checking its chain."""
    entries = verify_log(path)
    if not entries:
        return LogHead(0, GENESIS)
    return LogHead(len(entries), sha256_bytes(_raw_lines(path)[-1]))
