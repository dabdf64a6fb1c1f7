"""Ed25519 keys: generation, modes, loading from files and text, key ids equal securesystemslib's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from securesystemslib.signer import CryptoSigner, SSlibKey

from pytest_gates.errors import GatesError
from pytest_gates.trust import (
    KeyFileError,
    PrivateKey,
    generate_key_pair,
    keyid_of,
    load_private_key,
    load_public_key,
    private_key_from_env,
    private_key_from_pem,
    public_key_from_pem,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_writes_private_0600_and_public_by_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        pair = generate_key_pair(tmp_path / "keys", "ci")
    finally:
        os.umask(old)
    assert pair.private_path == tmp_path / "keys" / "ci.key"
    assert pair.public_path == tmp_path / "keys" / "ci.pub"
    assert _mode(pair.private_path) == 0o600
    assert _mode(pair.public_path) == 0o644
    assert pair.private_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pair.public_path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert load_private_key(pair.private_path).keyid == pair.keyid
    assert load_public_key(pair.public_path).keyid == pair.keyid
    assert not [p.name for p in (tmp_path / "keys").iterdir() if p.name.startswith(".")]


def test_private_key_stays_0600_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        pair = generate_key_pair(tmp_path)
    finally:
        os.umask(old)
    assert _mode(pair.private_path) == 0o600
    assert _mode(pair.public_path) == 0o666


def test_generate_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    first = generate_key_pair(tmp_path, "ci")
    with pytest.raises(KeyFileError) as info:
        generate_key_pair(tmp_path, "ci")
    assert str(info.value) == (
        f"{tmp_path / 'ci.key'}: already exists; choose another --name or --out, or remove it"
    )
    assert load_private_key(first.private_path).keyid == first.keyid
    again = generate_key_pair(tmp_path, "ci", overwrite=True)
    assert again.keyid != first.keyid


def test_keyid_is_what_securesystemslib_computes(tmp_path: Path) -> None:
    pair = generate_key_pair(tmp_path)
    public = serialization.load_pem_public_key(pair.public_path.read_bytes())
    assert SSlibKey.from_crypto(public).keyid == pair.keyid
    signer = CryptoSigner.from_priv_key_uri(
        f"file2:{pair.private_path}", SSlibKey.from_crypto(public)
    )
    assert signer.public_key.keyid == pair.keyid
    # And the other way round: a key securesystemslib made, read through our PEM loader.
    generated = CryptoSigner.generate_ed25519()
    raw = bytes.fromhex(generated.public_key.keyval["public"])
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ours = public_key_from_pem(pem, "generated")
    assert ours.keyid == keyid_of(ours.key) == generated.public_key.keyid


def test_private_key_from_text_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = PrivateKey.generate()
    text = key.pem().decode()
    assert private_key_from_pem(text, "$X").keyid == key.keyid
    monkeypatch.setenv("GATES_SIGN_KEY", text)
    assert private_key_from_env("GATES_SIGN_KEY").keyid == key.keyid
    assert private_key_from_env("K", {"K": text}).keyid == key.keyid


def test_unset_environment_variable_is_named() -> None:
    with pytest.raises(KeyFileError) as info:
        private_key_from_env("GATES_SIGN_KEY", {})
    assert str(info.value) == (
        "$GATES_SIGN_KEY: expected an Ed25519 private key in PEM, found an unset or empty variable"
    )


def _rsa_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file (expected an Ed25519 private key in PEM)"),
        (b"", "expected an Ed25519 private key in PEM, found an empty text"),
        (b"hello", "expected an Ed25519 private key in PEM, found text that is not PEM"),
        (
            "public",
            "expected an Ed25519 private key in PEM, found a public key (give the .key file)",
        ),
        ("rsa", "expected an Ed25519 private key, found an RSA key"),
        (
            "encrypted",
            "expected an unencrypted Ed25519 private key, found an encrypted one "
            "(keep the key unencrypted in a CI secret or a 0600 file)",
        ),
    ],
)
def test_bad_private_key_names_file_and_expectation(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "ci.key"
    key = PrivateKey.generate()
    if content == "public":
        path.write_bytes(key.public.pem())
    elif content == "rsa":
        path.write_bytes(_rsa_pem()[0])
    elif content == "encrypted":
        path.write_bytes(
            key.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            )
        )
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(KeyFileError) as info:
        load_private_key(path, "keys/ci.key")
    assert str(info.value) == f"keys/ci.key: {message}"
    assert isinstance(info.value, GatesError)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file (expected an Ed25519 public key in PEM)"),
        (
            "private",
            "expected an Ed25519 public key in PEM, found a private key (give the .pub file)",
        ),
        ("rsa", "expected an Ed25519 public key, found an RSA key"),
        ("ec", "expected an Ed25519 public key, found an EC key"),
        ("dir", "expected an Ed25519 public key in PEM, found a directory"),
    ],
)
def test_bad_public_key_names_file_and_expectation(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "ci.pub"
    if content == "private":
        path.write_bytes(PrivateKey.generate().pem())
    elif content == "rsa":
        path.write_bytes(_rsa_pem()[1])
    elif content == "ec":
        path.write_bytes(
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    elif content == "dir":
        path.mkdir()
    with pytest.raises(KeyFileError) as info:
        load_public_key(path, "keys/ci.pub")
    assert str(info.value) == f"keys/ci.pub: {message}"
