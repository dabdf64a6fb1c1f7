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
        "upload the recorded durations",
        "publish the report",
        "require GO",
    ]
    merge = steps(workflow, "result")["merge the shards"]
    assert merge["run"] == (
        "pytest-gates merge shards/* --out .gates --sign-key-env GATES_SIGNING_KEY "
        "--store-durations manifests/durations.json"
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


LOG_FROM = "${{ steps.last-decision.outputs.log-from }}"


def test_each_run_continues_the_log_of_the_last_decision_on_the_main_branch(
    tmp_path: Path,
) -> None:
    project = SyncProject(tmp_path, "branch: trunk\n", core=False)
    project.sync()
    workflow = project.workflow()
    job = workflow["jobs"]["gates"]
    # gh lists the runs and downloads the artifacts of this workflow.
    assert job["permissions"] == {"contents": "read", "actions": "read"}
    names = [step["name"] for step in job["steps"]]
    assert names.index("restore the last decision's log") + 1 == names.index("run the gates")
    restore = steps(workflow, "gates")["restore the last decision's log"]
    assert restore["id"] == "last-decision"
    assert restore["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "GH_REPO": "${{ github.repository }}",
        "WORKFLOW": "gates.yml",
        "BRANCH": "trunk",
        "ARTIFACT": "gates",
        "LAST_DECISION": "${{ runner.temp }}/last-decision",
    }
    assert "--status success --limit 1 --json databaseId" in restore["run"]
    assert steps(workflow, "gates")["run the gates"]["run"] == (
        f"pytest --gates --gates-out .gates {LOG_FROM}"
    )
    # The permission is the gates job's own: the decision job keeps the workflow's read-only one.
    assert "permissions" not in workflow["jobs"]["result"]


FAKE_GH = """\
#!/bin/sh
echo "$*" >> "$GH_CALLS"
if [ "$1 $2" = "run list" ]; then printf '%s' "$GH_RUN_ID"; exit 0; fi
if [ "$1 $2" = "run download" ]; then
  [ "$GH_DOWNLOAD" = ok ] || exit 1
  mkdir -p "$7" && echo "{}" > "$7/transitions.jsonl"
fi
"""


@pytest.mark.parametrize(
    ("run_id", "download", "log_from"),
    [
        ("", "ok", False),  # the first run: no earlier decision
        ("42", "expired", False),  # the artifact of the last decision has expired
        ("42", "ok", True),
    ],
)
def test_the_restore_step_tolerates_a_first_run_and_passes_the_log_it_found(
    tmp_path: Path, run_id: str, download: str, log_from: bool
) -> None:
    project = SyncProject(tmp_path / "p", core=False)
    project.sync()
    restore = steps(project.workflow(), "gates")["restore the last decision's log"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    output = tmp_path / "github_output"
    output.write_text("")
    last = tmp_path / "last-decision"
    env = {
        **os.environ,
        **{key: value for key, value in restore["env"].items() if "${{" not in value},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "LAST_DECISION": str(last),
        "GITHUB_OUTPUT": str(output),
        "GH_CALLS": str(tmp_path / "calls"),
        "GH_RUN_ID": run_id,
        "GH_DOWNLOAD": download,
    }
    run = subprocess.run(
        ["bash", "-e", "-c", restore["run"]], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == (
        "run list --workflow gates.yml --branch main --status success --limit 1 "
        "--json databaseId --jq .[0].databaseId // empty"
    )
    if run_id:
        assert calls[1] == f"run download 42 -n gates -D {last}"
    expected = f"log-from=--gates-log-from {last}/transitions.jsonl\n" if log_from else ""
    assert output.read_text() == expected
    assert ("the log starts here" in run.stdout) is not log_from


def test_shards_continue_the_log_and_the_merged_decision_is_uploaded_for_the_next_run(
    tmp_path: Path,
) -> None:
    project = SyncProject(tmp_path, "shards: 2\n" + KEY, core=False)
    project.sync()
    workflow = project.workflow()
    assert steps(workflow, "gates")["run the gates"]["run"].endswith(LOG_FROM)
    result = steps(workflow, "result")
    names = list(result)
    assert names.index("upload the decision") == names.index("verify the outputs") + 1
    upload = result["upload the decision"]["with"]
    assert (upload["name"], upload["path"], upload["overwrite"]) == ("gates", ".gates/", True)


def test_the_policy_can_start_every_log_afresh(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "restore_log: false\nshards: 2\n", core=False)
    project.sync()
    workflow = project.workflow()
    assert "permissions" not in workflow["jobs"]["gates"]
    assert "restore the last decision's log" not in steps(workflow, "gates")
    assert "upload the decision" not in steps(workflow, "result")
    assert LOG_FROM not in project.read()


def test_dropping_the_restore_step_is_drift_that_says_what_is_lost(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, core=False)
    project.sync()
    text = project.read()
    start = text.index("      - name: restore the last decision's log\n")
    end = text.index("      - name: run the gates\n")
    (tmp_path / WORKFLOW).write_text(text[:start] + text[end:])
    assert project.messages() == [
        f"{WORKFLOW}:23: job 'gates': step 'restore the last decision's log' removed: the "
        "transition log restarts on every run instead of continuing from the last decision on "
        "the main branch (projection.restore_log: false turns this off)"
    ]
