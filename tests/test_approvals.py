"""Signed approvals: the statement and its file, one test per rule id with its exact message,
separation of duties, ``pytest-gates approve``, and a gate that requires approval in a run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.cli.main import main
from pytest_gates.model.manifest import Manifest
from pytest_gates.outputs.bypass import approval_events
from pytest_gates.outputs.documents import EvidenceDocument
from pytest_gates.trust import Identity, PrivateKey, Trust
from pytest_gates.trust.approval import (
    APPROVAL_PAYLOAD_TYPE,
    ApprovalStatement,
    format_time,
    load_approvals,
    write_approval,
)
from pytest_gates.trust.approval_check import (
    RunSubject,
    check_bypass,
    check_requirement,
    requirements,
)
from pytest_gates.trust.errors import short_keyid
from tests.helpers import GatesProject
from tests.signing_helpers import commit_all, git

COMMIT = "2" * 40
OTHER = "1" * 40
DIGEST = "sha256:" + "a" * 64
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
FOLDER = "approvals"
KEYS = {name: PrivateKey.generate() for name in ("alice", "bob", "carol", "dave", "eve")}
#: alice is the commit's author; carol runs the build; eve is in no trust file.
ROLES = {
    "alice": ("approver", "reviewer"),
    "bob": ("approver", "operator", "reviewer"),
    "carol": ("reviewer",),
    "dave": ("approver",),
}
MANIFEST = Manifest.model_validate(
    {
        "version": 1,
        "project": "demo",
        "gates": [
            {
                "id": "build",
                "class": "structural",
                "executor": "carol",
                "checks": [{"id": "a", "kind": "k"}],
            },
            {
                "id": "deploy",
                "class": "structural",
                "needs": ["build"],
                "approval": {"required": True},
                "checks": [{"id": "b", "kind": "k"}],
            },
            {
                "id": "review",
                "class": "semantic",
                "reviews": "build",
                "checks": [{"id": "c", "kind": "k"}],
            },
            {
                "id": "release",
                "class": "structural",
                "approval": {"required": True, "threshold": 2},
                "checks": [{"id": "d", "kind": "k"}],
            },
        ],
    }
)


def make_trust() -> Trust:
    identities = tuple(
        Identity(
            name,
            frozenset(roles),
            (KEYS[name].keyid,),
            ("t@example.com",) if name == "alice" else (),
        )
        for name, roles in ROLES.items()
    )
    keys = {KEYS[name].keyid: KEYS[name].public for name in ROLES}
    return Trust("manifests/trust.yaml", identities, keys)


def statement(signer: str = "bob", **changes: Any) -> ApprovalStatement:
    data: dict[str, Any] = {
        "kind": "approve",
        "gates": ["deploy"],
        "commit": COMMIT,
        "manifest_digest": DIGEST,
        "keyid": KEYS[signer].keyid,
        "issued": format_time(T0),
        "expires": format_time(T0 + timedelta(minutes=30)),
        "reason": "ship it",
    }
    return ApprovalStatement.model_validate({**data, **changes})


def write(root: Path, signer: str = "bob", **changes: Any) -> str:
    path = write_approval(root / FOLDER, statement(signer, **changes), KEYS[signer])
    return f"{FOLDER}/{path.name}"


def subject(minutes: float = 1, author: str | None = "alice") -> RunSubject:
    return RunSubject(COMMIT, DIGEST, T0 + timedelta(minutes=minutes), author)


def check(
    root: Path, gate: str = "deploy", minutes: float = 1
) -> tuple[list[str], list[dict[str, Any]]]:
    """The valid signers and the findings (rule, message, path, hint) of ``gate``'s approval."""
    run = subject(minutes)
    requirement = requirements(MANIFEST, MANIFEST.gate(gate), run)[0]
    files = load_approvals(root / FOLDER, FOLDER)
    checked = check_requirement(requirement, files, make_trust(), run, FOLDER)
    findings = [
        {"rule": f.rule, "message": f.message, "path": f.location.path, "fix": f.fix_hint}
        for f in checked.findings
    ]
    return [fact.identity for fact in checked.valid], findings


def rules(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule"], f["message"]) for f in findings]


# -- the statement and its file -----------------------------------------------------------------


def test_an_approval_is_a_dsse_envelope_in_a_file_named_by_its_statement(tmp_path: Path) -> None:
    name = write(tmp_path)
    again = write(tmp_path)  # the same statement signed again: the same file, the same bytes
    assert name == again
    assert name.startswith("approvals/approve.deploy.")
    assert len(name.split(".")[-2]) == 16
    envelope = json.loads((tmp_path / name).read_text())
    assert envelope["payloadType"] == APPROVAL_PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == KEYS["bob"].keyid
    (file,) = load_approvals(tmp_path / FOLDER, FOLDER)
    assert file.statement == statement()
    assert load_approvals(tmp_path / "nothing-here", "nothing-here") == []


def test_a_valid_approval_passes_with_no_finding(tmp_path: Path) -> None:
    write(tmp_path)
    assert check(tmp_path) == (["bob"], [])


# -- one test per rule id -----------------------------------------------------------------------


def test_approval_missing(tmp_path: Path) -> None:
    assert check(tmp_path) == (
        [],
        [
            {
                "rule": "approval.missing",
                "message": "gate deploy needs 1 approval signed by approver; approvals/ has none for it",
                "path": None,
                "fix": "pytest-gates approve --gate deploy --subject HEAD --reason TEXT --expires 30m --key KEY",
            }
        ],
    )


def test_approval_expired(tmp_path: Path) -> None:
    name = write(tmp_path)
    signers, findings = check(tmp_path, minutes=31)
    assert signers == []
    assert findings == [
        {
            "rule": "approval.expired",
            "message": f"{name}: expired at 2026-11-30T10:30:00Z (now 2026-11-30T10:31:00Z)",
            "path": name,
            "fix": "remove the file and sign a new approval with pytest-gates approve",
        }
    ]


def test_approval_wrong_subject_names_the_commit_and_the_manifest(tmp_path: Path) -> None:
    commit = write(tmp_path, commit=OTHER)
    manifest = write(tmp_path, manifest_digest="sha256:" + "b" * 64, reason="other manifest")
    _, findings = check(tmp_path)
    assert sorted(rules(findings)) == sorted(
        [
            (
                "approval.wrong_subject",
                f"{commit}: signed for commit 111111111111..., this run is at 222222222222...",
            ),
            (
                "approval.wrong_subject",
                f"{manifest}: signed for manifest sha256:bbbbbbbbbbbb..., this run uses "
                "sha256:aaaaaaaaaaaa...",
            ),
        ]
    )
    assert findings[0]["fix"] == (
        "approve the commit and manifest under test (pytest-gates approve --subject HEAD)"
    )


def test_approval_unauthorized_without_the_role_or_with_an_unknown_key(tmp_path: Path) -> None:
    carol = write(tmp_path, "carol")
    eve = write(tmp_path, "eve")
    _, findings = check(tmp_path)
    assert sorted(rules(findings)) == sorted(
        [
            (
                "approval.unauthorized",
                f"{carol}: signed by key {short_keyid(KEYS['carol'].keyid)} which "
                "manifests/trust.yaml does not trust for approver (identity 'carol' holds reviewer)",
            ),
            (
                "approval.unauthorized",
                f"{eve}: signed by key {short_keyid(KEYS['eve'].keyid)} which "
                "manifests/trust.yaml does not trust for approver",
            ),
        ]
    )
    assert findings[0]["fix"] == (
        "sign with the key of an identity holding approver in manifests/trust.yaml"
    )


def test_approval_bad_signature_for_a_changed_payload_or_a_file_that_is_not_one(
    tmp_path: Path,
) -> None:
    name = write(tmp_path)
    envelope = json.loads((tmp_path / name).read_text())
    forged = statement(reason="something else").payload()
    import base64

    envelope["payload"] = base64.b64encode(forged).decode()
    (tmp_path / name).write_text(json.dumps(envelope))
    broken = f"{FOLDER}/approve.deploy.0123456789abcdef.json"
    (tmp_path / broken).write_text("{not json")
    _, findings = check(tmp_path)
    # In the files' order: the signed file's name carries its digest, which changes with the
    # statement's times, so it sorts before or after the broken one (sorted(): about once in 230
    # runs it came first).
    assert rules(findings) == sorted(
        [
            (
                "approval.bad_signature",
                f"{broken}: not a DSSE envelope: expected DSSE envelope JSON, found invalid JSON "
                "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
            ),
            (
                "approval.bad_signature",
                f"{name}: the signature by key {short_keyid(KEYS['bob'].keyid)} does not match "
                "the approval",
            ),
        ]
    )


def test_approval_threshold_counts_distinct_signers(tmp_path: Path) -> None:
    write(tmp_path, gates=["release"])
    write(tmp_path, gates=["release"], reason="again, same signer")
    signers, findings = check(tmp_path, "release")
    assert signers == ["bob", "bob"]
    assert findings == [
        {
            "rule": "approval.threshold",
            "message": "gate release needs 2 distinct signers holding approver, found 1: bob",
            "path": None,
            "fix": "pytest-gates approve --gate release --subject HEAD --reason TEXT --expires 30m --key KEY",
        }
    ]
    write(tmp_path, "dave", gates=["release"])
    signers, findings = check(tmp_path, "release")
    assert (sorted(signers), findings) == (["bob", "bob", "dave"], [])


def test_approval_self_when_the_signer_wrote_the_commit(tmp_path: Path) -> None:
    name = write(tmp_path, "alice")
    assert check(tmp_path) == (
        [],
        [
            {
                "rule": "approval.self",
                "message": f"{name}: signed by identity 'alice', the author of commit "
                "222222222222...: nobody approves their own work",
                "path": name,
                "fix": "ask an identity that neither wrote the change nor produced the work to sign",
            }
        ],
    )


def test_one_finding_per_problem_of_one_file(tmp_path: Path) -> None:
    name = write(tmp_path, "carol", commit=OTHER)
    _, findings = check(tmp_path, minutes=45)
    assert [f["rule"] for f in findings] == [
        "approval.unauthorized",
        "approval.wrong_subject",
        "approval.expired",
    ]
    assert {f["path"] for f in findings} == {name}


def test_an_approval_of_another_gate_or_kind_does_not_count(tmp_path: Path) -> None:
    write(tmp_path, gates=["build"])
    write(tmp_path, kind="review")
    assert check(tmp_path)[1][0]["rule"] == "approval.missing"


# -- separation of duties -----------------------------------------------------------------------


def test_a_review_needs_a_reviewer_who_is_neither_the_executor_nor_the_author(
    tmp_path: Path,
) -> None:
    executor = write(tmp_path, "carol", kind="review", gates=["review"])
    author = write(tmp_path, "alice", kind="review", gates=["review"])
    signers, findings = check(tmp_path, "review")
    assert signers == []
    assert sorted(rules(findings)) == sorted(
        [
            (
                "approval.self",
                f"{author}: signed by identity 'alice', the author of commit 222222222222...: "
                "nobody approves their own work",
            ),
            (
                "approval.self",
                f"{executor}: signed by identity 'carol', the executor of gate build: "
                "nobody approves their own work",
            ),
        ]
    )
    write(tmp_path, "bob", kind="review", gates=["review"])
    assert check(tmp_path, "review")[0] == ["bob"]


def test_a_review_gate_without_a_review_is_missing_one(tmp_path: Path) -> None:
    write(tmp_path, "bob", gates=["review"])  # an approval, not a review
    assert rules(check(tmp_path, "review")[1]) == [
        (
            "approval.missing",
            "gate review needs 1 review approval signed by reviewer; approvals/ has none for it",
        )
    ]


def test_bypass_approvals_need_their_role_and_the_override_window(tmp_path: Path) -> None:
    dave = write(tmp_path, "dave", kind="emergency", gates=["build"])  # an approver, no operator
    write(
        tmp_path,
        "bob",
        kind="override",
        gates=["build"],
        expires=format_time(T0 + timedelta(days=3)),
    )
    trust = make_trust()
    early = check_bypass(
        MANIFEST,
        MANIFEST.gate("build"),
        load_approvals(tmp_path / FOLDER, FOLDER),
        trust,
        subject(),
    )
    assert [f.kind for f in early.valid] == ["override"]
    assert rules([{"rule": f.rule, "message": f.message} for f in early.findings]) == [
        (
            "approval.unauthorized",
            f"{dave}: signed by key {short_keyid(KEYS['dave'].keyid)} which manifests/trust.yaml "
            "does not trust for operator (identity 'dave' holds approver)",
        )
    ]
    late = check_bypass(
        MANIFEST,
        MANIFEST.gate("build"),
        load_approvals(tmp_path / FOLDER, FOLDER),
        trust,
        subject(25 * 60),
    )
    assert late.valid == []
    assert [f.message for f in late.findings][-1].endswith(
        "signed at 2026-11-30T10:00:00Z, more than the gate's override window (1d) before this "
        "run (2026-12-01T11:00:00Z)"
    )


# -- pytest-gates approve -----------------------------------------------------------------------

SAMPLE = """\
version: 1
project: demo
gates:
  - id: build
    class: structural
    checks: [{id: a, kind: scripted}]
  - id: deploy
    class: structural
    needs: [build]
    approval: {required: true}
    checks: [{id: b, kind: scripted}]
"""
TRUST = """\
version: 1
identities:
  - id: alice
    roles: [approver]
    keys: [{path: keys/alice.pub}]
    emails: [t@example.com]
  - id: bob
    roles: [approver, operator, reviewer]
    keys: [{path: keys/bob.pub}]
"""


class ApprovalProject(GatesProject):
    """A gate project in a git work tree with a trust file and the keys of alice (the author)
    and bob; ``approve`` runs the command in it."""

    def __init__(self, pytester: pytest.Pytester, manifest: str = SAMPLE) -> None:
        super().__init__(pytester)
        (self.root / "keys").mkdir()
        for name in ("alice", "bob"):
            (self.root / "keys" / f"{name}.key").write_bytes(KEYS[name].pem())
            (self.root / "keys" / f"{name}.pub").write_bytes(KEYS[name].public.pem())
        (self.root / "manifests").mkdir(exist_ok=True)
        (self.root / "manifests" / "trust.yaml").write_text(TRUST)
        self.manifest(manifest)
        (self.root / ".gitignore").write_text("__pycache__/\n.gates/\nkeys/*.key\napprovals/\n")
        self.commit = commit_all(self.root)

    def approve(self, *args: str, key: str = "bob") -> int:
        return main(
            [
                "approve",
                "--subject",
                "HEAD",
                "--reason",
                "ship it",
                "--expires",
                "30m",
                "--key",
                f"keys/{key}.key",
                *args,
            ]
        )


EPOCH = "1796119200"  # 2026-12-01T10:00:00Z


def test_approve_writes_a_signed_approval_of_the_commit_and_manifest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(pytester)
    assert project.approve("--gate", "deploy", "--gate", "build", "--override") == 0
    (path,) = (project.root / "approvals").iterdir()
    out = capsys.readouterr().out
    assert out == (
        f"approvals/{path.name}: override of deploy, build for commit {project.commit[:12]}... by "
        f"key {KEYS['bob'].keyid[:12]}..., expires 2026-12-01T10:30:00Z\n"
    )
    (file,) = load_approvals(project.root / "approvals", "approvals")
    assert file.statement is not None
    assert file.statement.model_dump(by_alias=True) == {
        "schema": "pytest-gates/approval/v1",
        "kind": "override",
        "gates": ["deploy", "build"],
        "commit": project.commit,
        "manifest_digest": file.statement.manifest_digest,
        "keyid": KEYS["bob"].keyid,
        "issued": "2026-12-01T10:00:00Z",
        "expires": "2026-12-01T10:30:00Z",
        "reason": "ship it",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--gate", "nope"],
            "pytest-gates approve: --gate nope: no such gate in manifests/gates.yaml",
        ),
        (
            ["--gate", "deploy", "--subject", "no-such-rev"],
            "pytest-gates approve: --subject no-such-rev: not a commit of this git repository",
        ),
        (
            ["--gate", "deploy", "--expires", "forever"],
            "pytest-gates approve: --expires forever: expected a duration such as 30m, 24h or 7d (at most 30d)",
        ),
        (
            ["--gate", "deploy", "--expires", "31d"],
            "pytest-gates approve: --expires 31d: expected a duration such as 30m, 24h or 7d (at most 30d)",
        ),
        (
            ["--gate", "deploy", "--key", "keys/none.key"],
            "pytest-gates approve: keys/none.key: no such file (expected an Ed25519 private key in PEM)",
        ),
    ],
)
def test_approve_refuses_bad_arguments(
    pytester: pytest.Pytester,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    project = ApprovalProject(pytester)
    assert project.approve(*args) == 1
    assert capsys.readouterr().err == message + "\n"
    assert not (project.root / "approvals").exists()


# -- a run --------------------------------------------------------------------------------------


def test_a_gate_requiring_approval_fails_without_one_and_passes_with_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(pytester)
    result = project.run("--gates")
    assert result.ret == 1
    assert project.verdicts() == {"build": "PASS", "deploy": "FAIL"}
    item = project.evidence("deploy")["body"]["items"][-1]
    assert item["nodeid"] == "manifests/gates.yaml::deploy::@approval"
    assert (item["outcome"], item["message"]) == (
        "failed",
        "gate deploy needs 1 approval signed by approver; approvals/ has none for it",
    )
    assert [f["rule"] for f in item["findings"]] == ["approval.missing"]

    assert project.approve("--gate", "deploy", key="alice") == 0  # alice wrote the commit
    project.run("--gates")
    item = project.evidence("deploy")["body"]["items"][-1]
    assert [f["rule"] for f in item["findings"]] == ["approval.self"]

    assert project.approve("--gate", "deploy") == 0
    result = project.run("--gates")
    assert result.ret == 0
    assert project.verdicts() == {"build": "PASS", "deploy": "PASS"}
    item = project.evidence("deploy")["body"]["items"][-1]
    assert (item["outcome"], item["message"]) == ("passed", "approve by bob")
    assert item["details"]["approval"]["signers"] == ["bob"]

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 3600))  # an hour later: expired
    assert project.run("--gates").ret == 1
    item = project.evidence("deploy")["body"]["items"][-1]
    assert sorted({f["rule"] for f in item["findings"]}) == ["approval.expired", "approval.self"]


@pytest.mark.parametrize("dist", [("-p", "no:xdist"), ("-n", "2")], ids=["n0", "n2"])
def test_an_unapproved_gate_runs_no_check_and_blocks_what_needs_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: tuple[str, ...]
) -> None:
    """A deploy waits for its approval: without one its checks never run, and the gate that
    verifies the deployment is blocked, whatever -n says."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(
        pytester,
        SAMPLE + "  - id: verified\n    class: semantic\n    needs: [deploy]\n"
        "    checks: [{id: c, kind: scripted}]\n",
    )
    result = project.run("--gates", *dist)
    assert result.ret == 1
    assert project.verdicts() == {"build": "PASS", "deploy": "FAIL", "verified": "BLOCKED"}
    check, approval = project.evidence("deploy")["body"]["items"]
    assert check["outcome"] == "skipped"
    assert check["message"] == (
        "not run: gate deploy has no valid approval: gate deploy needs 1 approval signed by "
        "approver; approvals/ has none for it"
    )
    assert approval["outcome"] == "failed"
    (verified,) = project.evidence("verified")["body"]["items"]
    assert verified["outcome"] == "blocked"


def test_the_approvals_folder_option_and_its_ini_twin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(pytester)
    assert project.approve("--gate", "deploy", "--gates-approvals", "signed") == 0
    assert project.run("--gates").ret == 1
    assert project.run("--gates", "--gates-approvals", "signed").ret == 0
    pytester.makeini("[pytest]\ngates_approvals = signed\n")
    assert project.run("--gates").ret == 0


def test_an_approval_replayed_on_a_new_commit_is_the_wrong_subject(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(pytester)
    assert project.approve("--gate", "deploy") == 0
    (project.root / "README").write_text("more\n")
    new = commit_all(project.root)
    assert git(project.root, "rev-parse", "HEAD") == new
    assert project.run("--gates").ret == 1
    (finding,) = project.evidence("deploy")["body"]["items"][-1]["findings"]
    assert finding["rule"] == "approval.wrong_subject"
    assert finding["message"].endswith(
        f"signed for commit {project.commit[:12]}..., this run is at {new[:12]}..."
    )


# -- validate refuses what cannot be separated ---------------------------------------------------

SELF_REVIEW = """\
version: 1
project: p
gates:
  - id: build
    class: structural
    executor: carol
    checks: [{{id: a, kind: files, exist: [gates.yaml]}}]
  - id: review
    class: semantic
    reviews: {reviews}
    executor: {executor}
    checks: [{{id: b, kind: files, exist: [gates.yaml]}}]
"""


@pytest.mark.parametrize(
    ("reviews", "executor", "problem"),
    [
        (
            "review",
            "bob",
            "gates.yaml:8: gates[id='review']: a gate cannot review itself, found reviews: "
            "'review'",
        ),
        (
            "build",
            "carol",
            "gates.yaml:11: gates[id='review'].executor: gate 'review' reviews gate 'build' and "
            "both are run by 'carol': writer and reviewer must be different identities",
        ),
        (
            "deploy",
            "bob",
            "gates.yaml:10: gates[id='review'].reviews: expected the id of a gate in this "
            "manifest (build, review), found 'deploy'",
        ),
    ],
)
def test_validate_refuses_a_self_review_and_one_writer_reviewing_itself(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reviews: str,
    executor: str,
    problem: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gates.yaml").write_text(SELF_REVIEW.format(reviews=reviews, executor=executor))
    assert main(["validate", "gates.yaml"]) == 1
    assert capsys.readouterr().err.splitlines() == [problem]
    (tmp_path / "gates.yaml").write_text(SELF_REVIEW.format(reviews="build", executor="bob"))
    assert main(["validate", "gates.yaml"]) == 0


REVIEWED = """\
version: 1
project: demo
gates:
  - id: build
    class: structural
    executor: bob
    checks: [{id: a, kind: scripted}]
  - id: review
    class: semantic
    needs: [build]
    reviews: build
    executor: carol
    checks: [{id: b, kind: scripted}]
"""


def test_a_reviewing_gate_records_its_executor_and_reviewer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = ApprovalProject(pytester, REVIEWED)
    assert project.approve("--gate", "review", "--review") == 0  # bob runs the build
    assert project.approve("--gate", "review", "--review", key="alice") == 0  # alice wrote it
    assert project.run("--gates").ret == 1
    item = project.evidence("review")["body"]["items"][-1]
    assert sorted(f["message"].split(": ", 1)[1] for f in item["findings"]) == [
        "signed by identity 'alice', the author of commit "
        f"{project.commit[:12]}...: nobody approves their own work",
        "signed by identity 'bob', the executor of gate build: nobody approves their own work",
        f"signed by key {short_keyid(KEYS['alice'].keyid)} which manifests/trust.yaml does not "
        "trust for reviewer (identity 'alice' holds approver)",
    ]
    trust = (project.root / "manifests/trust.yaml").read_text()
    (project.root / "manifests/trust.yaml").write_text(
        trust + "  - id: dave\n    roles: [reviewer]\n    keys: [{path: keys/dave.pub}]\n"
    )
    (project.root / "keys/dave.key").write_bytes(KEYS["dave"].pem())
    (project.root / "keys/dave.pub").write_bytes(KEYS["dave"].public.pem())
    assert project.approve("--gate", "review", "--review", key="dave") == 0
    assert project.run("--gates").ret == 0
    item = project.evidence("review")["body"]["items"][-1]
    assert (item["outcome"], item["message"]) == ("passed", "review by dave")
    details = item["details"]["approval"]
    assert (details["executor"], details["reviewer"]) == ("bob", ["dave"])
    document = EvidenceDocument.model_validate(project.evidence("review"))
    (event,) = approval_events("PASS", document)
    assert event["event"] == "review"
    assert (event["approval"]["identity"], event["approval"]["executor"]) == ("dave", "bob")


def test_a_broken_trust_file_is_a_usage_error_when_approvals_are_needed(
    pytester: pytest.Pytester,
) -> None:
    project = ApprovalProject(pytester)
    (project.root / "manifests/trust.yaml").write_text("version: 1\nidentities: 5\n")
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: approvals: manifests/trust.yaml:2: identities: expected a valid list, found 5"]
    )


def test_an_unreadable_bypass_file_is_reported_for_the_gate_its_name_gives(
    tmp_path: Path,
) -> None:
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / "override.build.0123456789abcdef.json").write_text("[]")
    (tmp_path / FOLDER / "override.deploy.0123456789abcdef.json").write_text("[]")
    files = load_approvals(tmp_path / FOLDER, FOLDER)
    checked = check_bypass(MANIFEST, MANIFEST.gate("build"), files, make_trust(), subject())
    assert [(f.rule, f.message) for f in checked.findings] == [
        (
            "approval.bad_signature",
            "approvals/override.build.0123456789abcdef.json: not a DSSE envelope: expected a "
            "JSON object with payload, payloadType and signatures",
        )
    ]
