"""Signed approvals: the statement, its DSSE envelope, and the approvals folder.

An approval is a human decision about gates, bound to one commit and one manifest, signed and
expiring. ``pytest-gates approve`` writes one file per approval into the approvals folder
(``approvals/`` by default)::

    approvals/<kind>.<first gate>.<16 hex digits of the payload's sha256>.json

Each file is a DSSE envelope (payload type :data:`APPROVAL_PAYLOAD_TYPE`) over the canonical JSON
of an :class:`ApprovalStatement`. The name depends only on the statement, so signing the same
statement again gives the same file. Checking approvals against a gate, the trust file, the
subject and the clock is :mod:`pytest_gates.trust.approval_check`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import canonical_json, sha256_bytes
from pytest_gates.trust.dsse import Envelope, sign_envelope
from pytest_gates.trust.errors import Refusal

if TYPE_CHECKING:  # annotations only: keys (and cryptography) load when a key is used
    from pytest_gates.trust.keys import PrivateKey

#: The DSSE payload type of an approval.
APPROVAL_PAYLOAD_TYPE: Final = "application/vnd.pytest-gates.approval+json"
APPROVAL_SCHEMA: Final = "pytest-gates/approval/v1"
#: Where approvals are written and read, relative to the repository root.
DEFAULT_APPROVALS_DIR: Final = "approvals"
#: How an approval's times are written: UTC, whole seconds.
TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

#: ``approve``: a gate that requires approval may pass; ``override``: a failed gate becomes
#: BYPASSED; ``emergency``: the gate is skipped, BYPASSED; ``review``: a reviewing gate passes.
ApprovalKind = Literal["approve", "override", "emergency", "review"]
APPROVAL_KINDS: Final[tuple[ApprovalKind, ...]] = get_args(ApprovalKind)
#: The kinds that bypass a gate.
BYPASS_KINDS: Final = frozenset({"override", "emergency"})
#: The trust-file role each kind needs (``approve`` and ``review`` take the gate's roles).
KIND_ROLE: Final[dict[str, str]] = {
    "approve": "approver",
    "override": "approver",
    "emergency": "operator",
    "review": "reviewer",
}


def format_time(moment: datetime) -> str:
    """A time as approvals write it: ``2026-11-30T10:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`; raises ``ValueError``."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


class ApprovalStatement(BaseModel):
    """What an approval says: who (key id) decided what (kind) about which gates, for which
    commit and manifest, why, and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    schema_: Literal["pytest-gates/approval/v1"] = Field(default=APPROVAL_SCHEMA, alias="schema")
    kind: ApprovalKind
    gates: list[str] = Field(min_length=1)
    commit: str = Field(pattern=r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
    manifest_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    keyid: str = Field(pattern=r"^[0-9a-f]{64}$")
    issued: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    expires: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    reason: str = Field(min_length=1, max_length=2000)

    def payload(self) -> bytes:
        """The canonical JSON bytes an envelope signs."""
        return canonical_json(self.model_dump(mode="json", by_alias=True)).encode("utf-8")

    def filename(self) -> str:
        """The file name of this approval in the approvals folder (deterministic)."""
        digest = sha256_bytes(self.payload()).removeprefix("sha256:")
        return f"{self.kind}.{self.gates[0]}.{digest[:16]}.json"

    @property
    def issued_at(self) -> datetime:
        return parse_time(self.issued)

    @property
    def expires_at(self) -> datetime:
        return parse_time(self.expires)


def sign_approval(statement: ApprovalStatement, key: PrivateKey) -> Envelope:
    """The DSSE envelope over ``statement``, signed by ``key`` (whose id it must name)."""
    if statement.keyid != key.keyid:
        raise ValueError(f"the statement names key {statement.keyid}, the key is {key.keyid}")
    return sign_envelope(statement.payload(), APPROVAL_PAYLOAD_TYPE, key)


def write_approval(folder: Path, statement: ApprovalStatement, key: PrivateKey) -> Path:
    """Sign ``statement`` and write it atomically into ``folder``; the file written."""
    envelope = sign_approval(statement, key)
    path = folder / statement.filename()
    atomic_write(path, envelope.to_json() + b"\n")
    return path


@dataclass(frozen=True)
class ApprovalFile:
    """One file of the approvals folder, read: its envelope and statement, or why it is not one.

    The statement is read from the payload without checking the signature: that is the
    checker's part, against the trust file.
    """

    #: The file as messages name it (``approvals/override.deploy.1a2b3c4d5e6f7a8b.json``).
    name: str
    #: ``sha256:<hex>`` of the file's bytes.
    sha256: str
    envelope: Envelope | None
    statement: ApprovalStatement | None
    #: Why the file is not a readable approval (None when it is).
    problem: str | None = None

    def names(self, gate_id: str) -> bool:
        """Whether the file is about ``gate_id`` (an unreadable file is about no gate)."""
        return self.statement is not None and gate_id in self.statement.gates


def read_approval(path: Path, name: str) -> ApprovalFile:
    """Read one approval file; a file that is not one is returned with its ``problem``."""
    data = path.read_bytes()
    digest = sha256_bytes(data)
    try:
        envelope = Envelope.from_json(data)
    except Refusal as refusal:
        return ApprovalFile(name, digest, None, None, f"not a DSSE envelope: {refusal.reason}")
    if envelope.payload_type != APPROVAL_PAYLOAD_TYPE:
        return ApprovalFile(
            name,
            digest,
            envelope,
            None,
            f"expected payload type {APPROVAL_PAYLOAD_TYPE}, found {envelope.payload_type}",
        )
    try:
        statement = ApprovalStatement.model_validate(json.loads(envelope.payload))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        return ApprovalFile(name, digest, envelope, None, f"not an approval statement: {first}")
    return ApprovalFile(name, digest, envelope, statement)


def load_approvals(folder: Path, display: str) -> list[ApprovalFile]:
    """Every ``*.json`` file of ``folder`` (none when it does not exist), sorted by name.

    ``display`` is how messages name the folder (``approvals``).
    """
    if not folder.is_dir():
        return []
    return [
        read_approval(path, f"{display.rstrip('/')}/{path.name}")
        for path in sorted(folder.glob("*.json"))
        if path.is_file()
    ]
