"""The generated workflow signs the decision (with a CI secret, keyless with actions/attest, or
both), verifies it with the committed trust file, and runs the fixed checks no manifest can drop."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from pytest_gates.projection.targets.github.workflow import STATEMENT_SCRIPT
from pytest_gates.trust import DECISION_PREDICATE_TYPE
from tests.helpers import GatesProject
from tests.signing_helpers import gated
from tests.sync_data import WORKFLOW, SyncProject

BIN = Path(sys.executable).parent
KEY = "signing: {secret: GATES_SIGNING_KEY}\n"
KEYLESS = "signing: {keyless: true}\n"
BOTH = "signing: {secret: GATES_SIGNING_KEY, keyless: true, trust: ci/trust.yaml}\n"
ATTEST = "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6"


def steps(workflow: Any, job: str) -> dict[str, Any]:
    return {step["name"]: step for step in workflow["jobs"][job]["steps"]}


def test_a_key_in_a_secret_signs_the_run_and_the_decision_job_verifies_it(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, KEY)
    project.sync()
    workflow = project.workflow()
    gates = steps(workflow, "gates")
    assert gates["run the gates"]["run"] == (
        "pytest --gates --gates-out .gates --gates-sign-key-env GATES_SIGNING_KEY"
    )
    # The secret reaches the one step that signs, and no other.
    assert gates["run the gates"]["env"] == {
        "GATES_SIGNING_KEY": "${{ secrets.GATES_SIGNING_KEY }}"
    }
    assert project.read().count("secrets.") == 1
    result = steps(workflow, "result")
    assert result["verify the outputs"]["run"] == (
        "pytest-gates verify .gates --trust manifests/trust.yaml"
    )
    assert "attest the decision" not in result
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["result"]
    assert project.messages() == []


def test_sharded_runs_are_merged_signed_and_verified(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "shards: 2\n" + KEY)
    project.sync()
    workflow = project.workflow()
    assert "env" not in steps(workflow, "gates")["run the gates"]  # a shard decides nothing
    result = workflow["jobs"]["result"]["steps"]
    names = [step["name"] for step in result]
    assert names[names.index("download the gate outputs") :] == [
        "download the gate outputs",
        "merge the shards",
        "verify the outputs",
        "publish the report",
        "require GO",
    ]
    merge = steps(workflow, "result")["merge the shards"]
    assert merge["run"] == (
        "pytest-gates merge shards/* --out .gates --sign-key-env GATES_SIGNING_KEY"
    )
    assert merge["env"] == {"GATES_SIGNING_KEY": "${{ secrets.GATES_SIGNING_KEY }}"}
    assert steps(workflow, "result")["verify the outputs"]["run"] == (
        "pytest-gates verify .gates --trust manifests/trust.yaml"
    )


def test_keyless_attests_the_decision_statement_from_the_decision_job_only(
    tmp_path: Path,
) -> None:
    project = SyncProject(tmp_path, KEYLESS)
    project.sync()
    workflow = project.workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["gates"]
    assert workflow["jobs"]["result"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }
    names = [step["name"] for step in workflow["jobs"]["result"]["steps"]]
    assert names[3:] == [
        "check the CI files against the manifest",
        "download the gate outputs",
        "verify the outputs",
        "prepare the decision statement",
        "attest the decision",
        "publish the report",
        "require GO",
    ]
    result = steps(workflow, "result")
    assert result["verify the outputs"]["run"] == "pytest-gates verify .gates"  # no key, no trust
    attest = result["attest the decision"]
    assert attest["uses"] == ATTEST
    assert re.search(rf"uses: {re.escape(ATTEST)} # v4\.2\.2$", project.read(), re.MULTILINE)
    assert attest["with"] == {
        "subject-path": ".gates/decision.statement.json",
        "predicate-type": "${{ steps.statement.outputs.predicate-type }}",
        "predicate-path": "${{ runner.temp }}/decision.predicate.json",
    }
    statement = result["prepare the decision statement"]
    assert statement["id"] == "statement"
    assert statement["shell"] == "python"
    # Forks' pull requests get no OIDC token.
    assert attest["if"] == statement["if"] == "github.event_name != 'pull_request'"
    assert "secrets." not in project.read()
    assert project.messages() == []


def test_the_statement_step_hands_actions_attest_the_statements_predicate(tmp_path: Path) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "git", "digest": {"gitCommit": "a" * 40}}],
        "predicateType": "https://pytest-gates.dev/decision/v1",
        "predicate": {"decision": "GO", "gates": [{"id": "qa.lint", "verdict": "PASS"}]},
    }
    (tmp_path / ".gates").mkdir()
    (tmp_path / ".gates" / "decision.statement.json").write_text(json.dumps(statement))
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    output = tmp_path / "github_output"
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)}
    subprocess.run(
        [sys.executable, "-c", STATEMENT_SCRIPT], cwd=tmp_path, env=env, check=True, timeout=60
    )
    predicate = json.loads((runner_temp / "decision.predicate.json").read_text())
    assert predicate == statement["predicate"]
    assert output.read_text() == "predicate-type=https://pytest-gates.dev/decision/v1\n"


def test_the_statement_a_run_writes_is_what_the_workflow_attests(project: GatesProject) -> None:
    gated(project)
    project.run("--gates")
    statement_file = project.root / ".gates" / "decision.statement.json"
    statement = json.loads(statement_file.read_text())
    assert statement["predicateType"] == DECISION_PREDICATE_TYPE
    runner_temp = project.root / "runner"
    runner_temp.mkdir()
    output = project.root / "github_output"
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)}
    subprocess.run(
        [sys.executable, "-c", STATEMENT_SCRIPT], cwd=project.root, env=env, check=True, timeout=60
    )
    assert (
        json.loads((runner_temp / "decision.predicate.json").read_text())
        == (statement["predicate"])
    )
    assert output.read_text() == f"predicate-type={DECISION_PREDICATE_TYPE}\n"


def test_both_key_and_keyless_with_another_trust_file(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, BOTH)
    project.sync()
    result = steps(project.workflow(), "result")
    assert result["verify the outputs"]["run"] == "pytest-gates verify .gates --trust ci/trust.yaml"
    assert result["attest the decision"]["uses"] == ATTEST


def test_the_signing_workflows_validate_against_githubs_schema(tmp_path: Path) -> None:
    files = []
    for name, policy in {"key": KEY, "sharded": "shards: 3\n" + BOTH, "keyless": KEYLESS}.items():
        project = SyncProject(tmp_path / name, policy)
        project.sync()
        files.append(str(project.root / WORKFLOW))
    run = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_dropping_a_signing_step_or_the_attest_permissions_is_drift(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, BOTH)
    project.sync()
    project.edit("      id-token: write\n", "")
    project.edit(" --gates-sign-key-env GATES_SIGNING_KEY", "")
    project.edit(
        "      - name: check the CI files against the manifest\n"
        "        run: pytest-gates sync --check\n",
        "",
    )
    messages = project.messages()
    assert any(
        "job 'gates': the gate command of step 'run the gates' was edited: expected "
        "`pytest --gates --gates-out .gates --gates-sign-key-env GATES_SIGNING_KEY`" in m
        for m in messages
    ), messages
    assert any(
        "job 'result': 'permissions' changed: expected {contents: read, id-token: write, "
        "attestations: write}, found {contents: read, attestations: write}" in m
        for m in messages
    ), messages
    assert any(
        m.endswith(
            "job 'result': step 'check the CI files against the manifest' removed: a hand edit "
            "of the CI files is no longer caught in CI"
        )
        for m in messages
    ), messages


def test_a_generated_manifest_gets_its_generate_check_step(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    path = project.manifest()
    text = path.read_text().replace(
        "project: demo\n",
        "project: demo\ngenerated:\n  by: pytest-gates 0.1\n"
        "  command: pytest-gates generate --config ci/gen.yaml\n"
        "  sources: {ci/gen.yaml: 'sha256:" + "0" * 64 + "'}\n",
    )
    path.write_text(text)
    project.sync()
    result = steps(project.workflow(), "result")
    assert result["check the manifest against its sources"]["run"] == (
        "pytest-gates generate --config ci/gen.yaml --check"
    )
    names = list(result)
    assert names.index("check the manifest against its sources") + 1 == names.index(
        "check the CI files against the manifest"
    )
    assert project.messages() == []


SIGNING_ERRORS = [
    (
        "signing: {}\n",
        "gates.yaml:4: projection.signing: signing needs a secret (the repository secret with "
        "the release key), keyless: true, or both",
    ),
    (
        "signing: {secret: GITHUB_TOKEN}\n",
        "gates.yaml:4: projection.signing.secret: expected the name of a repository secret "
        "(letters, digits and '_', not starting with a digit or GITHUB_), found 'GITHUB_TOKEN'",
    ),
    (
        "signing: {keyless: true, trust: /etc/trust.yaml}\n",
        "gates.yaml:4: projection.signing.trust: expected a path relative to the project root, "
        "found '/etc/trust.yaml'",
    ),
]


@pytest.mark.parametrize(("policy", "problem"), SIGNING_ERRORS, ids=[p for p, _ in SIGNING_ERRORS])
def test_the_signing_policy_is_validated_with_located_errors(
    tmp_path: Path, policy: str, problem: str
) -> None:
    path = SyncProject(tmp_path, policy).manifest(policy)
    with pytest.raises(ManifestError) as info:
        load_manifest(path, "gates.yaml")
    assert info.value.problems == [problem]
