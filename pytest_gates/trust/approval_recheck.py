"""Re-checking, after the run, the approval a BYPASSED verdict names (``pytest-gates verify``).

The evidence of a bypassed gate cites its approval: the file (relative to the repository root),
the file's sha256, the signing key id, the kind and the expiry. A bypass holds only while that
approval does: the file is still there, byte for byte, it has not expired, and (given a trust
file or keys) its signature is by a key trusted for the kind's role.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_gates.support.digest import sha256_bytes
from pytest_gates.trust.approval import KIND_ROLE, format_time, read_approval
from pytest_gates.trust.dsse import verify_envelope
from pytest_gates.trust.errors import Refusal, abbreviate, short_keyid
from pytest_gates.trust.trustfile import Trust


def recheck_bypass(
    gate: str, fact: Mapping[str, Any], root: Path, moment: datetime, trust: Trust | None = None
) -> str | None:
    """Why the approval behind gate ``gate``'s BYPASSED verdict no longer holds, or None."""
    name = str(fact.get("file", ""))
    said = f"gate {gate}: BYPASSED by {name or 'an approval the evidence does not name'}"
    path = root / name
    if not name or not path.is_file():
        return f"{said}, which is missing: no valid approval, so no bypass"
    data = path.read_bytes()
    file = read_approval(path, name)
    keyid = str(fact.get("keyid", ""))
    signed_by = (
        file.envelope.signatures[0].keyid if file.envelope and file.envelope.signatures else ""
    )
    if sha256_bytes(data) != fact.get("sha256"):
        if signed_by and signed_by != keyid:
            return (
                f"{said}, which was re-signed by key {short_keyid(signed_by)}; the evidence "
                f"names key {short_keyid(keyid)}"
            )
        return (
            f"{said}, whose sha256 is {abbreviate(sha256_bytes(data))}; the evidence recorded "
            f"{abbreviate(str(fact.get('sha256')))} (the file was changed)"
        )
    statement = file.statement
    if file.envelope is None or statement is None:
        return f"{said}, which is not a signed approval: {file.problem}"
    if statement.expires_at <= moment:
        return f"{said}, which expired at {statement.expires} (now {format_time(moment)})"
    if trust is not None:
        role = KIND_ROLE.get(statement.kind, "approver")
        try:
            verified = verify_envelope(file.envelope, trust.keys, payload_type=None, untrusted=str)
        except Refusal as refusal:
            reason = refusal.reason if refusal.reason != signed_by else ""
            return f"{said}: {reason or trust.distrust(signed_by, role)}"
        if not trust.holds(verified, role):
            return f"{said}: {trust.distrust(verified, role)}"
    return None
