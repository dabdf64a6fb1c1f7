"""Ed25519 keys: generate a pair, load a private or public key from PEM, and name a key by its id.

The key id is the one securesystemslib (and so the in-toto and DSSE tools built on it) computes for
the same public key: the sha256 hex of the canonical JSON of
``{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": <raw public key, hex>}}``.
The values are plain ASCII, so our canonical JSON and OLPC canonical JSON give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import canonical_json
from pytest_gates.trust.errors import KeyFileError

#: The securesystemslib key type and signing scheme of an Ed25519 key.
KEY_TYPE: Final = "ed25519"
KEY_SCHEME: Final = "ed25519"
#: Mode of a written private key: readable by its owner only, whatever the umask.
PRIVATE_KEY_MODE: Final = 0o600
PRIVATE_SUFFIX: Final = ".key"
PUBLIC_SUFFIX: Final = ".pub"


def keyid_of(public: Ed25519PublicKey) -> str:
    """The securesystemslib key id of an Ed25519 public key (see the module docstring)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = {"keytype": KEY_TYPE, "scheme": KEY_SCHEME, "keyval": {"public": raw.hex()}}
    return hashlib.sha256(canonical_json(key).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key and its key id."""

    key: Ed25519PublicKey
    #: sha256 hex, as securesystemslib computes it.
    keyid: str

    @classmethod
    def of(cls, key: Ed25519PublicKey) -> PublicKey:
        return cls(key, keyid_of(key))

    def pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM, the form ``keygen`` writes and a trust file holds."""
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``data``."""
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class PrivateKey:
    """An Ed25519 private key, its public half and key id. Signatures are deterministic."""

    key: Ed25519PrivateKey
    public: PublicKey

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> PrivateKey:
        return cls(key, PublicKey.of(key.public_key()))

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls.of(Ed25519PrivateKey.generate())

    @property
    def keyid(self) -> str:
        return self.public.keyid

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM: a CI secret holds it as it is."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class KeyPair:
    """Where :func:`generate_key_pair` wrote a key pair, and its key id."""

    private_path: Path
    public_path: Path
    key: PrivateKey

    @property
    def keyid(self) -> str:
        return self.key.keyid


def generate_key_pair(out_dir: Path, name: str = "gates", *, overwrite: bool = False) -> KeyPair:
    """Write ``<out_dir>/<name>.key`` (mode 0600) and ``<name>.pub`` (mode by umask).

    Raises :class:`KeyFileError` when either file exists and ``overwrite`` is false: a key that
    is overwritten by accident cannot be recovered.
    """
    private_path = out_dir / f"{name}{PRIVATE_SUFFIX}"
    public_path = out_dir / f"{name}{PUBLIC_SUFFIX}"
    if not overwrite:
        for path in (private_path, public_path):
            if path.exists():
                raise KeyFileError(
                    str(path), "already exists; choose another --name or --out, or remove it"
                )
    key = PrivateKey.generate()
    atomic_write(private_path, key.pem(), PRIVATE_KEY_MODE)
    atomic_write(public_path, key.public.pem())
    return KeyPair(private_path, public_path, key)


def private_key_from_pem(text: bytes | str, source: str) -> PrivateKey:
    """An Ed25519 private key from PEM text; ``source`` (a file, ``$VAR``) names it in errors."""
    data = _pem_bytes(text, source, "private")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            source,
            "expected an unencrypted Ed25519 private key, found an encrypted one "
            "(keep the key unencrypted in a CI secret or a 0600 file)",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(source, _mismatch("private", data)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            source, f"expected an Ed25519 private key, found {_algorithm(type(key).__name__)}"
        )
    return PrivateKey.of(key)


def public_key_from_pem(text: bytes | str, source: str) -> PublicKey:
    """An Ed25519 public key from PEM text; ``source`` (a file, ``$VAR``) names it in errors."""
    data = _pem_bytes(text, source, "public")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(source, _mismatch("public", data)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(
            source, f"expected an Ed25519 public key, found {_algorithm(type(key).__name__)}"
        )
    return PublicKey.of(key)


def load_private_key(path: Path, display: str | None = None) -> PrivateKey:
    """The Ed25519 private key in the PEM file ``path``."""
    source = display or str(path)
    return private_key_from_pem(_read(path, source, "private"), source)


def load_public_key(path: Path, display: str | None = None) -> PublicKey:
    """The Ed25519 public key in the PEM file ``path``."""
    source = display or str(path)
    return public_key_from_pem(_read(path, source, "public"), source)


def private_key_from_env(variable: str, environ: Mapping[str, str] | None = None) -> PrivateKey:
    """The private key whose PEM text the environment variable ``variable`` holds (a CI secret)."""
    env = os.environ if environ is None else environ
    text = env.get(variable)
    if not text or not text.strip():
        raise KeyFileError(
            f"${variable}",
            "expected an Ed25519 private key in PEM, found an unset or empty variable",
        )
    return private_key_from_pem(text, f"${variable}")


def signing_key(
    path: Path | None,
    variable: str | None,
    *,
    display: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> PrivateKey | None:
    """The key to sign with: from the PEM file ``path`` or the environment ``variable``.

    None when neither is given; :class:`KeyFileError` when both are (one decision, one key).
    """
    if path is not None and variable:
        raise KeyFileError(
            display or str(path),
            f"a signing key is given twice (a file and ${variable}); give one of them",
        )
    if path is not None:
        return load_private_key(path, display)
    if variable:
        return private_key_from_env(variable, environ)
    return None


def _read(path: Path, source: str, half: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            source, f"no such file (expected an Ed25519 {half} key in PEM)"
        ) from None
    except IsADirectoryError:
        raise KeyFileError(
            source, f"expected an Ed25519 {half} key in PEM, found a directory"
        ) from None
    except OSError as exc:
        raise KeyFileError(source, f"cannot read: {exc.strerror}") from None


def _pem_bytes(text: bytes | str, source: str, half: str) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if b"-----BEGIN " not in data:
        shown = "an empty text" if not data.strip() else "text that is not PEM"
        raise KeyFileError(source, f"expected an Ed25519 {half} key in PEM, found {shown}")
    return data


def _mismatch(half: str, data: bytes) -> str:
    # Any "... PRIVATE KEY-----" block (PKCS#8, RSA, EC, OpenSSH) is a private key.
    other, marker, hint = (
        ("public", b"-----BEGIN PUBLIC KEY-----", ".key")
        if half == "private"
        else ("private", b"PRIVATE KEY-----", ".pub")
    )
    if marker in data:
        return f"expected an Ed25519 {half} key in PEM, found a {other} key (give the {hint} file)"
    return f"expected an Ed25519 {half} key in PEM, found PEM that is not a usable {half} key"


def _algorithm(class_name: str) -> str:
    # "RSAPrivateKey" / "ECPublicKey" / "Ed448PrivateKey" -> "an RSA key" / "an EC key" / ...
    name = class_name.lstrip("_")
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    article = "an" if name[:1].upper() in "AEIOU" or name.startswith(("RSA", "X")) else "a"
    return f"{article} {name} key"
