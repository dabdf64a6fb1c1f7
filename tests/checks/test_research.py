from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pytest_gates.checks.research import ResearchArtifact, research, source_key
from pytest_gates.model.findings import Finding, Location

ARTIFACT = """\
topic: gates
required_terms: [release gate, rollback, hreflang]
sources:
  - {title: Release gates, url: "https://a.test/gates", excerpt: "a release gate and rollback"}
  - {title: Hreflang, url: "https://b.test/hreflang"}
  - {title: Rollback, url: "https://c.test/rollback"}
faq_candidates: [{question: "What is a gate?"}, {question: "Who approves?"}]
internal_link_suggestions: [/en/a.html, /en/b.html]
"""


def test_a_complete_artifact_passes(run_check, write) -> None:
    write("research.yaml", ARTIFACT)
    result = run_check(research, {"path": "research.yaml"})
    assert result.passed, result.findings
    assert result.summary == "keyword coverage 1.00, 3 distinct sources, 2 FAQ candidates"
    assert result.details["keyword_coverage"] == {
        "required": ["release gate", "rollback", "hreflang"],
        "found": ["release gate", "rollback", "hreflang"],
        "ratio": 1.0,
    }


def test_two_sources_and_low_coverage_block_at_their_lines(run_check, write) -> None:
    text = ARTIFACT.replace('  - {title: Rollback, url: "https://c.test/rollback"}\n', "")
    text = text.replace('"https://b.test/hreflang"', '"https://a.test/gates/#top"')
    write("research.yaml", text.replace("a release gate and rollback", "nothing"))
    result = run_check(research, {"path": "research.yaml"})
    assert not result.passed
    assert result.findings == [
        Finding(
            rule="research.coverage",
            location=Location(path="research.yaml", line=2, column=17, pointer="/required_terms"),
            message="keyword coverage 0.67 (2 of 3 required terms), below 0.8; not found in any "
            "source: 'rollback'",
            fix_hint="find sources that cover the missing terms",
        ),
        Finding(
            rule="research.sources",
            location=Location(path="research.yaml", line=3, column=1, pointer="/sources"),
            message="1 distinct source cited, at least 3 required",
            fix_hint="cite more independent sources",
        ),
    ]


def test_few_faq_candidates_and_link_suggestions_are_advisory(run_check, write) -> None:
    text = ARTIFACT.replace('[{question: "What is a gate?"}, {question: "Who approves?"}]', "[]")
    write("research.json", json.dumps(__import__("yaml").safe_load(text)))
    result = run_check(research, {"path": "research.json", "min_link_suggestions": 3})
    assert result.passed
    assert [(f.rule, f.severity, f.message) for f in result.findings] == [
        ("research.faq", "minor", "0 FAQ candidates, 2 suggested"),
        ("research.link_suggestions", "minor", "2 internal link suggestions, 3 suggested"),
    ]


def test_an_empty_research_file_fails(run_check, write) -> None:
    write("research.yaml", "\n")
    result = run_check(research, {"path": "research.yaml"})
    assert not result.passed
    assert [(f.rule, f.message) for f in result.findings] == [
        ("research.empty", "the research artifact is empty")
    ]


def test_a_missing_malformed_or_invalid_artifact_fails(run_check, write, where) -> None:
    assert where(run_check(research, {"path": "none.yaml"})) == [
        ("research.missing", "none.yaml", None, None)
    ]
    write("bad.yaml", "topic: [\n")
    assert where(run_check(research, {"path": "bad.yaml"}))[0][:2] == ("research.parse", "bad.yaml")
    write("invalid.yaml", "topic: x\nrequired_terms: []\nsources: [{title: a, url: ftp://x}]\n")
    result = run_check(research, {"path": "invalid.yaml"})
    assert [(f.location.pointer, f.location.line, f.message) for f in result.findings] == [
        ("/required_terms", 2, "List should have at least 1 item after validation, not 0"),
        ("/sources/0/url", 3, "String should match pattern '^https?://\\S+$'"),
    ]


def test_sources_are_distinct_by_their_normalised_url() -> None:
    assert source_key("HTTPS://A.test/x/?b=1&a=2#top") == source_key("https://a.test/x?a=2&b=1")
    assert ResearchArtifact.model_json_schema()["required"] == ["topic", "required_terms"]


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="min_source"):
        research.parse({"path": "r.yaml", "min_source": 3})
