"""The trust file (``manifests/trust.yaml``): who may sign what.

Each identity has an id, its public keys (a PEM file relative to the repository, inline PEM, or a
bare key id whose key is given elsewhere, e.g. ``verify --key``), its roles, and the git author
emails that are this identity::

    version: 1
    identities:
      - id: ci
        roles: [release]
        keys: [{path: keys/ci.pub}]
      - id: alice
        roles: [approver, reviewer]
        keys: [{keyid: 3f2a...}]
        emails: [alice@example.com]

Problems are reported like a manifest's: the file and line, a breadcrumb that names identities by
id (``identities[id='ci'].roles[0]``), then what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pytest_gates.model.document import Document, precheck, read_document
from pytest_gates.support.paths import RelPath
from pytest_gates.trust.errors import KeyFileError, TrustFileError, short_keyid
from pytest_gates.trust.keys import PublicKey, load_public_key, public_key_from_pem

TRUST_VERSION: Final = 1
DEFAULT_TRUST_PATH: Final = "manifests/trust.yaml"

Role = Literal["release", "approver", "operator", "reviewer"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
KEYID_PATTERN: Final = r"^[0-9a-f]{64}$"
IdentityId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class KeyRef(_Strict):
    """One public key of an identity: exactly one of ``path``, ``pem`` or ``keyid``."""

    #: A PEM file, relative to the repository root, inside it.
    path: RelPath | None = None
    #: The PEM text itself.
    pem: str | None = None
    #: The securesystemslib key id (64 hex digits) of a key given elsewhere.
    keyid: Annotated[str, Field(pattern=KEYID_PATTERN)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> KeyRef:
        given = [name for name in ("path", "pem", "keyid") if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"expected exactly one of path, pem or keyid, found {found}")
        return self


class IdentityEntry(_Strict):
    """A person or a machine that may sign: its keys, its roles, its git author emails."""

    id: IdentityId
    keys: list[KeyRef] = Field(min_length=1)
    roles: list[Role] = Field(default_factory=list)
    #: Git author emails of this identity (commits by these emails are this identity's).
    emails: list[Email] = Field(default_factory=list)


class TrustFileModel(_Strict):
    """The trust file: a version and the identities it trusts."""

    version: Literal[1]
    identities: list[IdentityEntry]


@dataclass(frozen=True)
class Identity:
    """An identity of a loaded trust file, its keys resolved to key ids."""

    id: str
    roles: frozenset[str]
    keyids: tuple[str, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Trust:
    """A loaded trust file: who holds which key and which role. Query it, do not mutate it."""

    #: How messages name the trust file (``manifests/trust.yaml``, or the ``--key`` file).
    source: str
    identities: tuple[Identity, ...]
    #: The public keys known in full, by key id (keys named by id only are absent until given).
    keys: Mapping[str, PublicKey] = field(default_factory=dict)

    @classmethod
    def from_keys(
        cls, keys: Iterable[PublicKey], source: str, roles: Iterable[str] = ROLES
    ) -> Trust:
        """Trust these keys for ``roles``: what ``verify --key PUB`` means without a trust file."""
        keys = list(keys)
        identity = Identity("key", frozenset(roles), tuple(k.keyid for k in keys), ())
        return cls(source, (identity,), {k.keyid: k for k in keys})

    def with_keys(self, keys: Iterable[PublicKey]) -> Trust:
        """This trust, with full keys for identities that name them by key id only.

        Keys that no identity names are ignored: giving a key never adds trust.
        """
        named = {keyid for identity in self.identities for keyid in identity.keyids}
        extra = {k.keyid: k for k in keys if k.keyid in named}
        return Trust(self.source, self.identities, {**self.keys, **extra})

    def identity_of(self, keyid: str) -> Identity | None:
        """The identity holding key ``keyid``, if any."""
        for identity in self.identities:
            if keyid in identity.keyids:
                return identity
        return None

    def identity_for_email(self, email: str) -> Identity | None:
        """The identity a git author email belongs to (case-insensitive), if any."""
        wanted = email.casefold()
        for identity in self.identities:
            if any(e.casefold() == wanted for e in identity.emails):
                return identity
        return None

    def holds(self, keyid: str, role: str) -> bool:
        """Whether key ``keyid`` belongs to an identity holding ``role``."""
        identity = self.identity_of(keyid)
        return identity is not None and role in identity.roles

    def keys_for(self, role: str) -> dict[str, PublicKey]:
        """The full public keys trusted for ``role``, by key id."""
        return {keyid: key for keyid, key in self.keys.items() if self.holds(keyid, role)}

    def distrust(self, keyid: str, role: str) -> str:
        """Why a signature by ``keyid`` is not trusted for ``role``, in one line."""
        identity = self.identity_of(keyid)
        if identity is None:
            return (
                f"signed by key {short_keyid(keyid)} which {self.source} does not trust for {role}"
            )
        if role in identity.roles:
            return (
                f"signed by key {short_keyid(keyid)} of identity '{identity.id}', whose public "
                f"key is not given (pass it with --key)"
            )
        held = ", ".join(sorted(identity.roles)) or "no role"
        return (
            f"signed by key {short_keyid(keyid)} which {self.source} does not trust for {role} "
            f"(identity '{identity.id}' holds {held})"
        )


#: What a trust file that does not exist is called.
MISSING: Final = "no such file (expected a trust file naming identities)"


def load_trust(path: Path, root_dir: Path, display: str | None = None) -> Trust:
    """Load and validate a trust file; ``path`` entries resolve against ``root_dir``.

    Every problem found is raised at once as a :class:`TrustFileError` whose lines read
    ``<file>:<line>: <breadcrumb>: <what was expected>, found <what was there>``.
    """
    doc = read_document(path, display or str(path), TrustFileError, missing=MISSING)
    problems = precheck(
        doc,
        version=TRUST_VERSION,
        reader="trust file",
        expected="a mapping with version and identities",
    )
    if problems:
        raise TrustFileError(doc.filename, problems)
    try:
        model = TrustFileModel.model_validate(doc.data)
    except ValidationError as exc:
        raise TrustFileError(
            doc.filename, doc.validation_problems(exc, model=TrustFileModel)
        ) from None
    return _resolve(doc, model, root_dir)


def _resolve(doc: Document, model: TrustFileModel, root_dir: Path) -> Trust:
    problems: list[str] = []
    keys: dict[str, PublicKey] = {}
    owner: dict[str, str] = {}
    seen_ids: set[str] = set()
    seen_emails: dict[str, str] = {}
    identities: list[Identity] = []
    for index, entry in enumerate(model.identities):
        here: list[int | str] = ["identities", index]
        if entry.id in seen_ids:
            problems.append(doc.error([*here, "id"], f"identity '{entry.id}' is defined twice"))
        seen_ids.add(entry.id)
        keyids: list[str] = []
        for k, ref in enumerate(entry.keys):
            at: list[int | str] = [*here, "keys", k]
            try:
                key = _key_of(ref, root_dir, doc, at)
            except _Located as exc:
                problems.append(exc.problem)
                continue
            keyid = key.keyid if isinstance(key, PublicKey) else key
            if isinstance(key, PublicKey):
                keys[keyid] = key
            if keyid in owner and owner[keyid] != entry.id:
                problems.append(
                    doc.error(
                        at,
                        f"key {short_keyid(keyid)} already belongs to identity "
                        f"'{owner[keyid]}'; a key belongs to one identity",
                    )
                )
            owner.setdefault(keyid, entry.id)
            if keyid not in keyids:
                keyids.append(keyid)
        for r, role in enumerate(entry.roles):
            if role in entry.roles[:r]:
                problems.append(doc.error([*here, "roles", r], f"role '{role}' is listed twice"))
        for e, email in enumerate(entry.emails):
            other = seen_emails.setdefault(email.casefold(), entry.id)
            if other != entry.id:
                problems.append(
                    doc.error(
                        [*here, "emails", e], f"email {email} already belongs to identity '{other}'"
                    )
                )
        identities.append(
            Identity(entry.id, frozenset(entry.roles), tuple(keyids), tuple(entry.emails))
        )
    if problems:
        raise TrustFileError(doc.filename, problems)
    return Trust(doc.filename, tuple(identities), keys)


class _Located(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def _key_of(ref: KeyRef, root_dir: Path, doc: Document, at: list[int | str]) -> PublicKey | str:
    if ref.keyid is not None:
        return ref.keyid
    try:
        if ref.pem is not None:
            return public_key_from_pem(ref.pem, "pem")
        assert ref.path is not None
        return load_public_key(_inside(ref.path, root_dir, doc, [*at, "path"]), ref.path)
    except KeyFileError as exc:
        where = [*at, "pem" if ref.pem is not None else "path"]
        reason = exc.reason if ref.pem is not None else str(exc)
        raise _Located(doc.error(where, reason)) from None


def _inside(name: str, root_dir: Path, doc: Document, at: list[int | str]) -> Path:
    # RelPath refused absolute paths and "..": what is left to refuse is a symlink out.
    path = root_dir / PurePosixPath(name)
    try:
        path.resolve().relative_to(root_dir.resolve())
    except ValueError:
        raise _Located(
            doc.error(at, f"expected a path inside the repository, found {name!r} (a symlink out)")
        ) from None
    return path
