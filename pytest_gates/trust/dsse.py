"""DSSE envelopes (v1): the pre-authentication encoding, signing, and verification against keys.

An envelope is ``{"payload": <base64>, "payloadType": <type>, "signatures": [{"keyid", "sig"}]}``;
what is signed is ``PAE(payloadType, payload)``, exactly as the DSSE specification defines it::

    "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

with LEN the ASCII decimal byte length. https://github.com/secure-systems-lab/dsse
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_gates.support.digest import canonical_json
from pytest_gates.trust.errors import Refusal, short_keyid

if TYPE_CHECKING:  # annotations only: keys (and cryptography) load when a key is used
    from pytest_gates.trust.keys import PrivateKey, PublicKey

#: The payload type of an in-toto Statement.
INTOTO_PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """The pre-authentication encoding of ``payload``: the bytes a DSSE signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope: the signing key's id (may be empty) and the raw bytes."""

    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope with its payload decoded."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [
                {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
                for s in self.signatures
            ],
        }

    def to_json(self) -> bytes:
        """Canonical JSON (sorted keys, no whitespace): the same envelope gives the same bytes."""
        return canonical_json(self.as_dict()).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Envelope:
        """Parse an envelope; anything but a well-formed DSSE envelope is an ``envelope`` refusal."""
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal(
                "envelope", f"expected DSSE envelope JSON, found invalid JSON ({exc})"
            ) from None
        return cls.from_dict(parsed)

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, dict):
            raise Refusal(
                "envelope", "expected a JSON object with payload, payloadType and signatures"
            )
        missing = [k for k in ("payload", "payloadType", "signatures") if k not in data]
        if missing:
            raise Refusal("envelope", f"missing required key '{missing[0]}'")
        payload_type = data["payloadType"]
        if not isinstance(payload_type, str):
            raise Refusal("envelope", "payloadType: expected a string")
        payload = _b64("payload", data["payload"])
        raw_signatures = data["signatures"]
        if not isinstance(raw_signatures, list):
            raise Refusal("envelope", "signatures: expected a list")
        signatures: list[Signature] = []
        for index, entry in enumerate(raw_signatures):
            where = f"signatures[{index}]"
            if not isinstance(entry, dict) or "sig" not in entry:
                raise Refusal("envelope", f"{where}: expected an object with keyid and sig")
            keyid = entry.get("keyid", "")
            if not isinstance(keyid, str):
                raise Refusal("envelope", f"{where}.keyid: expected a string")
            signatures.append(Signature(keyid, _b64(f"{where}.sig", entry["sig"])))
        return cls(payload_type, payload, tuple(signatures))


def _b64(where: str, value: Any) -> bytes:
    # DSSE allows standard or URL-safe base64; securesystemslib writes standard with padding.
    if not isinstance(value, str):
        raise Refusal("envelope", f"{where}: expected a base64 string")
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("envelope", f"{where}: expected base64, found {value[:20]!r}") from None


def sign_envelope(payload: bytes, payload_type: str, key: PrivateKey) -> Envelope:
    """An envelope over ``payload`` with one signature by ``key`` (Ed25519: deterministic)."""
    return Envelope(
        payload_type, payload, (Signature(key.keyid, key.sign(pae(payload_type, payload))),)
    )


def _not_trusted(keyid: str) -> str:
    return f"signed by key {short_keyid(keyid)}, which is not a trusted key"


def verify_envelope(
    envelope: Envelope,
    trusted: Mapping[str, PublicKey],
    payload_type: str | None = INTOTO_PAYLOAD_TYPE,
    untrusted: Callable[[str], str] = _not_trusted,
) -> str:
    """The id of the trusted key whose signature over the envelope holds.

    ``trusted`` maps key id to key. A signature with an empty key id is tried against every
    trusted key. Refusals, checked in this order:

    * ``payloadType: expected ..., found ...`` when ``payload_type`` is given and differs;
    * ``signature: the envelope has no signature``;
    * ``signature: the signature by key K does not match the payload`` when a trusted key's
      signature is present but wrong (a changed payload, a swapped signature);
    * ``signature: <untrusted(K)>`` when every signature is by a key not in ``trusted``.
    """
    if payload_type is not None and envelope.payload_type != payload_type:
        raise Refusal(
            "payloadType", f"expected {payload_type}, found {envelope.payload_type or 'nothing'}"
        )
    if not envelope.signatures:
        raise Refusal("signature", "the envelope has no signature")
    message = pae(envelope.payload_type, envelope.payload)
    bad: list[str] = []
    for signature in envelope.signatures:
        candidates = _candidates(signature.keyid, trusted)
        for key in candidates:
            if key.verifies(signature.sig, message):
                return key.keyid
        if candidates:
            bad.append(signature.keyid)
    if bad:
        raise Refusal(
            "signature", f"the signature by key {short_keyid(bad[0])} does not match the payload"
        )
    raise Refusal("signature", untrusted(envelope.signatures[0].keyid))


def _candidates(keyid: str, trusted: Mapping[str, PublicKey]) -> list[PublicKey]:
    # A signature names its key; one without a key id (DSSE allows it) may be by any of them.
    if not keyid:
        return list(trusted.values())
    return [trusted[keyid]] if keyid in trusted else []
