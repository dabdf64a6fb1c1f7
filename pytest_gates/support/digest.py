"""The digest of a set of files: one rule shared by every kind that binds something to its inputs.

A corpus, a benchmark's inputs, the paths an obligation covers: each is a list of paths, globs or
directories, and each is summarised by :func:`tree_digest`:

1. every pattern is expanded under the rootdir: a file names itself; a glob matches as in the
   ``files`` kind (``**`` spans directories; hidden files only for a pattern part starting with
   a dot); a directory means every regular file below it, except hidden ones and ``__pycache__``;
2. the files, each counted once, are named by their rootdir-relative POSIX path and sorted by that
   name (code point order, which is also UTF-8 byte order);
3. each contributes the line ``<name>\\0<sha256 hex of its bytes>\\n``, and the digest is the
   sha256 of those lines, written ``sha256:<hex>``. Bytes are hashed as stored: no newline or
   encoding normalisation.

So a renamed, added, removed or edited file changes the digest, and nothing else does.
``pytest-gates digest PATH...`` prints it, for recording in a source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import rfc8785

from pytest_gates.support.paths import expand_all, is_glob

#: The integers RFC 8785 writes exactly (an IEEE 754 double holds them).
_INT_MAX: Final = 2**53 - 1
_INT_MIN: Final = -(2**53) + 1
#: Folders a directory pattern never descends into: byte-code caches change on every import.
SKIPPED_DIRS: Final = frozenset({"__pycache__"})


@dataclass(frozen=True)
class TreeDigest:
    """The digest of the files some patterns name, and what was (not) found."""

    #: ``sha256:<hex>`` of the sorted (name, content digest) lines.
    digest: str
    #: The files hashed: rootdir-relative POSIX names, sorted.
    files: tuple[str, ...]
    #: The patterns that named no file.
    missing: tuple[str, ...]


def sha256_bytes(data: bytes) -> str:
    """``sha256:<hex>`` of some bytes: the one way every digest of ours is written."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of one file's bytes (an evidence file, a source)."""
    return sha256_bytes(path.read_bytes())


def canonical_json(data: Any) -> str:
    """The JSON Canonicalization Scheme (RFC 8785) of ``data``: the form digests are taken of.

    Keys sorted by UTF-16 code units, no insignificant whitespace, numbers in their ECMAScript
    shortest form (``1e-06`` and ``0.000001`` are one number), so a verifier in another language
    reproduces every digest.
    """
    return canonical_bytes(data).decode("utf-8")


def canonical_bytes(data: Any) -> bytes:
    """:func:`canonical_json` as the UTF-8 bytes that are hashed."""
    try:
        ready = _jcs_ready(data)
    except _NotPlain:
        return rfc8785.dumps(data)
    # For such data RFC 8785 writes what the C JSON encoder writes: the same string escapes,
    # integers as they are, floats of 1e-4 to 1e16 as repr writes them, and code point order is
    # UTF-16 order for keys without characters beyond the Basic Multilingual Plane. Tested
    # against rfc8785 on generated data.
    text = json.dumps(ready, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return rfc8785.dumps(data)  # a lone surrogate: rfc8785 says what is wrong


class _NotPlain(Exception):
    """Data the C encoder would not write as RFC 8785 does."""


def _jcs_ready(value: Any) -> Any:
    """``value`` with each integral float as its integer (ECMAScript writes ``300``, not
    ``300.0``); :class:`_NotPlain` for what only rfc8785 writes right: another float outside
    1e-4 to 1e16, an integer beyond 2**53, a key with an astral character, another type."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if _INT_MIN <= value <= _INT_MAX:
            return value
    elif kind is float:
        if value.is_integer():
            if _INT_MIN <= value <= _INT_MAX:
                return int(value)
        elif 1e-4 <= abs(value) < 1e16:
            return value
    elif kind is dict:
        for key in value:
            if type(key) is not str or (not key.isascii() and _astral(key)):
                raise _NotPlain
        return {key: _jcs_ready(item) for key, item in value.items()}
    elif kind is list:
        return [_jcs_ready(item) for item in value]
    raise _NotPlain


def _astral(text: str) -> bool:
    return any(ord(char) > 0xFFFF for char in text)


def json_digest(data: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``data``."""
    return sha256_bytes(canonical_bytes(data))


def _as_globs(rootdir: Path, pattern: str) -> str:
    # A directory stands for everything below it; "**/*" skips hidden files like any glob.
    path = rootdir / pattern
    if not is_glob(pattern) and path.is_dir():
        return pattern.rstrip("/") + "/**/*"
    return pattern


def tree_files(
    rootdir: Path, patterns: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[list[tuple[str, Path]], list[str]]:
    """The files ``patterns`` name under ``rootdir`` (rules 1 and 2 above) as sorted
    (name, path) pairs, and the patterns that named no file."""
    patterns = list(patterns)
    globs = [_as_globs(rootdir, pattern) for pattern in patterns]
    skipped = [f"**/{folder}" for folder in sorted(SKIPPED_DIRS)]
    matched, unmatched = expand_all(rootdir, globs, [*exclude, *skipped])
    original = dict(zip(globs, patterns, strict=True))
    return matched, [original.get(match.pattern, match.pattern) for match in unmatched]


def tree_digest(rootdir: Path, patterns: Iterable[str], exclude: Iterable[str] = ()) -> TreeDigest:
    """The digest of every file ``patterns`` name under ``rootdir`` (the rules are above)."""
    matched, missing = tree_files(rootdir, patterns, exclude)
    total = hashlib.sha256()
    for name, path in matched:
        total.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return TreeDigest(
        digest="sha256:" + total.hexdigest(),
        files=tuple(name for name, _ in matched),
        missing=tuple(missing),
    )
