"""Trust: Ed25519 keys, DSSE envelopes, in-toto statements, the trust file, signed decisions.

Imports only ``pytest_gates.model``, ``pytest_gates.errors`` and ``pytest_gates.support``.
"""

from __future__ import annotations

from pytest_gates.trust.decision import (
    DECISION_PREDICATE_TYPE,
    DecisionFacts,
    DecisionPredicate,
    GateFacts,
)
from pytest_gates.trust.dsse import (
    INTOTO_PAYLOAD_TYPE,
    Envelope,
    pae,
    sign_envelope,
    verify_envelope,
)
from pytest_gates.trust.errors import KeyFileError, Refusal, TrustFileError
from pytest_gates.trust.gate_result import (
    TEST_RESULT_PREDICATE_TYPE,
    GateResultFacts,
    gate_result_statement,
)
from pytest_gates.trust.keys import (
    KeyPair,
    PrivateKey,
    PublicKey,
    generate_key_pair,
    keyid_of,
    load_private_key,
    load_public_key,
    private_key_from_env,
    private_key_from_pem,
    public_key_from_pem,
    signing_key,
)
from pytest_gates.trust.signing import (
    VerifiedDecision,
    decision_statement,
    sign_decision,
    sign_statement,
    verify_decision,
)
from pytest_gates.trust.statement import STATEMENT_TYPE, Statement, Subject
from pytest_gates.trust.trustfile import DEFAULT_TRUST_PATH, ROLES, Identity, Trust, load_trust
from pytest_gates.trust.vsa import VSA_PREDICATE_TYPE, verification_summary

__all__ = [
    "DECISION_PREDICATE_TYPE",
    "DEFAULT_TRUST_PATH",
    "INTOTO_PAYLOAD_TYPE",
    "ROLES",
    "STATEMENT_TYPE",
    "TEST_RESULT_PREDICATE_TYPE",
    "VSA_PREDICATE_TYPE",
    "DecisionFacts",
    "DecisionPredicate",
    "Envelope",
    "GateFacts",
    "GateResultFacts",
    "Identity",
    "KeyFileError",
    "KeyPair",
    "PrivateKey",
    "PublicKey",
    "Refusal",
    "Statement",
    "Subject",
    "Trust",
    "TrustFileError",
    "VerifiedDecision",
    "decision_statement",
    "gate_result_statement",
    "generate_key_pair",
    "keyid_of",
    "load_private_key",
    "load_public_key",
    "load_trust",
    "pae",
    "private_key_from_env",
    "private_key_from_pem",
    "public_key_from_pem",
    "sign_decision",
    "sign_envelope",
    "sign_statement",
    "signing_key",
    "verification_summary",
    "verify_decision",
    "verify_envelope",
]
