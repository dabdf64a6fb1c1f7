"""Signed decisions: the statement, reproducible envelopes, and every refusal of verify_decision."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import ValidationError
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

from pytest_gates.support.digest import sha256_bytes
from pytest_gates.trust import (
    DECISION_PREDICATE_TYPE,
    INTOTO_PAYLOAD_TYPE,
    STATEMENT_TYPE,
    TEST_RESULT_PREDICATE_TYPE,
    VSA_PREDICATE_TYPE,
    DecisionFacts,
    Envelope,
    GateFacts,
    GateResultFacts,
    PrivateKey,
    Refusal,
    Statement,
    Trust,
    decision_statement,
    gate_result_statement,
    generate_key_pair,
    load_trust,
    sign_decision,
    sign_envelope,
    sign_statement,
    verification_summary,
    verify_decision,
)
from pytest_gates.trust.schema import schema_text

COMMIT = "9c1e" + "0" * 36
HEAD = "77ab" + "1" * 36
MANIFEST = sha256_bytes(b"gates: []\n")
TRUST = "manifests/trust.yaml"


def _facts(**changes: Any) -> DecisionFacts:
    data: dict[str, Any] = {
        "commit": COMMIT,
        "manifest_digest": MANIFEST,
        "decision": "GO",
        "gates": [
            {"id": "qa.lint", "verdict": "PASS", "evidence": sha256_bytes(b"lint")},
            {"id": "author.files", "verdict": "DEGRADED", "evidence": sha256_bytes(b"files")},
            {"id": "bench.speed", "verdict": "NOT_RUN"},
        ],
        "log_head": sha256_bytes(b"line 3"),
        "report_digest": sha256_bytes(b"report body"),
        "tool_version": "0.1.0",
    }
    data.update(changes)
    return DecisionFacts.model_validate(data)


@pytest.fixture(scope="module")
def release() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def approver() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
def trust(tmp_path: Path, release: PrivateKey, approver: PrivateKey) -> Trust:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ci.pub").write_bytes(release.public.pem())
    (tmp_path / "keys" / "alice.pub").write_bytes(approver.public.pem())
    path = tmp_path / TRUST
    path.parent.mkdir()
    path.write_text(
        "version: 1\nidentities:\n"
        "  - id: ci\n    roles: [release]\n    keys: [{path: keys/ci.pub}]\n"
        "  - id: alice\n    roles: [approver]\n    keys: [{path: keys/alice.pub}]\n"
    )
    return load_trust(path, tmp_path, TRUST)


def _payload(envelope: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return data


def _refusal(envelope: bytes, trust: Trust, **kwargs: Any) -> str:
    with pytest.raises(Refusal) as info:
        verify_decision(envelope, trust, **kwargs)
    return str(info.value)


def test_decision_statement_shape() -> None:
    statement = decision_statement(_facts()).as_dict()
    assert statement == {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": "git-commit", "digest": {"gitCommit": COMMIT}},
            {"name": "manifests/gates.yaml", "digest": {"sha256": MANIFEST[len("sha256:") :]}},
        ],
        "predicateType": DECISION_PREDICATE_TYPE,
        "predicate": {
            "decision": "GO",
            "verifier": {"id": "https://pytest-gates.dev", "version": {"pytest-gates": "0.1.0"}},
            "gates": [
                {"id": "author.files", "verdict": "DEGRADED", "evidence": sha256_bytes(b"files")},
                {"id": "bench.speed", "verdict": "NOT_RUN", "evidence": None},
                {"id": "qa.lint", "verdict": "PASS", "evidence": sha256_bytes(b"lint")},
            ],
            "logHead": sha256_bytes(b"line 3"),
            "report": sha256_bytes(b"report body"),
        },
    }
    jsonschema.validate(statement["predicate"], json.loads(schema_text("decision-predicate")))


def test_envelope_is_reproducible(release: PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = sign_decision(_facts(), release)
    # Same facts in another gate order, another epoch: nothing of a wall clock is signed.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    again = sign_decision(_facts(gates=list(reversed(_facts().gates))), release)
    assert again == first
    envelope = json.loads(first)
    assert envelope["payloadType"] == INTOTO_PAYLOAD_TYPE
    assert base64.b64decode(envelope["payload"]) == decision_statement(_facts()).canonical_bytes()
    assert b" " not in base64.b64decode(envelope["payload"])
    assert first == json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def test_securesystemslib_verifies_a_signed_decision(release: PrivateKey) -> None:
    envelope = sign_decision(_facts(), release)
    key = SSlibKey.from_crypto(load_pem_public_key(release.public.pem()))
    accepted = SslibEnvelope.from_dict(json.loads(envelope)).verify([key], 1)
    assert list(accepted) == [release.keyid]
    changed = json.loads(envelope)
    changed["payload"] = base64.b64encode(
        decision_statement(_facts(commit=HEAD)).canonical_bytes()
    ).decode()
    with pytest.raises(VerificationError):
        SslibEnvelope.from_dict(changed).verify([key], 1)


def test_verify_accepts_a_release_signature(trust: Trust, release: PrivateKey) -> None:
    verified = verify_decision(sign_decision(_facts(), release), trust, expect_commit=COMMIT)
    assert verified.keyid == release.keyid
    assert verified.identity is not None
    assert verified.identity.id == "ci"
    assert verified.commit == COMMIT
    assert verified.manifest_path == "manifests/gates.yaml"
    assert verified.manifest_digest == MANIFEST
    assert verified.predicate.decision == "GO"
    assert [g.id for g in verified.predicate.gates] == ["author.files", "bench.speed", "qa.lint"]
    assert verified.predicate.log_head == sha256_bytes(b"line 3")
    verify_decision(
        sign_decision(_facts(), release).decode(), trust, expect_manifest_digest=MANIFEST
    )


def test_refuses_a_key_the_trust_file_does_not_name(trust: Trust) -> None:
    stranger = PrivateKey.generate()
    assert _refusal(sign_decision(_facts(), stranger), trust) == (
        f"signature: signed by key {stranger.keyid[:12]}... which manifests/trust.yaml "
        "does not trust for release"
    )


def test_refuses_a_key_without_the_role(trust: Trust, approver: PrivateKey) -> None:
    assert _refusal(sign_decision(_facts(), approver), trust) == (
        f"signature: signed by key {approver.keyid[:12]}... which manifests/trust.yaml "
        "does not trust for release (identity 'alice' holds approver)"
    )
    assert verify_decision(sign_decision(_facts(), approver), trust, role="approver")


def test_refuses_a_key_named_by_id_only_until_it_is_given(
    tmp_path: Path, release: PrivateKey
) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(
        f"version: 1\nidentities:\n  - id: ci\n    roles: [release]\n"
        f"    keys: [{{keyid: {release.keyid}}}]\n"
    )
    trust = load_trust(path, tmp_path, TRUST)
    envelope = sign_decision(_facts(), release)
    assert _refusal(envelope, trust) == (
        f"signature: signed by key {release.keyid[:12]}... of identity 'ci', whose public key "
        "is not given (pass it with --key)"
    )
    assert verify_decision(envelope, trust.with_keys([release.public])).keyid == release.keyid


def test_refuses_a_changed_payload(trust: Trust, release: PrivateKey) -> None:
    envelope = json.loads(sign_decision(_facts(), release))
    minted = decision_statement(_facts(decision="NO_GO")).canonical_bytes()
    envelope["payload"] = base64.b64encode(minted).decode()
    assert _refusal(json.dumps(envelope).encode(), trust) == (
        f"signature: the signature by key {release.keyid[:12]}... does not match the payload"
    )


def test_refuses_a_signature_from_another_run(trust: Trust, release: PrivateKey) -> None:
    ours = json.loads(sign_decision(_facts(), release))
    other = json.loads(sign_decision(_facts(log_head=sha256_bytes(b"other run")), release))
    ours["signatures"] = other["signatures"]
    assert "does not match the payload" in _refusal(json.dumps(ours).encode(), trust)


def test_refuses_a_decision_for_another_commit(trust: Trust, release: PrivateKey) -> None:
    envelope = sign_decision(_facts(), release)
    assert _refusal(envelope, trust, expect_commit=HEAD) == (
        "subject: report is for 9c1e00000000..., HEAD is 77ab11111111..."
    )
    assert _refusal(envelope, trust, expect_commit=HEAD, commit_label="v1.2") == (
        "subject: report is for 9c1e00000000..., v1.2 is 77ab11111111..."
    )


def test_refuses_a_decision_for_another_manifest(trust: Trust, release: PrivateKey) -> None:
    here = sha256_bytes(b"gates: [x]\n")
    assert _refusal(sign_decision(_facts(), release), trust, expect_manifest_digest=here) == (
        f"subject: report is for manifests/gates.yaml sha256:{MANIFEST[7:19]}..., "
        f"the manifest here is sha256:{here[7:19]}..."
    )


def test_refuses_another_payload_type_and_statement(trust: Trust, release: PrivateKey) -> None:
    plain = sign_envelope(b"{}", "application/json", release).to_json()
    assert _refusal(plain, trust) == (
        "payloadType: expected application/vnd.in-toto+json, found application/json"
    )
    not_json = sign_envelope(b"GO", INTOTO_PAYLOAD_TYPE, release).to_json()
    assert _refusal(not_json, trust) == (
        "statement: expected an in-toto Statement, found a payload that is not JSON"
    )
    other_type = sign_statement(
        Statement(decision_statement(_facts()).subject, "https://example.com/x/v1", {}), release
    )
    assert _refusal(other_type, trust) == (
        f"statement: expected predicateType {DECISION_PREDICATE_TYPE}, "
        "found https://example.com/x/v1"
    )
    statement = decision_statement(_facts()).as_dict()
    statement["predicate"]["decision"] = "MAYBE"
    odd = sign_envelope(json.dumps(statement).encode(), INTOTO_PAYLOAD_TYPE, release).to_json()
    assert _refusal(odd, trust) == (
        "predicate: decision: Input should be 'GO', 'GO_WITH_BYPASS', 'NO_GO' or 'INCOMPLETE'"
    )
    statement = decision_statement(_facts()).as_dict()
    statement["subject"] = statement["subject"][1:]
    no_commit = sign_envelope(json.dumps(statement).encode(), INTOTO_PAYLOAD_TYPE, release)
    assert _refusal(no_commit.to_json(), trust) == (
        "subject: expected a gitCommit subject and one manifest subject"
    )


def test_refuses_garbage(trust: Trust) -> None:
    assert _refusal(b"not json", trust).startswith("envelope: expected DSSE envelope JSON")


def test_decision_facts_are_validated() -> None:
    with pytest.raises(ValidationError, match=r"gate ids must be unique, found qa\.lint twice"):
        _facts(gates=[{"id": "qa.lint", "verdict": "PASS"}, {"id": "qa.lint", "verdict": "FAIL"}])
    with pytest.raises(ValidationError, match="commit"):
        _facts(commit="HEAD")
    with pytest.raises(ValidationError, match="manifest_digest"):
        _facts(manifest_digest="abc")
    assert _facts().gates[0] == GateFacts(
        id="qa.lint", verdict="PASS", evidence=sha256_bytes(b"lint")
    )


def _result(verdict: str) -> GateResultFacts:
    return GateResultFacts.model_validate(
        {
            "gate_id": "qa.lint",
            "verdict": verdict,
            "definition_digest": sha256_bytes(b"gate"),
            "passed": ["qa.lint::ruff"],
            "warned": [],
            "failed": ["qa.lint::mypy"],
            "commit": COMMIT,
            "manifest_digest": MANIFEST,
        }
    )


def test_gate_result_statement() -> None:
    statement = gate_result_statement(_result("FAIL")).as_dict()
    assert statement["predicateType"] == TEST_RESULT_PREDICATE_TYPE
    assert statement["subject"] == decision_statement(_facts()).as_dict()["subject"]
    assert statement["predicate"] == {
        "result": "FAILED",
        "configuration": [
            {
                "name": "gate:qa.lint",
                "digest": {"sha256": sha256_bytes(b"gate")[7:]},
                "annotations": {"manifest": "manifests/gates.yaml", "verdict": "FAIL"},
            }
        ],
        "passedTests": ["qa.lint::ruff"],
        "warnedTests": [],
        "failedTests": ["qa.lint::mypy"],
    }
    results = {
        v: gate_result_statement(_result(v)).predicate["result"]
        for v in ("PASS", "DEGRADED", "BYPASSED", "FAIL", "ERROR", "BLOCKED")
    }
    assert results == {
        "PASS": "PASSED",
        "DEGRADED": "WARNED",
        "BYPASSED": "WARNED",
        "FAIL": "FAILED",
        "ERROR": "FAILED",
        "BLOCKED": "FAILED",
    }
    with pytest.raises(ValueError, match=r"gate 'qa.lint' did not run \(NOT_RUN\): no test result"):
        gate_result_statement(_result("NOT_RUN"))


def test_statement_round_trips_and_refuses_shapes() -> None:
    statement = decision_statement(_facts())
    assert Statement.from_bytes(statement.canonical_bytes()) == Statement(
        statement.subject, statement.predicate_type, statement.as_dict()["predicate"]
    )
    with pytest.raises(
        Refusal, match=r"^statement: expected _type https://in-toto.io/Statement/v1, found 'x'$"
    ):
        Statement.from_bytes(b'{"_type": "x"}')
    with pytest.raises(Refusal, match=r"^statement: expected a non-empty subject list$"):
        Statement.from_bytes(b'{"_type": "https://in-toto.io/Statement/v1", "subject": []}')
    with pytest.raises(
        Refusal, match=r"^statement: subject\[0\]: expected a name and a digest set$"
    ):
        Statement.from_bytes(
            b'{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a"}]}'
        )
    assert Envelope.from_json(sign_statement(statement, PrivateKey.generate())).payload == (
        statement.canonical_bytes()
    )


def test_verification_summary_is_a_reproducible_vsa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    uri = f"git+https://example.com/repo@{COMMIT}"
    statement = verification_summary(_facts(), uri)
    assert statement.canonical_bytes() == verification_summary(_facts(), uri).canonical_bytes()
    assert statement.as_dict() == {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "git-commit", "digest": {"gitCommit": COMMIT}}],
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": "https://pytest-gates.dev", "version": {"pytest-gates": "0.1.0"}},
            "timeVerified": "2023-11-14T22:13:20Z",
            "resourceUri": uri,
            "policy": {"uri": "manifests/gates.yaml", "digest": {"sha256": MANIFEST[7:]}},
            "inputAttestations": [
                {"name": "evidence/author.files", "digest": {"sha256": sha256_bytes(b"files")[7:]}},
                {"name": "evidence/qa.lint", "digest": {"sha256": sha256_bytes(b"lint")[7:]}},
                {
                    "name": "transitions.jsonl#head",
                    "digest": {"sha256": sha256_bytes(b"line 3")[7:]},
                },
            ],
            "verificationResult": "PASSED",
            "verifiedLevels": ["PYTEST_GATES_GO"],
            "slsaVersion": "1.0",
        },
    }
    results = {
        d: verification_summary(_facts(decision=d), uri).predicate["verificationResult"]
        for d in ("GO", "GO_WITH_BYPASS", "NO_GO", "INCOMPLETE")
    }
    assert results == {
        "GO": "PASSED",
        "GO_WITH_BYPASS": "PASSED",
        "NO_GO": "FAILED",
        "INCOMPLETE": "FAILED",
    }


def test_a_valid_envelope_of_another_run_does_not_match_this_run(
    trust: Trust, release: PrivateKey
) -> None:
    verified = verify_decision(sign_decision(_facts(), release), trust)
    assert verified.differences(_facts()) == []
    verified.require_match(_facts(gates=list(reversed(_facts().gates))))
    minted = _facts(
        decision="NO_GO",
        gates=[
            {"id": "qa.lint", "verdict": "FAIL", "evidence": sha256_bytes(b"lint 2")},
            {"id": "author.files", "verdict": "DEGRADED", "evidence": sha256_bytes(b"files")},
        ],
        log_head=sha256_bytes(b"line 4"),
        commit=HEAD,
    )
    lint, lint2 = sha256_bytes(b"lint")[7:19], sha256_bytes(b"lint 2")[7:19]
    head, head2 = sha256_bytes(b"line 3")[7:19], sha256_bytes(b"line 4")[7:19]
    assert verified.differences(minted) == [
        "commit: signed 9c1e00000000..., found 77ab11111111...",
        "decision: signed GO, found NO_GO",
        "gate 'bench.speed': signed NOT_RUN with evidence none, found no such gate",
        f"gate 'qa.lint': signed PASS with evidence sha256:{lint}..., "
        f"found FAIL with evidence sha256:{lint2}...",
        f"log head: signed sha256:{head}..., found sha256:{head2}...",
    ]
    with pytest.raises(Refusal) as info:
        verified.require_match(_facts(decision="NO_GO"))
    assert str(info.value) == (
        "predicate: the signed decision is not this run's: decision: signed GO, found NO_GO"
    )


def test_envelope_is_byte_identical_across_processes(tmp_path: Path) -> None:
    key = generate_key_pair(tmp_path, "ci")
    facts = tmp_path / "facts.json"
    facts.write_text(_facts().model_dump_json())
    script = (
        "import sys; from pathlib import Path; from pytest_gates.trust import *; "
        "facts = DecisionFacts.model_validate_json(Path(sys.argv[1]).read_text()); "
        "sys.stdout.buffer.write(sign_decision(facts, load_private_key(Path(sys.argv[2]))))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        done = subprocess.run(
            [sys.executable, "-c", script, str(facts), str(key.private_path)],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == sign_decision(_facts(), key.key)
