"""Signed decisions end to end: ``keygen``, ``pytest --gates --gates-sign-key``, and every refusal
of ``pytest-gates verify --trust`` (the minted GO, the edited subject, a swapped signature, an
envelope from another run, a key the trust file does not trust), each with its exact message."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import SSlibKey

from pytest_gates.chain import decide, fold
from pytest_gates.cli.main import main as cli
from pytest_gates.model.load import load_manifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.write import write_outputs
from pytest_gates.support.digest import json_digest, sha256_bytes
from pytest_gates.support.subject import Subject
from pytest_gates.trust import (
    DECISION_PREDICATE_TYPE,
    TEST_RESULT_PREDICATE_TYPE,
    Envelope,
    PrivateKey,
    generate_key_pair,
    load_public_key,
)
from pytest_gates.trust.errors import abbreviate
from tests.helpers import GatesProject
from tests.signing_helpers import MANIFEST, commit_all, gated, trust_file

TRUST = "manifests/trust.yaml"


@pytest.fixture
def signed(project: GatesProject, monkeypatch: pytest.MonkeyPatch) -> GatesProject:
    """A NO_GO run (lint fails), signed by the release key the trust file names."""
    generate_key_pair(project.root / "keys", "release")
    trust_file(project.root)
    gated(project)
    monkeypatch.chdir(project.root)
    result = project.run("--gates", "--gates-sign-key", "keys/release.key")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    return project


def verify(*args: str) -> int:
    return cli(["verify", ".gates", "--trust", TRUST, *args])


def problems(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert verify(*args) == 1
    return capsys.readouterr().err.splitlines()[:-1]


def envelope(project: GatesProject, out: str = ".gates") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.root / out / "report.intoto.json").read_bytes())
    return data


def test_keygen_writes_a_private_key_for_its_owner_only_and_prints_the_key_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["keygen", "--out", str(tmp_path / "k"), "--name", "ci"]) == 0
    keyid = capsys.readouterr().out.splitlines()[0]
    public = load_public_key(tmp_path / "k" / "ci.pub")
    assert keyid == public.keyid
    assert keyid == SSlibKey.from_crypto(load_pem_public_key(public.pem())).keyid
    assert stat.S_IMODE((tmp_path / "k" / "ci.key").stat().st_mode) == 0o600
    assert cli(["keygen", "--out", str(tmp_path / "k"), "--name", "ci"]) == 1
    assert capsys.readouterr().err == (
        f"pytest-gates keygen: {tmp_path / 'k' / 'ci.key'}: already exists; choose another "
        "--name or --out, or remove it\n"
    )


def test_a_signed_run_writes_the_envelope_statements_and_a_sign_line(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    out = signed.root / ".gates"
    data = envelope(signed)
    payload = base64.b64decode(data["payload"])
    assert (out / "decision.statement.json").read_bytes() == payload
    statement = json.loads(payload)
    assert statement["predicateType"] == DECISION_PREDICATE_TYPE
    assert statement["predicate"]["decision"] == "NO_GO"
    assert statement["predicate"]["report"] == json_digest(signed.report()["body"])
    assert statement["predicate"]["logHead"] == signed.report()["run"]["transitions"]["head"]
    key = load_public_key(signed.root / "keys" / "release.pub")
    sslib = SSlibKey.from_crypto(load_pem_public_key(key.pem()))
    assert list(SslibEnvelope.from_dict(data).verify([sslib], 1)) == [key.keyid]
    results = sorted(p.name for p in (out / "attestations").iterdir())
    assert results == ["files.test-result.json", "lint.test-result.json"]
    lint = Envelope.from_json((out / "attestations" / "lint.test-result.json").read_bytes())
    lint_statement = json.loads(lint.payload)
    assert lint_statement["predicateType"] == TEST_RESULT_PREDICATE_TYPE
    assert lint_statement["predicate"]["failedTests"] == ["ruff"]
    last = json.loads((out / "transitions.jsonl").read_bytes().splitlines()[-1])
    assert (last["event"], last["run"], last["signature"]) == (
        "sign",
        1,
        {
            "keyid": key.keyid,
            "statement_sha256": sha256_bytes(payload),
            "predicate_type": DECISION_PREDICATE_TYPE,
        },
    )
    assert verify() == 0
    commit = signed.report()["body"]["subject"]["commit"]
    assert capsys.readouterr().out == (
        f".gates: ok: NO_GO for commit {abbreviate(commit)} signed by key "
        f"{abbreviate(key.keyid)} of identity 'ci' (release); evidence digests, log chain "
        "and verdicts hold together\n"
    )


def test_the_key_may_come_from_an_environment_variable(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = generate_key_pair(project.root / "keys", "release")
    trust_file(project.root)
    gated(project)
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("GATES_SIGNING_KEY", pair.key.pem().decode())
    project.run("--gates", "--gates-sign-key-env", "GATES_SIGNING_KEY")
    assert verify() == 0


def test_unsigned_by_default_the_statement_is_still_written(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gated(project)
    trust_file(project.root)
    generate_key_pair(project.root / "keys", "release")
    monkeypatch.chdir(project.root)
    project.run("--gates")
    out = project.root / ".gates"
    assert (out / "decision.statement.json").exists()
    assert not (out / "report.intoto.json").exists()
    assert (
        json.loads((out / "attestations" / "files.test-result.json").read_bytes())["predicate"][
            "result"
        ]
        == "PASSED"
    )
    assert problems(capsys) == [
        f"signature: {Path('.gates') / 'report.intoto.json'} is missing: the decision is not signed"
    ]
    assert cli(["verify", ".gates"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        ".gates: origin not checked: give --trust manifests/trust.yaml or --key PUB to check "
        "who signed the decision"
    )


def test_a_run_outside_git_cannot_be_signed(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    generate_key_pair(project.root / "keys", "release")
    result = project.run("--gates", "--gates-sign-key", "keys/release.key")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --gates-sign-key: cannot sign: a signed decision names the commit it is "
            "about, and this run has none (not a git work tree, or no commit yet)"
        ]
    )
    assert not (project.root / ".gates").exists()
    missing = project.run("--gates", "--gates-sign-key", "keys/nothing.key")
    missing.stderr.fnmatch_lines(
        [
            "ERROR: --gates-sign-key: keys/nothing.key: no such file (expected an Ed25519 private "
            "key in PEM)"
        ]
    )


def _mint_go(project: GatesProject, key: PrivateKey | None = None) -> None:
    """Rewrite a NO_GO run's outputs through the public ``write_outputs``: every item passed."""
    out = project.root / ".gates"
    report = project.report()
    loaded = load_manifest(project.root / "manifests" / "gates.yaml", "manifests/gates.yaml")
    records = []
    for gate in report["body"]["gates"]:
        for item in project.evidence(gate["id"])["body"]["items"]:
            attempts = [{**a, "outcome": "passed"} for a in item["attempts"]]
            records.append(
                ItemRecord.model_validate(
                    {**item, "outcome": "passed", "findings": [], "attempts": attempts}
                )
            )
    verdicts = fold(loaded.manifest, loaded.order, records)
    decision, reason = decide(verdicts)
    subject = report["body"]["subject"]
    write_outputs(
        outdir=out,
        generator=report["body"]["generator"],
        loaded=loaded,
        manifest_path="manifests/gates.yaml",
        subject=Subject(subject["commit"], subject["dirty"]),
        records=records,
        verdicts=verdicts,
        rollbacks={},
        decision=decision,
        reason=reason,
        selection=report["body"]["selection"],
        run={},
        sign_key=key,
    )
    assert project.report()["body"]["decision"] == "GO"


def test_a_minted_go_is_consistent_but_not_signed(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = envelope(signed)
    _mint_go(signed)
    assert cli(["verify", ".gates"]) == 0  # consistency alone cannot tell
    capsys.readouterr()
    assert problems(capsys) == [
        f"signature: {Path('.gates') / 'report.intoto.json'} is missing: the decision is not signed"
    ]
    # Putting the NO_GO's signature back does not help: it states another decision.
    (signed.root / ".gates" / "report.intoto.json").write_text(json.dumps(kept))
    refusal = problems(capsys)[0]
    assert refusal.startswith(
        "predicate: the signed decision is not this run's: decision: signed NO_GO, found GO; "
        "gate 'lint': signed FAIL with evidence sha256:"
    )


def test_a_minted_go_signed_with_another_key_is_refused(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    other = generate_key_pair(signed.root / "keys", "mallory")
    _mint_go(signed, other.key)
    assert problems(capsys) == [
        f"signature: signed by key {other.keyid[:12]}... which {TRUST} does not trust for release"
    ]


def test_an_edited_subject_is_refused(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = signed.root / ".gates" / "report.json"
    report = json.loads(path.read_text())
    head = report["body"]["subject"]["commit"]
    report["body"]["subject"]["commit"] = "9c1e" + "0" * 36
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    found = problems(capsys)
    assert found[0] == f"subject: report is for 9c1e00000000..., HEAD is {head[:12]}..."
    assert (
        f"subject: report is for 9c1e00000000... (dirty: False), the evidence of gate files "
        f"for {head[:12]}... (dirty: False)"
    ) in found


def test_a_decision_for_another_commit_is_refused(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signed.report()["body"]["subject"]["commit"]
    (signed.root / "later.txt").write_text("a later change\n")
    head = commit_all(signed.root, "later")
    assert problems(capsys)[0] == (
        f"subject: report is for {before[:12]}..., HEAD is {head[:12]}..."
    )
    assert verify("--expect-commit", before) == 0
    capsys.readouterr()
    assert problems(capsys, "--expect-commit", "HEAD~0")[0] == (
        f"subject: report is for {before[:12]}..., HEAD~0 is {head[:12]}..."
    )


def test_a_swapped_signature_is_refused(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    key = load_public_key(signed.root / "keys" / "release.pub")
    data = envelope(signed)
    other = json.loads(
        (signed.root / ".gates" / "attestations" / "files.test-result.json").read_bytes()
    )
    data["signatures"] = other["signatures"]
    (signed.root / ".gates" / "report.intoto.json").write_text(json.dumps(data))
    assert problems(capsys)[0] == (
        f"signature: the signature by key {key.keyid[:12]}... does not match the payload"
    )


def test_an_envelope_from_another_run_is_refused(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another run of the same commit into another folder: the same decision, another log.
    signed.run("--gates", "--gates-out", "out-other", "--gates-sign-key", "keys/release.key")
    other = json.loads((signed.root / "out-other" / "report.json").read_text())
    assert other["body"] == signed.report()["body"]
    (signed.root / ".gates" / "report.intoto.json").write_bytes(
        (signed.root / "out-other" / "report.intoto.json").read_bytes()
    )
    assert problems(capsys) == [
        "predicate: the signed decision is not this run's: log head: signed "
        f"{abbreviate(other['run']['transitions']['head'])}, found "
        f"{abbreviate(signed.report()['run']['transitions']['head'])}"
    ]


def test_the_signed_payload_is_byte_identical_across_runs(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_key_pair(project.root / "keys", "release")
    gated(project)
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for out, workers in (("out1", "0"), ("out2", "2")):
        project.run_subprocess(
            "--gates", "-n", workers, "--gates-out", out, "--gates-sign-key", "keys/release.key"
        )
    one, two = (envelope(project, out) for out in ("out1", "out2"))
    assert one["payload"] == two["payload"]
    assert one == two  # Ed25519 signatures are deterministic
    assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"


def test_verify_with_a_public_key_instead_of_a_trust_file(
    signed: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["verify", ".gates", "--key", "keys/release.pub"]) == 0
    assert "of --key (release)" in capsys.readouterr().out
    other = generate_key_pair(signed.root / "keys", "other")
    assert cli(["verify", ".gates", "--key", "keys/other.pub"]) == 1
    release = load_public_key(signed.root / "keys" / "release.pub")
    assert capsys.readouterr().err.splitlines()[0] == (
        f"signature: signed by key {release.keyid[:12]}... which keys/other.pub does not trust "
        "for release"
    )
    assert other.keyid != release.keyid
