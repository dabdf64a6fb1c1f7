"""Overrides and emergency bypasses in a run: BYPASSED, GO_WITH_BYPASS, the exit status under the
policy, the banner, the log, merge, and verify re-checking the approval behind each bypass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.chain import decide, fold_gate
from pytest_gates.model.manifest import Manifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.bypass import approval_events
from pytest_gates.outputs.documents import EvidenceDocument, Transition
from pytest_gates.outputs.merge import merge
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.projection.targets.github.workflow import decide_script
from pytest_gates.session.approvals import SessionApprovals
from pytest_gates.trust import Trust, load_trust
from pytest_gates.trust.approval import load_approvals, write_approval
from pytest_gates.trust.errors import short_keyid
from tests.sync_data import SyncProject
from tests.test_approvals import (
    EPOCH,
    FOLDER,
    KEYS,
    ApprovalProject,
    make_trust,
    subject,
    write,
)

FAILING = """\
version: 1
project: demo
{policy}gates:
  - id: build
    class: structural
    checks: [{{id: a, kind: scripted, outcome: fail}}]
  - id: deploy
    class: structural
    needs: [build]
    checks: [{{id: b, kind: scripted}}]
"""
ALLOW = "policy: {allow_bypass: true}\n"
REFUSED = (
    "GO_WITH_BYPASS is not a release: the manifest's policy does not allow bypass "
    "(set policy: {allow_bypass: true} to accept approved bypasses)"
)


@pytest.fixture
def at_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def failing(pytester: pytest.Pytester, policy: str = "") -> ApprovalProject:
    return ApprovalProject(pytester, FAILING.format(policy=policy))


def bypass_item(project: ApprovalProject, gate: str = "build") -> dict[str, Any]:
    items: list[dict[str, Any]] = project.evidence(gate)["body"]["items"]
    (item,) = [i for i in items if i["nodeid"].endswith("::@bypass")]
    return item


@pytest.mark.usefixtures("at_epoch")
def test_an_override_turns_the_failure_into_bypassed_and_dependents_run(
    pytester: pytest.Pytester,
) -> None:
    project = failing(pytester)
    assert project.run("--gates").ret == 1
    assert project.verdicts() == {"build": "FAIL", "deploy": "BLOCKED"}
    assert (
        project.approve("--gate", "build", "--override", "--reason", "hotfix for the outage") == 0
    )
    result = project.run("--gates")
    assert project.verdicts() == {"build": "BYPASSED", "deploy": "PASS"}
    body = project.report()["body"]
    assert body["decision"] == "GO_WITH_BYPASS"
    assert body["reason"] == ("every gate passed or was bypassed by an approval; bypassed: build")
    short = short_keyid(KEYS["bob"].keyid)
    assert body["gates"][0]["reason"] == (
        f"bypassed: override approval by bob (key {short}): hotfix for the outage"
    )
    item = bypass_item(project)
    assert item["outcome"] == "passed"
    fact = item["details"]["bypass"]
    (path,) = (project.root / "approvals").iterdir()
    assert fact["file"] == f"approvals/{path.name}"
    assert (fact["kind"], fact["identity"], fact["keyid"]) == ("override", "bob", KEYS["bob"].keyid)
    # the failing check still says it failed: the evidence keeps what happened
    assert project.evidence("build")["body"]["items"][0]["outcome"] == "failed"
    result.stdout.fnmatch_lines(
        [
            "decision: GO_WITH_BYPASS: every gate passed or was bypassed by an approval; bypassed: build",
            REFUSED,
        ]
    )
    assert result.ret == 1  # the policy does not allow bypass
    log = [
        json.loads(line)
        for line in (project.root / ".gates/transitions.jsonl").read_text().splitlines()
    ]
    assert [(e["gate"], e["from"], e["to"]) for e in log if e.get("event") == "state"][-2:] == [
        ("build", "FAIL", "BYPASSED"),
        ("deploy", "BLOCKED", "PASS"),
    ]
    (bypass,) = [e for e in log if e.get("event") == "bypass"]
    assert (bypass["gate"], bypass["to"]) == ("build", "BYPASSED")
    assert bypass["reason"] == bypass["approval"]["reason"] != ""
    assert bypass["approval"]["kind"] == "override"
    assert bypass["approval"]["identity"]
    assert bypass["approval"]["keyid"]


@pytest.mark.usefixtures("at_epoch")
def test_go_with_bypass_exits_zero_when_the_policy_allows_bypass(
    pytester: pytest.Pytester,
) -> None:
    project = failing(pytester, ALLOW)
    assert project.approve("--gate", "build", "--override") == 0
    result = project.run("--gates")
    assert project.report()["body"]["decision"] == "GO_WITH_BYPASS"
    assert result.ret == 0
    assert REFUSED not in result.stdout.str()
    result.assert_outcomes(passed=1, xfailed=1)


@pytest.mark.usefixtures("at_epoch")
def test_an_emergency_skips_the_gate_and_its_items_do_not_run(pytester: pytest.Pytester) -> None:
    project = failing(pytester, ALLOW)
    assert project.approve("--gate", "build", "--emergency", "--reason", "site down") == 0
    result = project.run("--gates", "-rs")
    assert result.ret == 0
    assert project.verdicts() == {"build": "BYPASSED", "deploy": "PASS"}
    result.assert_outcomes(passed=1, skipped=1)
    short = short_keyid(KEYS["bob"].keyid)
    result.stdout.fnmatch_lines(
        [f"SKIPPED * bypassed by emergency approval by bob (key {short}): site down"]
    )
    assert project.evidence("build")["body"]["items"][0]["outcome"] == "skipped"
    assert project.report()["body"]["gates"][0]["reason"] == (
        f"bypassed: emergency approval by bob (key {short}): site down"
    )


@pytest.mark.usefixtures("at_epoch")
def test_the_reports_name_who_bypassed_which_gate_and_why(pytester: pytest.Pytester) -> None:
    project = failing(pytester)
    assert project.approve("--gate", "build", "--override", "--reason", "hotfix <now>") == 0
    project.run("--gates")
    (path,) = (project.root / "approvals").iterdir()
    digest = bypass_item(project)["details"]["bypass"]["sha256"]
    short = KEYS["bob"].keyid[:12]
    markdown = (project.root / ".gates/report.md").read_text()
    assert (
        "> ⚠️ **Bypassed by signed approval:**\n>\n"
        f"> - `build`: **override** approval by **bob** (key `{short}...`): hotfix \\<now> — "
        f"approval `approvals/{path.name}` (`{digest[:19]}...`)\n"
    ) in markdown
    html = (project.root / ".gates/report.html").read_text()
    assert (
        '<div class="bypass"><p><b>Bypassed by signed approval:</b></p><ul><li><code>build</code>: '
        f"<b>override</b> approval by <b>bob</b> (key <code>{short}...</code>): hotfix &lt;now&gt; "
        f"— approval <code>approvals/{path.name}</code> (<code>{digest[:19]}...</code>)</li></ul></div>"
    ) in html


@pytest.mark.usefixtures("at_epoch")
def test_an_override_by_an_identity_without_the_approver_role_bypasses_nothing(
    pytester: pytest.Pytester,
) -> None:
    project = failing(pytester)
    (project.root / "manifests/trust.yaml").write_text(
        "version: 1\nidentities:\n  - id: bob\n    roles: [operator]\n    keys: [{path: keys/bob.pub}]\n"
    )
    assert project.approve("--gate", "build", "--override") == 0
    assert project.run("--gates").ret == 1
    assert project.verdicts() == {"build": "FAIL", "deploy": "BLOCKED"}
    item = bypass_item(project)
    assert item["outcome"] == "skipped"
    (finding,) = item["findings"]
    assert (finding["rule"], finding["severity"]) == ("approval.unauthorized", "minor")
    assert finding["message"].endswith(
        "does not trust for approver (identity 'bob' holds operator)"
    )


# -- verify ------------------------------------------------------------------------------------


@pytest.fixture
def bypassed(pytester: pytest.Pytester, at_epoch: None) -> ApprovalProject:
    project = failing(pytester, ALLOW)
    assert project.approve("--gate", "build", "--override", "--expires", "2h") == 0
    assert project.run("--gates").ret == 0
    assert verify_outputs(project.root / ".gates") == []
    return project


def _approval(project: ApprovalProject) -> Path:
    (path,) = (project.root / "approvals").iterdir()
    return path


def test_verify_refuses_a_bypass_whose_approval_was_removed(bypassed: ApprovalProject) -> None:
    path = _approval(bypassed)
    path.unlink()
    assert verify_outputs(bypassed.root / ".gates") == [
        f"gate build: BYPASSED by approvals/{path.name}, which is missing: no valid approval, "
        "so no bypass"
    ]


def test_verify_refuses_a_bypass_whose_approval_expired(
    bypassed: ApprovalProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _approval(bypassed)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 3 * 3600))
    assert verify_outputs(bypassed.root / ".gates") == [
        f"gate build: BYPASSED by approvals/{path.name}, which expired at 2026-12-01T12:00:00Z "
        "(now 2026-12-01T13:00:00Z)"
    ]


def test_verify_refuses_a_bypass_re_signed_by_an_untrusted_key(bypassed: ApprovalProject) -> None:
    path = _approval(bypassed)
    (file,) = load_approvals(path.parent, "approvals")
    assert file.statement is not None
    eve = KEYS["eve"]
    forged = file.statement.model_copy(update={"keyid": eve.keyid})
    written = write_approval(path.parent, forged, eve)
    written.replace(path)
    assert verify_outputs(bypassed.root / ".gates") == [
        f"gate build: BYPASSED by approvals/{path.name}, which was re-signed by key "
        f"{short_keyid(eve.keyid)}; the evidence names key {short_keyid(KEYS['bob'].keyid)}"
    ]


def test_verify_with_the_trust_file_refuses_a_signer_no_longer_trusted(
    bypassed: ApprovalProject,
) -> None:
    path = _approval(bypassed)
    root = bypassed.root
    (root / "manifests/trust.yaml").write_text(
        "version: 1\nidentities:\n  - id: bob\n    roles: [reviewer]\n    keys: [{path: keys/bob.pub}]\n"
    )
    trust: Trust = load_trust(root / "manifests/trust.yaml", root, "manifests/trust.yaml")
    assert verify_outputs(root / ".gates", trust=trust) == [
        f"gate build: BYPASSED by approvals/{path.name}: signed by key "
        f"{short_keyid(KEYS['bob'].keyid)} which manifests/trust.yaml does not trust for "
        "approver (identity 'bob' holds reviewer)"
    ]


# -- the log, the merge, the workflow ----------------------------------------------------------


def test_the_bypass_and_review_lines_of_the_log(bypassed: ApprovalProject) -> None:
    document = EvidenceDocument.model_validate(bypassed.evidence("build"))
    (event,) = approval_events("BYPASSED", document)
    line = Transition.model_validate(
        {
            "time": "t",
            "gate": "build",
            "manifest_digest": "sha256:" + "0" * 64,
            "commit": None,
            **event,
        }
    )
    data = line.line_data()
    assert (data["event"], data["to"], data["reason"]) == ("bypass", "BYPASSED", "ship it")
    assert (data["approval"]["identity"], data["approval"]["keyid"]) == ("bob", KEYS["bob"].keyid)
    assert approval_events("FAIL", document) == []


@pytest.mark.usefixtures("at_epoch")
def test_a_merge_of_shards_keeps_the_bypass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = failing(pytester)
    assert project.approve("--gate", "build", "--override") == 0
    for index in (1, 2):
        project.run("--gates", f"--gates-shard={index}/2", f"--gates-out=shard{index}")
    code, report = merge([Path("shard1"), Path("shard2")], Path("merged"))
    assert report["body"]["decision"] == "GO_WITH_BYPASS"
    assert {g["id"]: g["verdict"] for g in report["body"]["gates"]} == {
        "build": "BYPASSED",
        "deploy": "PASS",
    }
    assert code == 1  # the policy does not allow bypass
    assert verify_outputs(project.root / "merged") == []


def test_the_decision_job_passes_go_with_bypass_only_where_the_policy_allows_it(
    tmp_path: Path,
) -> None:
    report = tmp_path / ".gates" / "report.json"
    report.parent.mkdir()
    statuses: dict[bool, dict[str, int]] = {}
    for allow in (False, True):
        statuses[allow] = {}
        for decision in ("GO", "GO_WITH_BYPASS", "NO_GO", "INCOMPLETE"):
            report.write_text(json.dumps({"body": {"decision": decision}}))
            run = subprocess.run(
                [sys.executable, "-c", decide_script(allow)], cwd=tmp_path, capture_output=True
            )
            statuses[allow][decision] = run.returncode
    assert statuses == {
        False: {"GO": 0, "GO_WITH_BYPASS": 1, "NO_GO": 1, "INCOMPLETE": 1},
        True: {"GO": 0, "GO_WITH_BYPASS": 0, "NO_GO": 1, "INCOMPLETE": 1},
    }


def test_the_decision_job_fails_when_a_leg_of_the_gates_job_failed(tmp_path: Path) -> None:
    """A leg testing another Python uploads nothing the decision reads: its failure still
    fails the decision step, through the gates job's result."""
    report = tmp_path / ".gates" / "report.json"
    report.parent.mkdir()
    report.write_text(json.dumps({"body": {"decision": "GO"}}))
    codes = {}
    for result in ("success", "failure", "cancelled"):
        run = subprocess.run(
            [sys.executable, "-c", decide_script(True)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "GATES_JOB_RESULT": result},
        )
        codes[result] = (run.returncode, run.stdout.splitlines())
    assert codes == {
        "success": (0, ["release decision: GO", "gates job (every shard and Python): success"]),
        "failure": (1, ["release decision: GO", "gates job (every shard and Python): failure"]),
        "cancelled": (
            1,
            ["release decision: GO", "gates job (every shard and Python): cancelled"],
        ),
    }


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.usefixtures("at_epoch")
def test_an_override_under_xdist_lets_dependents_run(pytester: pytest.Pytester) -> None:
    project = failing(pytester, ALLOW)
    assert project.approve("--gate", "build", "--override") == 0
    result = project.run("--gates", "-n", "2")
    assert project.verdicts() == {"build": "BYPASSED", "deploy": "PASS"}
    assert result.ret == 0


def test_the_generated_decision_step_follows_the_manifests_policy(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    refuses = project.workflow()["jobs"]["result"]["steps"][-1]["run"]
    assert refuses == decide_script(False)
    manifest = project.root / "manifests" / "gates.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("gates:\n", "policy: {allow_bypass: true}\ngates:\n", 1))
    project.sync()
    assert project.workflow()["jobs"]["result"]["steps"][-1]["run"] == decide_script(True)


# -- the chain -----------------------------------------------------------------------------------


def _record(gate: str, outcome: str, check: str = "a", **details: Any) -> ItemRecord:
    return ItemRecord.model_validate(
        {
            "nodeid": f"m::{gate}::{check}",
            "gate": gate,
            "check": check,
            "outcome": outcome,
            "details": details,
        }
    )


def _bypass(gate: str, kind: str) -> ItemRecord:
    record = _record(gate, "passed", "@bypass", bypass={"kind": kind})
    record.message = f"{kind} approval by bob (key 1234): why"
    return record


@pytest.mark.parametrize(
    ("outcome", "kind", "verdict"),
    [
        ("failed", "override", "BYPASSED"),
        ("passed", "override", "PASS"),
        ("error", "override", "ERROR"),
        ("skipped", "emergency", "BYPASSED"),
        ("failed", "emergency", "BYPASSED"),
        ("not_run", "emergency", "NOT_RUN"),
    ],
)
def test_the_chain_folds_a_bypass_record(outcome: str, kind: str, verdict: str) -> None:
    folded = fold_gate("g", [], False, [_record("g", outcome), _bypass("g", kind)], {}, ["g"])
    assert folded.verdict == verdict
    if verdict == "BYPASSED":
        assert folded.reason == f"bypassed: {kind} approval by bob (key 1234): why"
        assert folded.complete


def test_a_bypassed_gate_blocks_no_dependent_and_the_decision_says_so() -> None:
    verdicts = {
        "a": fold_gate(
            "a", [], False, [_record("a", "failed"), _bypass("a", "override")], {}, ["a", "b"]
        )
    }
    verdicts["b"] = fold_gate("b", ["a"], False, [_record("b", "passed")], verdicts, ["a", "b"])
    assert verdicts["b"].verdict == "PASS"
    assert decide(verdicts) == (
        "GO_WITH_BYPASS",
        "every gate passed or was bypassed by an approval; bypassed: a",
    )
    blocked = fold_gate(
        "a",
        ["x"],
        False,
        [_record("a", "skipped"), _bypass("a", "emergency")],
        {"x": fold_gate("x", [], False, [_record("x", "failed")], {}, ["x"])},
        ["x", "a"],
    )
    assert blocked.verdict == "BLOCKED"


def test_the_runners_guard_of_the_manifest_is_never_bypassed(tmp_path: Path) -> None:
    manifest = Manifest.model_validate(
        {
            "version": 1,
            "project": "demo",
            "gates": [
                {
                    "id": "manifest.guard",
                    "class": "structural",
                    "checks": [{"id": "g", "kind": "k"}],
                },
                {"id": "build", "class": "structural", "checks": [{"id": "a", "kind": "k"}]},
            ],
        }
    )
    for gate in ("manifest.guard", "build"):
        write(tmp_path, kind="override", gates=[gate])
    files = load_approvals(tmp_path / FOLDER, FOLDER)
    approvals = SessionApprovals(FOLDER, subject(), files)
    approvals.check(manifest, make_trust())
    records = [_record("manifest.guard", "failed", "g"), _record("build", "failed")]
    added = approvals.records(manifest, "m::", records)[2:]
    assert [(r.nodeid, r.outcome) for r in added] == [("m::build::@bypass", "passed")]
