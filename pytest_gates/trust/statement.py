"""in-toto Statements (v1): subjects, canonical bytes, and reading one back from a payload.

https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md. A decision is about a
commit and a manifest, so those are the two subjects every statement of ours carries: the commit
with the standard ``gitCommit`` digest of in-toto's digest set, the manifest with ``sha256``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_gates.support.digest import canonical_json
from pytest_gates.trust.errors import Refusal

STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
#: The name of the commit subject; its digest is ``{"gitCommit": <sha>}``.
COMMIT_SUBJECT: Final = "git-commit"
#: A git object id: SHA-1 (40 hex digits) or SHA-256 (64).
COMMIT_PATTERN: Final = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
#: Our digests are written ``sha256:<64 hex>``; in a digest set the algorithm is the key.
DIGEST_PATTERN: Final = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Subject:
    """A resource the statement is about: a name and its digest set."""

    name: str
    digest: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "digest": dict(self.digest)}


def commit_subject(commit: str) -> Subject:
    """The subject naming a git commit (``gitCommit`` is in-toto's digest key for a commit id)."""
    if not COMMIT_PATTERN.match(commit):
        raise ValueError(f"expected a full git commit id (40 or 64 hex digits), found {commit!r}")
    return Subject(COMMIT_SUBJECT, {"gitCommit": commit})


def file_subject(path: str, digest: str) -> Subject:
    """The subject naming a file of the repository by its POSIX path and ``sha256:<hex>`` digest."""
    return Subject(path, {"sha256": digest_hex(digest)})


def digest_hex(digest: str) -> str:
    """``<hex>`` of a ``sha256:<hex>`` digest (the value of a digest set's ``sha256`` key)."""
    if not DIGEST_PATTERN.match(digest):
        raise ValueError(f"expected sha256:<64 hex digits>, found {digest!r}")
    return digest.removeprefix("sha256:")


@dataclass(frozen=True)
class Statement:
    """An in-toto Statement v1: subjects, a predicate type and its predicate."""

    subject: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "_type": STATEMENT_TYPE,
            "subject": [s.as_dict() for s in self.subject],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }

    def canonical_bytes(self) -> bytes:
        """Sorted keys, no whitespace, UTF-8: the same statement gives the same bytes."""
        return canonical_json(self.as_dict()).encode("utf-8")

    def commit(self) -> str | None:
        """The ``gitCommit`` of the commit subject, if there is one."""
        for subject in self.subject:
            if "gitCommit" in subject.digest:
                return subject.digest["gitCommit"]
        return None

    def digest_of(self, name: str) -> str | None:
        """``sha256:<hex>`` of the subject called ``name``, if it has a sha256 digest."""
        for subject in self.subject:
            if subject.name == name and "sha256" in subject.digest:
                return "sha256:" + subject.digest["sha256"]
        return None

    @classmethod
    def from_bytes(cls, payload: bytes, predicate_type: str | None = None) -> Statement:
        """Read a statement from a payload; anything else is a ``statement`` refusal.

        With ``predicate_type``, a statement of another type is refused too.
        """
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise Refusal(
                "statement", "expected an in-toto Statement, found a payload that is not JSON"
            ) from None
        if not isinstance(data, dict) or data.get("_type") != STATEMENT_TYPE:
            found = data.get("_type") if isinstance(data, dict) else None
            raise Refusal("statement", f"expected _type {STATEMENT_TYPE}, found {found!r}")
        subjects = data.get("subject")
        if not isinstance(subjects, list) or not subjects:
            raise Refusal("statement", "expected a non-empty subject list")
        parsed: list[Subject] = []
        for index, entry in enumerate(subjects):
            digest = entry.get("digest") if isinstance(entry, dict) else None
            name = entry.get("name", "") if isinstance(entry, dict) else None
            if (
                not isinstance(name, str)
                or not isinstance(digest, dict)
                or not digest
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in digest.items())
            ):
                raise Refusal("statement", f"subject[{index}]: expected a name and a digest set")
            parsed.append(Subject(name, dict(digest)))
        kind = data.get("predicateType")
        if not isinstance(kind, str):
            raise Refusal("statement", "expected a predicateType string")
        if predicate_type is not None and kind != predicate_type:
            raise Refusal("statement", f"expected predicateType {predicate_type}, found {kind}")
        predicate = data.get("predicate", {})
        if not isinstance(predicate, dict):
            raise Refusal("statement", "expected the predicate to be an object")
        return cls(tuple(parsed), kind, predicate)
