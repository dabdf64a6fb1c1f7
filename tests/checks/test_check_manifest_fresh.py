"""The ``manifest_fresh`` kind: a generated manifest's sources have not changed."""

from __future__ import annotations

import pytest

from pytest_gates.checks.manifest_fresh import manifest_fresh
from pytest_gates.errors import CheckError
from pytest_gates.support.digest import file_digest
from tests.checks.conftest import RunCheck, Write


@pytest.fixture
def generated(write: Write) -> str:
    ledger = file_digest(write("gates/ledger.yaml", "version: 1\n"))
    caps = file_digest(write("gates/capabilities.yaml", "version: 1\n"))
    write(
        "manifests/gates.yaml",
        f"""\
        version: 1
        generated:
          by: pytest-gates 0.1.0
          command: pytest-gates generate --config gates/generate.yaml
          sources: {{gates/capabilities.yaml: '{caps}', gates/ledger.yaml: '{ledger}'}}
        """,
    )
    return ledger


def test_unchanged_sources_pass(generated: str, run_check: RunCheck) -> None:
    result = run_check(manifest_fresh, {})
    assert result.passed
    assert result.summary == "2 sources unchanged since manifests/gates.yaml was generated"


def test_a_changed_source_is_named_with_both_digests(
    generated: str, write: Write, run_check: RunCheck
) -> None:
    now = file_digest(write("gates/ledger.yaml", "version: 1\nissues: []\n"))
    result = run_check(manifest_fresh, {"manifest": "manifests/gates.yaml"})
    assert not result.passed
    assert [(f.rule, f.location.path, f.message, f.fix_hint) for f in result.findings] == [
        (
            "manifest.source_changed",
            "gates/ledger.yaml",
            f"source 'gates/ledger.yaml' changed since the manifest was generated: recorded "
            f"{generated}, now {now}",
            "regenerate the manifest with: pytest-gates generate --config gates/generate.yaml "
            "(and commit manifests/gates.yaml)",
        )
    ]
    assert result.summary == (
        "1 source of 2 changed since manifests/gates.yaml was generated: gates/ledger.yaml; "
        "regenerate with: pytest-gates generate --config gates/generate.yaml"
    )
    assert result.details == {"sources": 2, "changed": ["gates/ledger.yaml"]}


def test_a_deleted_source(generated: str, run_check: RunCheck, write: Write) -> None:
    (write("gates/ledger.yaml", "")).unlink()
    result = run_check(manifest_fresh, {})
    assert [(f.rule, f.message) for f in result.findings] == [
        (
            "manifest.source_missing",
            "source 'gates/ledger.yaml' is gone since the manifest was generated",
        )
    ]


def test_a_hand_written_manifest_is_not_fresh(write: Write, run_check: RunCheck) -> None:
    write("manifests/gates.yaml", "version: 1\nproject: p\ngates: []\n")
    result = run_check(manifest_fresh, {})
    assert [(f.rule, f.message) for f in result.findings] == [
        (
            "manifest.not_generated",
            "the manifest records no sources (generated.sources): it was not generated",
        )
    ]


def test_a_missing_or_broken_manifest_means_the_check_cannot_run(
    write: Write, run_check: RunCheck
) -> None:
    with pytest.raises(CheckError, match=r"^manifest not found: 'manifests/gates\.yaml'$"):
        run_check(manifest_fresh, {})
    write("manifests/gates.yaml", "a: [\n")
    with pytest.raises(CheckError, match=r"^cannot read the manifest 'manifests/gates\.yaml': "):
        run_check(manifest_fresh, {})
