"""Trust: Ed25519 keys, DSSE envelopes, in-toto statements, the trust file, signed decisions.

Imports only ``pytest_gates.model``, ``pytest_gates.errors`` and ``pytest_gates.support``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pytest_gates.trust.decision import (
        DECISION_PREDICATE_TYPE,
        DecisionFacts,
        DecisionPredicate,
        GateFacts,
        decision_statement,
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
        sign_decision,
        sign_statement,
        verify_decision,
    )
    from pytest_gates.trust.statement import STATEMENT_TYPE, Statement, Subject
    from pytest_gates.trust.trustfile import DEFAULT_TRUST_PATH, ROLES, Identity, Trust, load_trust
    from pytest_gates.trust.vsa import VSA_PREDICATE_TYPE, verification_summary

#: Where each public name lives: a submodule is imported when one of its names is first used,
#: so a session that signs nothing does not load cryptography.
_HOME: Final = {
    "DECISION_PREDICATE_TYPE": "pytest_gates.trust.decision",
    "DEFAULT_TRUST_PATH": "pytest_gates.trust.trustfile",
    "DecisionFacts": "pytest_gates.trust.decision",
    "DecisionPredicate": "pytest_gates.trust.decision",
    "Envelope": "pytest_gates.trust.dsse",
    "GateFacts": "pytest_gates.trust.decision",
    "GateResultFacts": "pytest_gates.trust.gate_result",
    "INTOTO_PAYLOAD_TYPE": "pytest_gates.trust.dsse",
    "Identity": "pytest_gates.trust.trustfile",
    "KeyFileError": "pytest_gates.trust.errors",
    "KeyPair": "pytest_gates.trust.keys",
    "PrivateKey": "pytest_gates.trust.keys",
    "PublicKey": "pytest_gates.trust.keys",
    "ROLES": "pytest_gates.trust.trustfile",
    "Refusal": "pytest_gates.trust.errors",
    "STATEMENT_TYPE": "pytest_gates.trust.statement",
    "Statement": "pytest_gates.trust.statement",
    "Subject": "pytest_gates.trust.statement",
    "TEST_RESULT_PREDICATE_TYPE": "pytest_gates.trust.gate_result",
    "Trust": "pytest_gates.trust.trustfile",
    "TrustFileError": "pytest_gates.trust.errors",
    "VSA_PREDICATE_TYPE": "pytest_gates.trust.vsa",
    "VerifiedDecision": "pytest_gates.trust.signing",
    "decision_statement": "pytest_gates.trust.decision",
    "gate_result_statement": "pytest_gates.trust.gate_result",
    "generate_key_pair": "pytest_gates.trust.keys",
    "keyid_of": "pytest_gates.trust.keys",
    "load_private_key": "pytest_gates.trust.keys",
    "load_public_key": "pytest_gates.trust.keys",
    "load_trust": "pytest_gates.trust.trustfile",
    "pae": "pytest_gates.trust.dsse",
    "private_key_from_env": "pytest_gates.trust.keys",
    "private_key_from_pem": "pytest_gates.trust.keys",
    "public_key_from_pem": "pytest_gates.trust.keys",
    "sign_decision": "pytest_gates.trust.signing",
    "sign_envelope": "pytest_gates.trust.dsse",
    "sign_statement": "pytest_gates.trust.signing",
    "signing_key": "pytest_gates.trust.keys",
    "verification_summary": "pytest_gates.trust.vsa",
    "verify_decision": "pytest_gates.trust.signing",
    "verify_envelope": "pytest_gates.trust.dsse",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
