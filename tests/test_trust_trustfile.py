"""The trust file: loading, located errors, queries, and the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from pytest_gates.errors import InputFileError
from pytest_gates.trust import PrivateKey, Trust, TrustFileError, generate_key_pair, load_trust
from pytest_gates.trust.schema import TRUST_SCHEMA_NAMES, schema_text

REPO = Path(__file__).resolve().parent.parent
TRUST = "manifests/trust.yaml"


def _write(root: Path, text: str) -> Path:
    path = root / TRUST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _load(root: Path, text: str) -> Trust:
    return load_trust(_write(root, text), root, TRUST)


def _problems(root: Path, text: str) -> list[str]:
    with pytest.raises(TrustFileError) as info:
        _load(root, text)
    assert isinstance(info.value, InputFileError)
    return info.value.problems


def test_identities_keys_roles_and_queries(tmp_path: Path) -> None:
    ci = generate_key_pair(tmp_path / "keys", "ci")
    alice = PrivateKey.generate()
    bob = PrivateKey.generate()
    inline = "\n".join("          " + line for line in alice.public.pem().decode().splitlines())
    trust = _load(
        tmp_path,
        f"""version: 1
identities:
  - id: ci
    roles: [release]
    keys: [{{path: keys/ci.pub}}]
  - id: alice
    roles: [approver, reviewer]
    keys:
      - pem: |
{inline}
    emails: [Alice@Example.com]
  - id: bob
    roles: [release]
    keys: [{{keyid: {bob.keyid}}}]
""",
    )
    assert trust.source == TRUST
    assert [i.id for i in trust.identities] == ["ci", "alice", "bob"]
    identity = trust.identity_of(ci.keyid)
    assert identity is not None
    assert identity.id == "ci"
    assert trust.holds(ci.keyid, "release")
    assert not trust.holds(alice.keyid, "release")
    assert trust.holds(alice.keyid, "reviewer")
    assert trust.holds(bob.keyid, "release")
    assert trust.identity_of(PrivateKey.generate().keyid) is None
    assert trust.identity_for_email("alice@example.com") is trust.identities[1]
    assert trust.identity_for_email("eve@example.com") is None
    # bob is known by key id only: his key verifies nothing until it is given.
    assert set(trust.keys_for("release")) == {ci.keyid}
    given = trust.with_keys([bob.public, PrivateKey.generate().public])
    assert set(given.keys_for("release")) == {ci.keyid, bob.keyid}
    assert len(given.keys) == 3


def test_from_keys_trusts_the_given_keys_for_every_role() -> None:
    key = PrivateKey.generate()
    trust = Trust.from_keys([key.public], "keys/ci.pub")
    assert trust.holds(key.keyid, "release")
    assert trust.holds(key.keyid, "operator")
    assert trust.keys_for("release") == {key.keyid: key.public}


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "- 1\n",
            [f"{TRUST}: expected a mapping with version and identities, found a list"],
        ),
        (
            "identities: []\n",
            [f"{TRUST}:1: (top level): missing required key 'version'; expected version: 1"],
        ),
        (
            "version: 2\nidentities: []\n",
            [
                f"{TRUST}:1: version: expected 1 (this pytest-gates reads trust file version 1), "
                "found 2"
            ],
        ),
        (
            "version: 1\nidentities: []\nidentities: []\n",
            [f"{TRUST}:3: (top level): key 'identities' is written twice"],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    roles: [relase]\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].roles[0]: expected 'release', 'approver', "
                "'operator' or 'reviewer', found 'relase'"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    role: [release]\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n",
            [
                f"{TRUST}:4: identities[id='ci']: unexpected key 'role'; expected one of: "
                "emails, id, keys, roles (did you mean 'roles'?)"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{keyid: abc}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys[0].keyid: expected a value matching "
                "[0-9a-f]{64}, found 'abc'"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys[0]: expected exactly one of path, pem or "
                "keyid, found none"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: []\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys: list should have at least 1 item after "
                "validation, not 0, found a list"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{path: ../ci.pub}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys[0].path: expected a path inside the "
                "rootdir, found '..' in '../ci.pub'"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{path: keys/none.pub}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys[0].path: keys/none.pub: no such file "
                "(expected an Ed25519 public key in PEM)"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{pem: nope}]\n",
            [
                f"{TRUST}:4: identities[id='ci'].keys[0].pem: expected an Ed25519 public key "
                "in PEM, found text that is not PEM"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n  - id: ci\n    keys: [{keyid: "
            + "b" * 64
            + "}]\n",
            [f"{TRUST}:5: identities[id='ci'].id: identity 'ci' is defined twice"],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n  - id: dev\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n",
            [
                f"{TRUST}:6: identities[id='dev'].keys[0]: key aaaaaaaaaaaa... already belongs "
                "to identity 'ci'; a key belongs to one identity"
            ],
        ),
        (
            "version: 1\nidentities:\n  - id: ci\n    roles: [release, release]\n"
            "    keys: [{keyid: " + "a" * 64 + "}]\n",
            [f"{TRUST}:4: identities[id='ci'].roles[1]: role 'release' is listed twice"],
        ),
        (
            "version: 1\nidentities:\n  - id: a\n    keys: [{keyid: "
            + "a" * 64
            + "}]\n    emails: [x@y.org]\n  - id: b\n    keys: [{keyid: "
            + "b" * 64
            + "}]\n    emails: [X@y.org]\n",
            [
                f"{TRUST}:8: identities[id='b'].emails[0]: email X@y.org already belongs to identity 'a'"
            ],
        ),
    ],
)
def test_problems_are_located(tmp_path: Path, text: str, problems: list[str]) -> None:
    assert _problems(tmp_path, text) == problems


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(TrustFileError) as info:
        load_trust(tmp_path / "none.yaml", tmp_path, TRUST)
    assert info.value.problems == [
        f"{TRUST}: no such file (expected a trust file naming identities)"
    ]
    assert _problems(tmp_path, "version: 1\nidentities: [\n") == [
        f"{TRUST}:3:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = generate_key_pair(tmp_path / "outside")
    root = tmp_path / "repo"
    (root / "keys").mkdir(parents=True)
    (root / "keys" / "ci.pub").symlink_to(outside.public_path)
    assert _problems(
        root, "version: 1\nidentities:\n  - id: ci\n    keys: [{path: keys/ci.pub}]\n"
    ) == [
        f"{TRUST}:4: identities[id='ci'].keys[0].path: expected a path inside the repository, "
        "found 'keys/ci.pub' (a symlink out)"
    ]


@pytest.mark.parametrize("name", TRUST_SCHEMA_NAMES)
def test_committed_schema_is_current(name: str) -> None:
    committed = REPO / "manifests" / "schema" / f"{name}.schema.json"
    assert committed.read_text() == schema_text(name), (
        f"{committed} is stale; regenerate it from pytest_gates.trust.schema.schema_text('{name}')"
    )


def test_schema_accepts_a_trust_file_and_refuses_a_typo() -> None:
    schema = json.loads(schema_text("trust"))
    good = yaml.safe_load(
        "version: 1\nidentities:\n  - id: ci\n    roles: [release]\n    keys: [{path: k.pub}]\n"
    )
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "identites": []}, schema)
