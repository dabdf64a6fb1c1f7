"""JSON Schemas generated from the models: the manifest's, with each registered check kind."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from pytest_gates.checks.api import CheckKind
from pytest_gates.model.manifest import CheckSpec, Manifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMMON_CHECK_KEYS = ("id", "kind", "description")


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


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
