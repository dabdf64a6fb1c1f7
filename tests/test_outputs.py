"""What the session writes: evidence, the hash-chained log, the reports; and verify."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from pytest_gates.cli.main import main as cli
from pytest_gates.errors import EvidenceError
from pytest_gates.outputs.documents import EvidenceDocument
from pytest_gates.outputs.render.registry import FORMATS, written_files
from pytest_gates.outputs.render.terminal import terminal_table
from pytest_gates.outputs.translog import verify_log
from pytest_gates.outputs.verify import read_report, verify_outputs
from pytest_gates.support.digest import canonical_json
from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: exist, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted, outcome: fail}]}
  - {id: size, class: structural, blocking: false, checks: [{id: lines, kind: scripted}]}
"""


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def log_lines(project: GatesProject) -> list[dict[str, object]]:
    text = (project.root / ".gates" / "transitions.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def ran(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    assert project.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    return project


def test_every_output_file_is_written(ran: GatesProject) -> None:
    out = ran.root / ".gates"
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [
        "evidence/files.json",
        "evidence/lint.json",
        "evidence/size.json",
        "findings.sarif",
        "report.html",
        "report.json",
        "report.md",
        "transitions.jsonl",
    ]


def test_every_output_validates_against_the_committed_schemas(ran: GatesProject) -> None:
    schemas = Path(__file__).parent.parent / "manifests" / "schema"
    evidence = jsonschema.Draft202012Validator(
        json.loads((schemas / "evidence.schema.json").read_text())
    )
    report = jsonschema.Draft202012Validator(
        json.loads((schemas / "report.schema.json").read_text())
    )
    assert list(report.iter_errors(ran.report())) == []
    for gate in ("files", "lint", "size"):
        assert list(evidence.iter_errors(ran.evidence(gate))) == []
    broken = ran.report()
    broken["body"]["decision"] = "MAYBE"
    assert [e.message for e in report.iter_errors(broken)] == [
        "'MAYBE' is not one of ['GO', 'GO_WITH_BYPASS', 'NO_GO', 'INCOMPLETE']"
    ]


def test_the_report_and_the_log_record_the_evidence_files_digests(ran: GatesProject) -> None:
    out = ran.root / ".gates"
    report = ran.report()
    for index, gate in enumerate(("files", "lint", "size")):
        digest = sha256(out / "evidence" / f"{gate}.json")
        assert report["run"]["evidence"][gate]["sha256"] == digest
        (entry,) = [e for e in log_lines(ran) if e["gate"] == gate]
        # The log cites the body's digest, as the signed report does: a file digest would
        # carry the timings into the log head that a signature covers.
        body = report["body"]["gates"][index]["evidence"]["body_sha256"]
        assert entry["evidence_body_sha256"] == body
        assert entry["event"] == "state"
        assert (
            entry["to"]
            == report["body"]["gates"][[g["id"] for g in report["body"]["gates"]].index(gate)][
                "verdict"
            ]
        )


def test_evidence_holds_the_verdict_items_subject_and_manifest_digest(ran: GatesProject) -> None:
    evidence = ran.evidence("lint")
    body = evidence["body"]
    assert evidence["schema"] == "pytest-gates/evidence/v1"
    assert body["verdict"] == "FAIL"
    assert body["manifest"]["path"] == "manifests/gates.yaml"
    assert body["manifest"]["digest"] == sha256(ran.root / "manifests" / "gates.yaml")
    assert body["subject"] == {"commit": None, "dirty": None}  # not a git repository
    (item,) = body["items"]
    assert item["nodeid"] == "manifests/gates.yaml::lint::ruff"
    assert (item["outcome"], item["check"], item["kind"]) == ("failed", "ruff", "scripted")
    assert item["attempts"] == [{"attempt": 1, "outcome": "failed", "summary": "1 bad thing"}]
    assert body["findings"] == {"critical": 0, "major": 0, "minor": 1}
    assert "duration" in evidence["timing"]["items"]["manifests/gates.yaml::lint::ruff"]


def test_the_log_chains_across_runs_and_records_from_and_to(ran: GatesProject) -> None:
    ran.manifest(MANIFEST.replace("outcome: fail", "outcome: pass"))
    assert ran.run("--gates").ret == pytest.ExitCode.OK
    lines = log_lines(ran)
    assert [(e["seq"], e["run"], e["gate"], e["from"], e["to"]) for e in lines] == [
        (1, 1, "files", None, "PASS"),
        (2, 1, "lint", None, "FAIL"),
        (3, 1, "size", None, "PASS"),
        (4, 2, "files", "PASS", "PASS"),
        (5, 2, "lint", "FAIL", "PASS"),
        (6, 2, "size", "PASS", "PASS"),
    ]
    raw = (ran.root / ".gates" / "transitions.jsonl").read_bytes().splitlines()
    assert lines[0]["prev"] == "sha256:" + "0" * 64
    for before, entry in zip(raw, lines[1:], strict=False):
        assert entry["prev"] == "sha256:" + hashlib.sha256(before).hexdigest()
    assert ran.report()["run"]["transitions"] == {
        "path": "transitions.jsonl",
        "lines": 6,
        "head": "sha256:" + hashlib.sha256(raw[-1]).hexdigest(),
    }


def test_verify_accepts_untouched_outputs(
    ran: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["verify", str(ran.root / ".gates")]) == 0
    assert "ok: evidence digests, log chain and verdicts hold together" in capsys.readouterr().out


def _verify_problems(project: GatesProject, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli(["verify", str(project.root / ".gates")]) == 1
    return capsys.readouterr().err.splitlines()


def test_verify_catches_an_edited_evidence_file(
    ran: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ran.root / ".gates" / "evidence" / "lint.json"
    path.write_text(path.read_text().replace('"FAIL"', '"PASS"'))
    recorded = ran.report()["run"]["evidence"]["lint"]["sha256"]
    assert _verify_problems(ran, capsys) == [
        f"gate lint: {path} has sha256 {sha256(path)}, the report recorded {recorded}",
        "gate lint: the evidence body does not match the report's digest",
        "gate lint: the report says FAIL, the evidence says PASS, its items fold to FAIL",
        f"{ran.root / '.gates'}: 3 problem(s): the outputs do not hold together",
    ]


def test_verify_catches_missing_evidence(
    ran: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ran.root / ".gates" / "evidence" / "size.json"
    path.unlink()
    assert verify_outputs(ran.root / ".gates") == [
        f"gate size: {path}: missing: no evidence, so no verdict"
    ]


def _digest(line: bytes) -> str:
    return "sha256:" + hashlib.sha256(line.rstrip(b"\n")).hexdigest()


GENESIS = "sha256:" + "0" * 64


def _tamper(lines: list[bytes], how: str) -> tuple[list[bytes], str]:
    """The log's lines tampered with ``how``, and what verify must say about it."""
    chain = "chain broken: prev is {!r}, expected {!r} (a line before it was edited, deleted or reordered)"
    if how == "edit":
        edited = lines[1].replace(b'"FAIL"', b'"PASS"')
        return [lines[0], edited, lines[2]], ":3: " + chain.format(
            _digest(lines[1]), _digest(edited)
        )
    if how == "delete":
        return lines[1:], ":1: " + chain.format(_digest(lines[0]), GENESIS)
    if how == "reorder":
        return [lines[1], lines[0], lines[2]], ":1: " + chain.format(_digest(lines[0]), GENESIS)
    if how == "truncate":
        return lines[:-1], ": the report cites line 3, the log has 2: it was truncated"
    if how == "cut":
        return [*lines[:-1], lines[-1][:20]], (
            ": the last line is cut short (no newline): the log was truncated"
        )
    assert how == "edit_last"
    return [*lines[:-1], lines[-1].replace(b'"PASS"', b'"FAIL"')], (
        ": the last line's digest differs from the report's head (edited)"
    )


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "truncate", "cut", "edit_last"])
def test_verify_names_how_the_log_was_tampered_with(ran: GatesProject, tamper: str) -> None:
    path = ran.root / ".gates" / "transitions.jsonl"
    lines, message = _tamper(path.read_bytes().splitlines(keepends=True), tamper)
    path.write_bytes(b"".join(lines))
    assert verify_outputs(ran.root / ".gates") == [f"{path}{message}"]


def test_a_broken_log_is_not_appended_to_and_fails_the_session(ran: GatesProject) -> None:
    path = ran.root / ".gates" / "transitions.jsonl"
    path.write_text(path.read_text().replace('"FAIL"', '"PASS"'))
    before = path.read_bytes()
    result = ran.run("--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*could not write the gate outputs to *: *transitions.jsonl:3: chain broken*"]
    )
    assert path.read_bytes() == before


def test_collect_only_writes_nothing(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    project.run("--gates", "--collect-only")
    assert not (project.root / ".gates").exists()


def test_report_body_is_byte_identical_across_runs_and_hash_seeds(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    bodies = []
    for seed in ("0", "1", "12345"):
        os.environ["PYTHONHASHSEED"] = seed
        try:
            project.run_subprocess("--gates", "--gates-out", f"out{seed}")
        finally:
            del os.environ["PYTHONHASHSEED"]
        report = project.report(f"out{seed}")
        bodies.append(json.dumps(report["body"], sort_keys=True))
        for gate in ("files", "lint", "size"):
            bodies.append(json.dumps(project.evidence(gate, f"out{seed}")["body"], sort_keys=True))
    assert bodies[0:4] == bodies[4:8] == bodies[8:12]


def test_markdown_report_reads_as_a_job_summary(ran: GatesProject) -> None:
    md = (ran.root / ".gates" / "report.md").read_text()
    assert md.startswith("# ❌ Release decision: NO_GO\n\n**1 gate did not pass: lint**")
    assert (
        "| `lint` | structural | blocking | **FAIL** | 0/1 | 1 minor | 1 item failed; first: ruff: 1 bad thing |"
        in md
    )
    assert "- `src/a.py:3:1` **demo.bad** (minor) bad thing — fix: fix it" in md


def test_sarif_lists_each_finding_with_its_location(ran: GatesProject) -> None:
    sarif = json.loads((ran.root / ".gates" / "findings.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "demo.bad"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/a.py"},
        "region": {"startLine": 3, "startColumn": 1},
    }
    assert result["properties"] == {
        "gate": "lint",
        "nodeid": "manifests/gates.yaml::lint::ruff",
        "severity": "minor",
    }


def test_html_report_escapes_what_it_shows(project: GatesProject) -> None:
    project.manifest(MANIFEST.replace("project: demo", "project: '<script>x</script>'"))
    project.run("--gates")
    page = (project.root / ".gates" / "report.html").read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;: NO_GO" in page


def test_subject_is_the_git_commit_and_the_output_folder_does_not_make_it_dirty(
    project: GatesProject,
) -> None:
    project.manifest(MANIFEST.replace("outcome: fail", "outcome: pass"))

    def git(*args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "a",
            "GIT_AUTHOR_EMAIL": "a@b",
            "GIT_COMMITTER_NAME": "a",
            "GIT_COMMITTER_EMAIL": "a@b",
        }
        done = subprocess.run(
            ["git", *args], cwd=project.root, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    (project.root / ".gitignore").write_text("__pycache__/\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "x")
    head = git("rev-parse", "HEAD")
    project.run("--gates")
    project.run("--gates")
    assert project.report()["body"]["subject"] == {"commit": head, "dirty": False}
    (project.root / "new.txt").write_text("x")
    project.run("--gates")
    assert project.report()["body"]["subject"] == {"commit": head, "dirty": True}


def test_closure_metrics_published_by_checks_are_summed_in_the_report(
    project: GatesProject,
) -> None:
    project.pytester.makeconftest(
        project.root.joinpath("conftest.py").read_text()
        + """
class Counted(CheckParams):
    open: int


@check_kind("counted", params=Counted, idempotent=True)
def counted(p, ctx):
    return CheckResult(passed=p.open == 0, details={"closure": {"open_blocking_issues": p.open, "flag": True}})


def pytest_gates_register_checks(registry):
    registry.register(counted)
"""
    )
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: a, class: structural, checks: [{id: x, kind: counted, open: 2}, {id: y, kind: counted, open: 1}]}\n"
        "  - {id: b, class: structural, checks: [{id: z, kind: counted, open: 0}]}\n"
    )
    project.run("--gates")
    assert project.report()["body"]["closure"] == {"open_blocking_issues": 3}


def test_verify_names_a_report_that_is_not_one(
    ran: GatesProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ran.root / ".gates" / "report.json"
    report = json.loads(path.read_text())
    del report["body"]["decision"]
    path.write_text(json.dumps(report))
    problems = _verify_problems(ran, capsys)
    assert problems[0].endswith(
        "report.json: not a pytest-gates report: body.decision: Field required"
    )


def test_each_rendering_is_its_registered_renderer_on_the_documents_read_back(
    ran: GatesProject,
) -> None:
    out = ran.root / ".gates"
    report = read_report(out)
    evidence = {
        gate.id: EvidenceDocument.model_validate(ran.evidence(gate.id))
        for gate in report.body.gates
    }
    assert {name: fmt.filename for name, fmt in FORMATS.items()} == {
        "markdown": "report.md",
        "html": "report.html",
        "sarif": "findings.sarif",
        "terminal": None,
    }
    for filename, render in written_files():
        assert (out / filename).read_text() == render(report, evidence), filename
    assert FORMATS["terminal"].render(report, evidence).splitlines() == terminal_table(ran.report())


def test_a_chained_log_line_that_is_not_a_transition_is_named(tmp_path: Path) -> None:
    path = tmp_path / "transitions.jsonl"
    path.write_text(canonical_json({"prev": "sha256:" + "0" * 64, "seq": 1}) + "\n")
    with pytest.raises(EvidenceError) as info:
        verify_log(path)
    assert str(info.value) == f"{path}:1: not a transition: time: Field required"
