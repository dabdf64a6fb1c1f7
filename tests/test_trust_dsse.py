"""DSSE envelopes: PAE as the spec defines it, our signatures, and securesystemslib agreeing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from pytest_gates.trust import (
    INTOTO_PAYLOAD_TYPE,
    Envelope,
    PrivateKey,
    PublicKey,
    Refusal,
    pae,
    sign_envelope,
    verify_envelope,
)

PAYLOAD = b'{"_type":"https://in-toto.io/Statement/v1","subject":[]}'


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def other() -> PrivateKey:
    return PrivateKey.generate()


def _sslib_key(public: PublicKey) -> SSlibKey:
    # securesystemslib builds its key from our PEM with its own API.
    return SSlibKey.from_crypto(load_pem_public_key(public.pem()))


def _sslib_verifies(envelope_json: bytes, public: PublicKey) -> bool:
    try:
        SslibEnvelope.from_dict(json.loads(envelope_json)).verify([_sslib_key(public)], 1)
    except VerificationError:
        return False
    return True


def _trusted(*keys: PrivateKey) -> dict[str, PublicKey]:
    return {k.keyid: k.public for k in keys}


def _edit(envelope_json: bytes, **changes: Any) -> bytes:
    data = json.loads(envelope_json)
    data.update(changes)
    return json.dumps(data).encode()


def test_pae_is_the_spec_encoding() -> None:
    # The example of the DSSE protocol document.
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae("", b"") == b"DSSEv1 0  0 "
    assert pae("t\u00e9", b"x") == b"DSSEv1 3 t\xc3\xa9 1 x"


def test_pae_equals_securesystemslib(key: PrivateKey) -> None:
    assert SslibEnvelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, {}).pae() == pae(
        INTOTO_PAYLOAD_TYPE, PAYLOAD
    )


def test_envelope_shape_and_determinism(key: PrivateKey) -> None:
    first = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    assert first == sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    data = json.loads(first)
    assert sorted(data) == ["payload", "payloadType", "signatures"]
    assert base64.b64decode(data["payload"]) == PAYLOAD
    assert data["payloadType"] == INTOTO_PAYLOAD_TYPE
    assert [s["keyid"] for s in data["signatures"]] == [key.keyid]
    assert Envelope.from_json(first) == sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key)


def test_securesystemslib_accepts_our_envelope(key: PrivateKey) -> None:
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    accepted = SslibEnvelope.from_dict(json.loads(envelope)).verify([_sslib_key(key.public)], 1)
    assert list(accepted) == [key.keyid]
    assert verify_envelope(Envelope.from_json(envelope), _trusted(key)) == key.keyid


def test_we_accept_a_securesystemslib_envelope(key: PrivateKey) -> None:
    private = load_pem_private_key(key.pem(), password=None)
    signer = CryptoSigner(private, _sslib_key(key.public))
    theirs = SslibEnvelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, {})
    theirs.sign(signer)
    envelope = Envelope.from_dict(theirs.to_dict())
    assert verify_envelope(envelope, _trusted(key)) == key.keyid
    assert envelope == sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key)


def test_changed_payload_byte_is_refused_by_both(key: PrivateKey) -> None:
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    changed = bytearray(PAYLOAD)
    changed[-3] ^= 0x01
    tampered = _edit(envelope, payload=base64.b64encode(bytes(changed)).decode())
    assert not _sslib_verifies(tampered, key.public)
    with pytest.raises(Refusal) as info:
        verify_envelope(Envelope.from_json(tampered), _trusted(key))
    assert str(info.value) == (
        f"signature: the signature by key {key.keyid[:12]}... does not match the payload"
    )


def test_another_key_is_refused_by_both(key: PrivateKey, other: PrivateKey) -> None:
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, other).to_json()
    assert not _sslib_verifies(envelope, key.public)
    with pytest.raises(Refusal) as info:
        verify_envelope(Envelope.from_json(envelope), _trusted(key))
    assert str(info.value) == (
        f"signature: signed by key {other.keyid[:12]}..., which is not a trusted key"
    )


def test_swapped_signature_is_refused_by_both(key: PrivateKey) -> None:
    # The signature of another payload, moved onto this one, under the right key id.
    elsewhere = sign_envelope(b'{"other":1}', INTOTO_PAYLOAD_TYPE, key).to_json()
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    swapped = _edit(envelope, signatures=json.loads(elsewhere)["signatures"])
    assert not _sslib_verifies(swapped, key.public)
    with pytest.raises(Refusal) as info:
        verify_envelope(Envelope.from_json(swapped), _trusted(key))
    assert info.value.part == "signature"
    assert "does not match the payload" in str(info.value)


def test_signature_over_another_payload_type_is_refused(key: PrivateKey) -> None:
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json()
    relabelled = _edit(envelope, payloadType="application/json")
    assert not _sslib_verifies(relabelled, key.public)
    with pytest.raises(Refusal) as info:
        verify_envelope(Envelope.from_json(relabelled), _trusted(key))
    assert str(info.value) == (
        "payloadType: expected application/vnd.in-toto+json, found application/json"
    )
    with pytest.raises(Refusal, match="does not match the payload"):
        verify_envelope(Envelope.from_json(relabelled), _trusted(key), payload_type=None)


def test_empty_keyid_is_tried_against_every_trusted_key(key: PrivateKey, other: PrivateKey) -> None:
    envelope = json.loads(sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key).to_json())
    envelope["signatures"][0]["keyid"] = ""
    parsed = Envelope.from_dict(envelope)
    assert verify_envelope(parsed, _trusted(other, key)) == key.keyid
    with pytest.raises(Refusal) as info:
        verify_envelope(parsed, _trusted(other))
    assert (
        str(info.value) == "signature: the signature by key (no key id) does not match the payload"
    )


def test_url_safe_base64_is_read(key: PrivateKey) -> None:
    envelope = sign_envelope(PAYLOAD, INTOTO_PAYLOAD_TYPE, key)
    data = envelope.as_dict()
    data["payload"] = base64.urlsafe_b64encode(PAYLOAD).decode().rstrip("=")
    assert Envelope.from_dict(data) == envelope


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[]", "envelope: expected a JSON object with payload, payloadType and signatures"),
        (b'{"payloadType": "x", "signatures": []}', "envelope: missing required key 'payload'"),
        (
            b'{"payload": "!!", "payloadType": "x", "signatures": []}',
            "envelope: payload: expected base64, found '!!'",
        ),
        (
            b'{"payload": "", "payloadType": "x", "signatures": {}}',
            "envelope: signatures: expected a list",
        ),
        (
            b'{"payload": "", "payloadType": "x", "signatures": [{"keyid": "a"}]}',
            "envelope: signatures[0]: expected an object with keyid and sig",
        ),
        (
            b'{"payload": "", "payloadType": 3, "signatures": []}',
            "envelope: payloadType: expected a string",
        ),
    ],
)
def test_malformed_envelopes_are_refused(text: bytes, message: str) -> None:
    with pytest.raises(Refusal) as info:
        Envelope.from_json(text)
    assert str(info.value) == message


def test_invalid_json_and_no_signature_are_refused(key: PrivateKey) -> None:
    with pytest.raises(
        Refusal, match=r"^envelope: expected DSSE envelope JSON, found invalid JSON"
    ):
        Envelope.from_json(b"{")
    unsigned = Envelope(INTOTO_PAYLOAD_TYPE, PAYLOAD, ())
    with pytest.raises(Refusal) as info:
        verify_envelope(unsigned, _trusted(key))
    assert str(info.value) == "signature: the envelope has no signature"
