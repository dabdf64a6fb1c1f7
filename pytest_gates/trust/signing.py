"""Signing a decision and verifying a signed one: the two calls the session, merge and verify use.

:func:`sign_decision` turns :class:`DecisionFacts` into ``report.intoto.json``: a DSSE envelope
(payload type ``application/vnd.in-toto+json``) over an in-toto Statement v1 whose subjects are
the commit and the manifest and whose predicate is ``https://pytest-gates.dev/decision/v1``.
Ed25519 signatures are deterministic, so the same facts and key give the same bytes.

:func:`verify_decision` answers "who signed this, may they sign a release, and is it about the
commit I hold?", raising a :class:`Refusal` that names what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from pytest_gates.trust.decision import (
    DECISION_PREDICATE_TYPE,
    DecisionFacts,
    DecisionPredicate,
    GateVerdictEntry,
    decision_statement,
)
from pytest_gates.trust.dsse import INTOTO_PAYLOAD_TYPE, Envelope, sign_envelope, verify_envelope
from pytest_gates.trust.errors import Refusal, abbreviate
from pytest_gates.trust.keys import PrivateKey
from pytest_gates.trust.statement import Statement
from pytest_gates.trust.trustfile import Identity, Trust


def sign_statement(statement: Statement, key: PrivateKey) -> bytes:
    """The DSSE envelope JSON (canonical) over a statement's canonical bytes."""
    return sign_envelope(statement.canonical_bytes(), INTOTO_PAYLOAD_TYPE, key).to_json()


def sign_decision(facts: DecisionFacts, key: PrivateKey) -> bytes:
    """The envelope JSON of ``report.intoto.json`` for ``facts``; byte-identical for equal inputs."""
    return sign_statement(decision_statement(facts), key)


@dataclass(frozen=True)
class VerifiedDecision:
    """A signed decision that verified: who signed it and what it says."""

    #: The key id of the signature that held, and the trust file's identity holding it.
    keyid: str
    identity: Identity | None
    statement: Statement
    predicate: DecisionPredicate
    #: The commit subject and the manifest subject's ``sha256:<hex>``.
    commit: str
    manifest_path: str
    manifest_digest: str

    def differences(self, facts: DecisionFacts) -> list[str]:
        """Where ``facts`` (recomputed from the output folder) differ from what was signed.

        Empty when the envelope belongs to this run; otherwise one line per difference, in the
        order commit, manifest, decision, gates (by id), log head, report body.
        """
        signed = DecisionPredicate.from_facts(facts)
        found: list[str] = []
        pairs = [
            ("commit", self.commit, facts.commit),
            ("manifest", self.manifest_digest, facts.manifest_digest),
            ("decision", self.predicate.decision, facts.decision),
        ]
        for label, was, now in pairs:
            if was != now:
                found.append(f"{label}: signed {abbreviate(was)}, found {abbreviate(now)}")
        ours = {g.id: g for g in self.predicate.gates}
        theirs = {g.id: g for g in signed.gates}
        for gate_id in sorted(ours.keys() | theirs.keys()):
            before, after = ours.get(gate_id), theirs.get(gate_id)
            if before != after:
                found.append(f"gate '{gate_id}': signed {_gate(before)}, found {_gate(after)}")
        for label, was_digest, now_digest in (
            ("log head", self.predicate.log_head, signed.log_head),
            ("report body", self.predicate.report, signed.report),
        ):
            if was_digest != now_digest:
                found.append(f"{label}: signed {_digest(was_digest)}, found {_digest(now_digest)}")
        return found

    def require_match(self, facts: DecisionFacts) -> None:
        """Raise a ``predicate`` :class:`Refusal` listing :meth:`differences`, if any."""
        found = self.differences(facts)
        if found:
            raise Refusal("predicate", "the signed decision is not this run's: " + "; ".join(found))


def _gate(entry: GateVerdictEntry | None) -> str:
    if entry is None:
        return "no such gate"
    return f"{entry.verdict} with evidence {_digest(entry.evidence)}"


def _digest(digest: str | None) -> str:
    return "none" if digest is None else abbreviate(digest)


def verify_decision(
    envelope: bytes | str,
    trust: Trust,
    expect_commit: str | None = None,
    role: str = "release",
    *,
    expect_manifest_digest: str | None = None,
    commit_label: str = "HEAD",
) -> VerifiedDecision:
    """Check a signed decision against ``trust``; raise :class:`Refusal` naming what is wrong.

    In order: the envelope is well formed (``envelope: ...``), its payload type is in-toto's
    (``payloadType: ...``), a key ``trust`` holds for ``role`` signed it (``signature: ...``),
    the payload is a decision statement (``statement: ...``, ``predicate: ...``), and its
    subjects are ``expect_commit`` (named ``commit_label`` in the message) and the manifest
    with ``expect_manifest_digest`` when given (``subject: ...``).
    """
    parsed = Envelope.from_json(envelope)
    keyid = verify_envelope(
        parsed,
        trust.keys_for(role),
        INTOTO_PAYLOAD_TYPE,
        untrusted=lambda signer: trust.distrust(signer, role),
    )
    statement = Statement.from_bytes(parsed.payload, DECISION_PREDICATE_TYPE)
    try:
        predicate = DecisionPredicate.model_validate(statement.predicate)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise Refusal("predicate", f"{where}: {first['msg']}") from None
    commit = statement.commit()
    manifest = [s for s in statement.subject if "sha256" in s.digest]
    if commit is None or len(manifest) != 1:
        raise Refusal("subject", "expected a gitCommit subject and one manifest subject")
    manifest_digest = "sha256:" + manifest[0].digest["sha256"]
    if expect_commit is not None and commit != expect_commit:
        raise Refusal(
            "subject",
            f"report is for {abbreviate(commit)}, {commit_label} is {abbreviate(expect_commit)}",
        )
    if expect_manifest_digest is not None and manifest_digest != expect_manifest_digest:
        raise Refusal(
            "subject",
            f"report is for {manifest[0].name} {abbreviate(manifest_digest)}, "
            f"the manifest here is {abbreviate(expect_manifest_digest)}",
        )
    return VerifiedDecision(
        keyid=keyid,
        identity=trust.identity_of(keyid),
        statement=statement,
        predicate=predicate,
        commit=commit,
        manifest_path=manifest[0].name,
        manifest_digest=manifest_digest,
    )
