"""Each gate reads what came before: a check reads the final results of the gates its gate needs
through its CheckContext, typed and versioned, in one process, when the need ran on another
xdist worker, and over CI shards (a check shares the shard of what it reads); reading a gate its
``reads`` does not name is an error, and a ``reads`` naming a gate not needed fails the load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_gates.checks.api import CheckContext, NeedNotFinal, NeedNotReadable, NeedResult
from pytest_gates.cli.main import main as cli
from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from tests.helpers import KINDS_CONFTEST, GatesProject, ran_items, run_shards

READERS = """

class Whoami(CheckParams):
    pass


@check_kind("whoami", params=Whoami, idempotent=True)
def whoami(p, ctx):
    finding = Finding(rule="lint.style", severity="minor", message="a long line")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return CheckResult(passed=False, summary="1 style note", findings=[finding],
                       details={"worker": worker})


class ReadNeed(CheckParams):
    gate: str


@check_kind("read_need", params=ReadNeed, idempotent=True)
def read_need(p, ctx):
    need = ctx.needed(p.gate)
    return CheckResult(
        passed=True,
        summary=f"{need.gate} was {need.verdict}",
        details={
            "schema": need.schema_,
            "verdict": need.verdict,
            "checks": [record.check for record in need.records],
            "findings": [finding.rule for finding in need.findings],
            "need_worker": need.records[0].details.get("worker"),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        },
    )


def pytest_gates_register_checks(registry):
    registry.register(scripted)
    registry.register(scripted_once)
    registry.register(whoami)
    registry.register(read_need)
"""
MANIFEST = """\
version: 1
project: demo
gates:
  - id: qa
    class: structural
    blocking: false
    expected_duration: 30
    checks: [{id: lint, kind: whoami}]
  - id: review
    class: semantic
    needs: [qa]
    expected_duration: 1
    checks: [{id: read, kind: read_need, gate: qa, reads: [qa]}]
"""
MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]


@pytest.fixture
def readers(project: GatesProject) -> GatesProject:
    (project.root / "conftest.py").write_text(KINDS_CONFTEST + READERS)
    return project


def details(project: GatesProject, gate: str) -> dict[str, Any]:
    (item,) = project.evidence(gate)["body"]["items"]
    found: dict[str, Any] = item["details"]
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("dist", MODES)
def test_a_check_reads_the_evidence_of_the_gate_it_needs(
    readers: GatesProject, dist: tuple[str, ...]
) -> None:
    readers.manifest(MANIFEST)
    assert readers.run("--gates", *dist).ret == pytest.ExitCode.OK
    assert readers.verdicts() == {"qa": "DEGRADED", "review": "PASS"}
    read = details(readers, "review")
    assert {k: v for k, v in read.items() if "worker" not in k} == {
        "schema": "pytest-gates/need/v1",
        "verdict": "DEGRADED",
        "checks": ["lint"],
        "findings": ["lint.style"],
    }
    assert read["need_worker"] == details(readers, "qa")["worker"]
    if dist == ("-n", "2"):  # the need ran on the other worker
        assert {read["worker"], read["need_worker"]} == {"gw0", "gw1"}


def test_reading_a_gate_its_reads_does_not_name_is_an_error(readers: GatesProject) -> None:
    """A need read without ``reads`` could land on another CI machine: the read is refused."""
    readers.manifest(MANIFEST.replace(", reads: [qa]", ""))
    assert readers.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert readers.verdicts()["review"] == "ERROR"
    (item,) = readers.evidence("review")["body"]["items"]
    assert item["message"] == (
        "check could not run: check 'read' of gate 'review' reads gate 'qa', which it may not "
        "read (it may read: none); a check reads only the gates its 'reads' names, each a gate "
        "its gate needs"
    )


def test_a_declared_read_of_a_gate_not_needed_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(MANIFEST.replace("    needs: [qa]\n", ""))
    with pytest.raises(ManifestError) as refused:
        load_manifest(path)
    assert (
        "check 'read' reads gate 'qa', which gate 'review' does not need; add it to needs, or "
        "remove it from reads"
    ) in str(refused.value)


def test_a_check_reads_only_what_its_reads_names(readers: GatesProject) -> None:
    readers.manifest(
        MANIFEST.replace("    needs: [qa]\n", "    needs: [qa, other]\n")
        .replace("reads: [qa]", "reads: [other]")
        .replace(
            "  - id: review",
            "  - {id: other, class: structural, checks: [{id: ok, kind: scripted}]}\n  - id: review",
        )
    )
    readers.run("--gates")
    (item,) = readers.evidence("review")["body"]["items"]
    assert item["message"] == (
        "check could not run: check 'read' of gate 'review' reads gate 'qa', which it may not "
        "read (it may read: other); a check reads only the gates its 'reads' names, each a "
        "gate its gate needs"
    )


def test_a_need_with_no_result_in_the_session_is_an_error() -> None:
    ctx = CheckContext(
        rootdir=Path("."),
        gate_id="review",
        check_id="read",
        tmp_path=Path("."),
        readable=("qa",),
    )
    with pytest.raises(NeedNotFinal, match="which has no final result in this session"):
        ctx.needed("qa")
    with pytest.raises(NeedNotReadable):
        ctx.needed("other")
    known = NeedResult(gate="qa", verdict="PASS")
    ctx = CheckContext(
        rootdir=Path("."),
        gate_id="review",
        check_id="read",
        tmp_path=Path("."),
        readable=("qa",),
        needs={"qa": known},
    )
    assert ctx.needed("qa") is known
    assert known.model_dump(mode="json", by_alias=True)["schema"] == "pytest-gates/need/v1"


def test_a_check_reads_its_need_across_ci_shards(
    readers: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two gates of 30 s: balanced alone, qa and the reader would sit on different machines and
    the read would find nothing; the shard plan keeps the reader with what it reads."""
    readers.manifest(
        MANIFEST + "  - {id: heavy, class: structural, blocking: false, expected_duration: 30, "
        "checks: [{id: slow, kind: whoami}]}\n"
    )
    outs = run_shards(readers, 2)
    shard_of = {item: index for index, out in enumerate(outs) for item in ran_items(readers, out)}
    assert len({shard_of[n] for n in shard_of if "::qa::" in n or "::review::" in n}) == 1
    assert len(set(shard_of.values())) == 2  # the heavy gate took the other shard
    monkeypatch.chdir(readers.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 0
    capsys.readouterr()
    assert readers.verdicts("merged") == {"qa": "DEGRADED", "review": "PASS", "heavy": "DEGRADED"}
    (item,) = readers.evidence("review", "merged")["body"]["items"]
    assert item["details"]["verdict"] == "DEGRADED"
