"""JSON Schemas generated from the models together with the registered check kinds.

The manifest's (``pytest-gates schema manifest``) and one per source file (``pytest-gates schema
sources``), committed under ``manifests/schema/`` so that an editor can validate a file while it
is written and the ``schema`` kind can in a gate. A check of a known kind is held to that kind's
parameters, in the manifest and in the extra gates alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any, Final

from pytest_gates.checks.api import CheckKind
from pytest_gates.model.kinds import CHECK_KEYS
from pytest_gates.model.manifest import CheckSpec, Manifest
from pytest_gates.sources.models import SOURCE_MODELS, GenerateConfig, SourceModel, source_stem
from pytest_gates.support.schema_text import SCHEMA_DIALECT

COMMON_CHECK_KEYS: Final = CHECK_KEYS
#: Each source schema's name (its file is ``<name>.schema.json``) and the model it comes from;
#: the extra gates' schema is the manifest's gates, see :func:`source_schemas`.
SOURCE_SCHEMAS: Final[dict[str, type[SourceModel]]] = {
    "generate": GenerateConfig,
    **{source_stem(name): model for name, model in SOURCE_MODELS.items() if name != "extra_gates"},
}


def manifest_schema(kinds: Iterable[CheckKind[Any]]) -> dict[str, Any]:
    """The manifest's JSON Schema; a check of a known kind is held to that kind's parameters.

    A check of an unknown kind passes the schema: it is an ERROR when the gate runs, where a
    plugin that is not installed can be named.
    """
    schema = Manifest.model_json_schema(by_alias=True, mode="validation")
    defs = schema.setdefault("$defs", {})
    check = defs["CheckSpec"]
    common = CheckSpec.model_json_schema()["properties"]
    branches = []
    for kind in sorted(kinds, key=lambda k: k.name):
        params = copy.deepcopy(kind.params.model_json_schema(by_alias=True, mode="validation"))
        for name, definition in params.pop("$defs", {}).items():
            # A nested model's own references point into the kind's definitions too.
            text = json.dumps(definition).replace('"#/$defs/', f'"#/$defs/{kind.name}.')
            defs.setdefault(f"{kind.name}.{name}", json.loads(text))
        params_text = json.dumps(params).replace('"#/$defs/', f'"#/$defs/{kind.name}.')
        params = json.loads(params_text)
        properties = {
            **{key: common[key] for key in COMMON_CHECK_KEYS},
            **params.get("properties", {}),
        }
        then = {
            "properties": properties,
            "required": sorted({"id", "kind", *params.get("required", [])}),
            "additionalProperties": False,
        }
        if kind.description:
            then["description"] = kind.description
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
                "then": then,
            }
        )
    if branches:
        check["allOf"] = branches
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = "pytest-gates manifest"
    return schema


def _extra_gates_schema(kinds: Iterable[CheckKind[Any]]) -> dict[str, Any]:
    # The gates are held to the manifest's own schema, each check to its kind's parameters.
    schema = manifest_schema(kinds)
    return {
        "$defs": schema["$defs"],
        "$schema": SCHEMA_DIALECT,
        "additionalProperties": False,
        "description": "Gates copied into the generated manifest as written.",
        "properties": {"version": {"const": 1}, "gates": schema["properties"]["gates"]},
        "required": ["version"],
        "title": "pytest-gates source: extra-gates",
        "type": "object",
    }


def source_schemas(kinds: Iterable[CheckKind[Any]]) -> dict[str, dict[str, Any]]:
    """Every source file's schema by name, the extra gates' included."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in SOURCE_SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = SCHEMA_DIALECT
        schema["title"] = f"pytest-gates source: {name}"
        schemas[name] = schema
    schemas["extra-gates"] = _extra_gates_schema(kinds)
    return schemas
