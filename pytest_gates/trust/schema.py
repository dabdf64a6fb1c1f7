"""The JSON Schemas of the trust layer, generated from its models and committed.

``manifests/schema/trust.schema.json`` (the trust file) and
``manifests/schema/decision-predicate.schema.json`` (the predicate of a signed decision).
"""

from __future__ import annotations

from typing import Any, Final

from pytest_gates.support.schema_text import SCHEMA_DIALECT, dumps
from pytest_gates.trust.decision import DECISION_PREDICATE_TYPE, DecisionPredicate
from pytest_gates.trust.trustfile import TrustFileModel

#: Each schema's name (its committed file is ``manifests/schema/<name>.schema.json``).
TRUST_SCHEMA_NAMES: Final = ("trust", "decision-predicate")


def trust_schemas() -> dict[str, dict[str, Any]]:
    """Every schema of the trust layer by name."""
    trust = TrustFileModel.model_json_schema(by_alias=True, mode="validation")
    trust["title"] = "pytest-gates trust file"
    predicate = DecisionPredicate.model_json_schema(by_alias=True, mode="validation")
    predicate["title"] = f"pytest-gates decision predicate ({DECISION_PREDICATE_TYPE})"
    schemas = {"trust": trust, "decision-predicate": predicate}
    for schema in schemas.values():
        schema["$schema"] = SCHEMA_DIALECT
    return schemas


def schema_text(name: str) -> str:
    """The committed text of schema ``name``: indented, sorted keys, a final newline."""
    return dumps(trust_schemas()[name])
