"""Shards: selection, the shard report, recorded durations, plan, and merge with its refusals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gates.cli.main import main as cli
from pytest_gates.distribute.durations import DurationStore
from pytest_gates.distribute.plan import plan_shards, together_keys
from pytest_gates.distribute.shards import plan_lines
from pytest_gates.model.load import load_manifest
from pytest_gates.model.records import ItemOutcome, ItemRecord
from pytest_gates.outputs.documents import (
    EvidenceBody,
    EvidenceDocument,
    EvidenceTiming,
    ItemBody,
    ManifestRef,
    ReportBody,
    ReportDocument,
    SubjectRef,
)
from pytest_gates.outputs.merge import ShardOutput, check_shards, merge, merged_records
from tests.conftest import GatesProject
from tests.helpers import ran_items, run_shards

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: a, kind: scripted}, {id: b, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted, outcome: fail}]}
  - {id: review, class: semantic, needs: [lint], suites: [gate_suites/review]}
  - {id: perf, class: benchmark, expected_duration: 40, suites: [gate_suites/perf]}
"""


@pytest.fixture
def demo(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite(
        "gate_suites/review",
        {"test_review.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"},
    )
    project.suite(
        "gate_suites/perf",
        {
            "test_perf.py": "import pytest\n\n@pytest.mark.parametrize('n', range(6))\ndef test_p(n):\n    pass\n"
        },
    )
    return project


def test_each_shard_runs_its_part_and_is_incomplete(demo: GatesProject) -> None:
    demo.manifest(MANIFEST.replace(", outcome: fail", ""))
    result = demo.run("--gates", "--gates-shard", "2/3", "--gates-out", "s2")
    assert result.ret == pytest.ExitCode.OK
    body = demo.report("s2")["body"]
    assert body["decision"] == "INCOMPLETE"
    assert body["selection"]["shard"] == {"index": 2, "total": 3}
    skipped = [
        i
        for g in body["gates"]
        for i in demo.evidence(g["id"], "s2")["body"]["items"]
        if i["outcome"] == "not_run"
    ]
    assert skipped
    assert all(i["message"] in {"on shard 1 of 3", "on shard 3 of 3"} for i in skipped)


def test_the_shards_cover_every_item_exactly_once(demo: GatesProject) -> None:
    outs = run_shards(demo, 3)
    parts = [ran_items(demo, out) for out in outs]
    assert all(parts)
    assert sum(len(p) for p in parts) == len(set().union(*parts)) == 11
    again = run_shards(demo, 3)
    assert [ran_items(demo, out) for out in again] == parts


def test_a_shards_exit_status_reflects_only_its_own_gates(demo: GatesProject) -> None:
    statuses = {}
    for index in (1, 2, 3):
        result = demo.run("--gates", f"--gates-shard={index}/3", "--gates-out", f"x{index}")
        ran = ran_items(demo, f"x{index}")
        statuses[index] = (result.ret, "manifests/gates.yaml::lint::ruff" in ran)
    for ret, ran_lint in statuses.values():
        assert ret == (pytest.ExitCode.TESTS_FAILED if ran_lint else pytest.ExitCode.OK)


def test_bazel_environment_selects_the_shard(
    demo: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = demo.root / "shard-status"
    monkeypatch.setenv("TEST_SHARD_INDEX", "0")
    monkeypatch.setenv("TEST_TOTAL_SHARDS", "2")
    monkeypatch.setenv("TEST_SHARD_STATUS_FILE", str(status))
    demo.run("--gates")
    assert demo.report()["body"]["selection"]["shard"] == {"index": 1, "total": 2}
    assert status.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3", "--gates-shard expects K/N such as 2/4, given: '3'"),
        ("0/2", "--gates-shard expects 1 <= K <= N, given: '0/2'"),
        ("3/2", "--gates-shard expects 1 <= K <= N, given: '3/2'"),
    ],
)
def test_a_bad_shard_is_a_usage_error(demo: GatesProject, value: str, message: str) -> None:
    result = demo.run("--gates", f"--gates-shard={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_merge_gives_the_same_verdicts_as_one_run_and_verifies(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.run("--gates", "--gates-out", "whole")
    outs = run_shards(demo, 3)
    monkeypatch.chdir(demo.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 1  # NO_GO: lint fails
    assert "merged: NO_GO: 2 gates did not pass: lint, review" in capsys.readouterr().err
    assert (
        demo.verdicts("merged")
        == demo.verdicts("whole")
        == {"files": "PASS", "lint": "FAIL", "review": "BLOCKED", "perf": "PASS"}
    )
    assert demo.report("merged")["body"]["selection"]["merged_shards"] == 3
    assert cli(["verify", "merged"]) == 0


def test_merge_of_a_passing_run_is_go(demo: GatesProject, monkeypatch: pytest.MonkeyPatch) -> None:
    demo.manifest(MANIFEST.replace(", outcome: fail", ""))
    outs = run_shards(demo, 2)
    monkeypatch.chdir(demo.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 0
    assert demo.report("merged")["body"]["decision"] == "GO"


def refusal(demo: GatesProject, capsys: pytest.CaptureFixture[str], *folders: str) -> list[str]:
    assert cli(["merge", *folders, "--out", "refused"]) == 1
    report = demo.report("refused")
    problems = list(report["run"]["problems"])
    assert report["body"]["decision"] == "NO_GO"
    assert report["body"]["reason"] == "merge refused: " + "; ".join(problems)
    capsys.readouterr()
    return problems


def test_merge_refuses_missing_and_repeated_shards(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outs = run_shards(demo, 3)
    monkeypatch.chdir(demo.root)
    assert refusal(demo, capsys, outs[0], outs[2]) == ["shard 2/3 is missing"]
    assert refusal(demo, capsys, outs[0], outs[1], outs[1], outs[2]) == [
        "shard 2/3 is given 2 times: shard2, shard2"
    ]
    demo.run("--gates", "--gates-out", "whole")
    assert refusal(demo, capsys, "whole") == [
        "whole: not a shard run (it was run without --gates-shard)"
    ]


def test_merge_refuses_shards_of_different_manifests_or_tampered_outputs(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_shards(demo, 2)[0]
    shutil.move(demo.root / first, demo.root / "old1")
    demo.manifest(MANIFEST.replace("expected_duration: 40", "expected_duration: 41"))
    second = run_shards(demo, 2)[1]
    monkeypatch.chdir(demo.root)
    refs = sorted(
        json.dumps(demo.report(out)["body"]["manifest"], sort_keys=True) for out in ("old1", second)
    )
    assert refusal(demo, capsys, "old1", second) == [
        f"the shards ran different manifests: {refs[0]} vs {refs[1]}"
    ]
    report = demo.root / second / "report.json"
    report.write_text(report.read_text().replace('"INCOMPLETE"', '"GO"'))
    assert refusal(demo, capsys, "old1", second) == [
        f"{second}: decision: the report says GO, the verdicts give INCOMPLETE"
    ]


def test_merge_refuses_shards_that_disagree_on_the_split(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.run("--gates", "--gates-shard=1/2", "--gates-out", "one")
    durations = {"version": 1, "items": {"gate_suites/perf/test_perf.py::test_p[0]": [90.0]}}
    (demo.root / "other.json").write_text(json.dumps(durations))
    demo.run(
        "--gates", "--gates-shard=2/2", "--gates-out", "two", "--gates-durations", "other.json"
    )
    monkeypatch.chdir(demo.root)
    moved = [
        *(f"gate_suites/perf/test_perf.py::test_p[{n}]" for n in range(1, 6)),
        "gate_suites/review/test_review.py::test_a",
        "gate_suites/review/test_review.py::test_b",
        "manifests/gates.yaml::files::a",
        "manifests/gates.yaml::files::b",
        "manifests/gates.yaml::lint::ruff",
    ]
    assert refusal(demo, capsys, "one", "two") == [
        f"the shards disagree on where {nodeid} runs: shards [1, 2]" for nodeid in moved
    ]


def shard_output(index: int, items: list[ItemBody], subject: str = "abc") -> ShardOutput:
    """A shard's outputs with only what the merge reads of them: selection, manifest, subject,
    and one gate's items."""
    body = ReportBody.model_construct(
        selection={"shard": {"index": index, "total": 2}},
        manifest=ManifestRef(path="m.yaml", digest="sha256:" + "1" * 64),
        subject=SubjectRef(commit=subject, dirty=False),
    )
    evidence = EvidenceDocument.model_construct(
        body=EvidenceBody.model_construct(items=items),
        timing=EvidenceTiming(items={}, total=0.0),
    )
    return ShardOutput(
        Path(f"s{index}"), ReportDocument.model_construct(body=body, run={}), {"g": evidence}
    )


def item(nodeid: str, shard: int | None, outcome: ItemOutcome = "passed") -> ItemBody:
    record = ItemRecord(nodeid=nodeid, gate="g", outcome=outcome, shard=shard)
    return ItemBody.model_validate(record, from_attributes=True)


def test_merged_records_refuse_an_item_run_twice_or_by_nobody() -> None:
    one = shard_output(1, [item("x", 1), item("y", 2, "not_run"), item("z", None, "not_run")])
    two = shard_output(2, [item("x", 1, "not_run"), item("z", None, "not_run")])
    records, problems = merged_records([one, two])
    assert problems == ["y was run by no shard (assigned to shard 2)"]
    assert {r.nodeid for r in records} == {"x", "z"}
    twice = shard_output(2, [item("x", 2)])
    _, problems = merged_records([one, twice])
    assert problems[0] == "the shards disagree on where x runs: shards [1, 2]"
    assert check_shards([one, shard_output(2, [], subject="def")]) == [
        'the shards ran different subjects: {"commit": "abc", "dirty": false} vs {"commit": "def", "dirty": false}'
    ]


def test_store_durations_records_canonical_ids_and_plan_uses_them(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.run("--gates", "--gates-store-durations")
    stored = json.loads((demo.root / "manifests" / "durations.json").read_text())
    assert stored["version"] == 1
    assert "gate_suites/perf/test_perf.py::test_p[0]" in stored["items"]
    assert "manifests/gates.yaml::review::x" not in stored["items"]
    blocked = [n for n in stored["items"] if n.startswith("gate_suites/review")]
    assert blocked == []  # blocked items did not run: nothing to learn from them
    monkeypatch.chdir(demo.root)
    capsys.readouterr()
    assert cli(["plan", "--shards", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2 shards, 11 items; predictions from: ")
    assert out[1] == "shard  items  predicted"
    assert out[4].startswith("lower bound ")
    assert "makespan / lower bound = " in out[4]


def test_merge_records_the_durations_of_every_shard_as_one_run(
    demo: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In CI the shards run on other machines: the merge is the one place that sees the whole
    run, so it is where the run's durations are recorded for the next plan."""
    outs = run_shards(demo, 3)
    monkeypatch.chdir(demo.root)
    durations = demo.root / "manifests" / "durations.json"
    assert cli(["merge", *outs, "--out", "merged", "--store-durations"]) == 1  # NO_GO: lint
    timed = {}  # every item a shard ran (not blocked, not skipped), as its evidence timed it
    for out in outs:
        for gate in ("files", "lint", "review", "perf"):
            evidence = demo.evidence(gate, out)
            for item in evidence["body"]["items"]:
                if item["outcome"] in {"passed", "failed"}:
                    timed[item["nodeid"]] = evidence["timing"]["items"][item["nodeid"]]["duration"]
    # files a, b; lint; perf's 6; and what of review ran on a shard apart from lint (the merge
    # blocks it, but it ran: its time is real)
    assert 9 <= len(timed) <= 11
    stored = json.loads(durations.read_text())["items"]
    assert stored == {nodeid: [round(seconds, 3)] for nodeid, seconds in timed.items()}
    recorded = f"manifests/durations.json: recorded the durations of {len(timed)} items"
    assert recorded in capsys.readouterr().err

    assert cli(["merge", *outs, "--out", "again", "--store-durations", "other.json"]) == 1
    assert json.loads((demo.root / "other.json").read_text())["items"] == stored
    assert cli(["merge", *outs, "--out", "again", "--store-durations"]) == 1
    assert all(len(runs) == 2 for runs in json.loads(durations.read_text())["items"].values())

    durations.write_text("{not json")  # a damaged file refuses the merge before it writes
    capsys.readouterr()
    assert cli(["merge", *outs, "--out", "third", "--store-durations"]) == 1
    assert "unreadable durations file" in capsys.readouterr().err
    assert not (demo.root / "third").exists()
    assert durations.read_text() == "{not json"
    assert cli(["merge", outs[0], "--out", "refused", "--store-durations", "fresh.json"]) == 1
    assert not (demo.root / "fresh.json").exists()  # a refused merge records nothing


def test_the_package_imported_before_pytest_does_not_warn_that_it_is_not_rewritten(
    tmp_path: Path,
) -> None:
    """``pytest-gates plan`` runs pytest in the process that imported pytest-gates. pytest then
    marks the plugin's package for assertion rewriting, finds it imported, and warns; where
    ``filterwarnings`` is ``error`` (pallets/flask) the warning stopped ``plan``. The package's
    docstring opts out (``PYTEST_DONT_REWRITE``). The same marking, through pytest's public
    ``register_assert_rewrite``, in a session that makes every warning an error:"""
    (tmp_path / "conftest.py").write_text(
        'import pytest\n\npytest.register_assert_rewrite("pytest_gates")\n'
    )
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


READY_CHAIN = """\
version: 1
project: demo
gates:
  - {id: build, class: structural, checks: [{id: compile, kind: scripted}]}
  - {id: tests, class: semantic, needs: [build], suites: [gate_suites/tests]}
  - {id: lint, class: structural, checks: [{id: ruff, kind: scripted}, {id: fmt, kind: scripted}]}
  - {id: ready, class: semantic, needs: [tests], checks: [{id: audit, kind: ready}]}
  - id: deploy
    class: structural
    needs: [ready]
    sequential: true
    checks: [{id: clean, kind: scripted}, {id: sync, kind: scripted}, {id: smoke, kind: scripted}]
"""


def test_shards_keep_a_reader_with_what_it_reads_and_a_sequential_gate_whole(
    project: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found on pallets/click: with two shards READY ran where the review it audits did not
    (its item-time audit said "no result in this session"), and the sequential deploy's steps
    were split over two machines. A gate that reads others shares their shard; a sequential
    gate's steps share one."""
    project.manifest(READY_CHAIN)
    tests = "".join(f"def test_{n}():\n    pass\n\n" for n in range(8))
    project.suite("gate_suites/tests", {"test_many.py": tests})
    outs = run_shards(project, 2)
    shard_of = {item: index for index, out in enumerate(outs) for item in ran_items(project, out)}
    ready_side = {
        shard_of[n] for n in shard_of if "::ready::" in n or "::build::" in n or "test_many" in n
    }
    assert len(ready_side) == 1
    assert len({shard_of[n] for n in shard_of if "::deploy::" in n}) == 1
    monkeypatch.chdir(project.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 0
    capsys.readouterr()
    assert set(project.verdicts("merged").values()) == {"PASS"}
    assert cli(["verify", "merged"]) == 0


READY_SINK = """\
version: 1
project: demo
gates:
  - {id: build, class: structural, checks: [{id: compile, kind: scripted}]}
  - {id: tests, class: semantic, needs: [build], suites: [gate_suites/tests]}
  - {id: lint, class: structural, blocking: false, checks: [{id: ruff, kind: scripted, outcome: LINT}]}
  - {id: ready, class: semantic, needs: [tests, lint], checks: [{id: audit, kind: ready}]}
"""


def _ready_sink(project: GatesProject, lint: str = "pass") -> list[str]:
    project.manifest(READY_SINK.replace("LINT", lint))
    tests = "".join(f"def test_{n}():\n    pass\n\n" for n in range(8))
    project.suite("gate_suites/tests", {"test_many.py": tests})
    outs = []
    for index in (1, 2):
        out = f"shard{index}"
        result = project.run("--gates", f"--gates-shard={index}/2", "--gates-out", out)
        # A shard's exit status is its own gates': READY left to the merge is not a failure (nor
        # is the advisory lint's DEGRADED).
        assert result.ret == 0, result.stdout.str()
        outs.append(out)
    return outs


def test_a_ready_gate_nothing_depends_on_is_judged_by_merge_so_the_suite_it_audits_shards(
    project: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found on pallets/flask: a READY gate at the end of the chain kept every gate it audits,
    the whole test suite with them, on one shard (497 items against 1). When nothing needs READY,
    a shard leaves it to the merge, which audits the merged evidence; the suite splits."""
    outs = _ready_sink(project)
    shard_of = {item: index for index, out in enumerate(outs) for item in ran_items(project, out)}
    assert {shard_of[n] for n in shard_of if "test_many" in n} == {0, 1}
    (ready_shard,) = {
        index
        for index, out in enumerate(outs)
        for item in project.evidence("ready", out)["body"]["items"]
        if item["message"].startswith("judged by merge")
    }
    for out in outs:  # a shard's exit status and decision leave READY to the merge
        assert project.report(out)["body"]["decision"] == "INCOMPLETE"
        assert project.verdicts(out)["ready"] != "FAIL"
    monkeypatch.chdir(project.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 0
    capsys.readouterr()
    assert set(project.verdicts("merged").values()) == {"PASS"}
    (audit,) = project.evidence("ready", "merged")["body"]["items"]
    assert audit["outcome"] == "passed"
    assert audit["shard"] == ready_shard + 1
    subchecks = {s["name"]: s["outcome"] for s in audit["details"]["subchecks"]}
    assert subchecks["evidence_digests"] == subchecks["log"] == "passed"
    assert cli(["verify", "merged"]) == 0


def test_the_merge_audit_of_ready_fails_on_a_warning_another_shard_ran(
    project: GatesProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advisory lint fails on its shard (DEGRADED there, the shard's READY unjudged); the
    merge's READY audit sees the warning and fails: NO_GO. Without the READY folder (the
    library's merge called alone) READY stays NOT_RUN, never a pass."""
    outs = _ready_sink(project, lint="fail")
    monkeypatch.chdir(project.root)
    assert cli(["merge", *outs, "--out", "merged"]) == 1
    capsys.readouterr()
    verdicts = project.verdicts("merged")
    assert verdicts["lint"] == "DEGRADED"
    assert verdicts["ready"] == "FAIL"
    (audit,) = project.evidence("ready", "merged")["body"]["items"]
    assert [f["rule"] for f in audit["findings"]] == ["ready.no_warnings"]
    assert cli(["verify", "merged"]) == 0
    code, report = merge([project.root / out for out in outs], project.root / "alone")
    assert code == 1
    assert {g["id"]: g["verdict"] for g in report["body"]["gates"]}["ready"] == "NOT_RUN"


def test_a_gate_that_must_not_run_twice_shares_the_shard_of_everything_upstream(
    tmp_path: Path,
) -> None:
    """Found on pallets/click with two shards: the build (steps ``idempotent: false``) ran on
    shard 2 while the READY it needs ran on shard 1, so it built without knowing READY's
    verdict. A gate with such a step is planned with every gate upstream of it."""
    path = tmp_path / "gates.yaml"
    path.write_text(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: build, class: structural, checks: [{id: a, kind: k}]}\n"
        "  - {id: tests, class: semantic, needs: [build], checks: [{id: t, kind: k}]}\n"
        "  - {id: lint, class: structural, checks: [{id: l, kind: k}]}\n"
        "  - {id: deploy, class: structural, needs: [tests],"
        " checks: [{id: d, kind: k, idempotent: false}]}\n"
    )
    item_gates = {f"m::{g}::{c}": g for g, c in (("build", "a"), ("tests", "t"), ("lint", "l"))}
    item_gates["m::deploy::d"] = "deploy"
    keys = together_keys(load_manifest(path).manifest, item_gates)
    assert keys["m::deploy::d"] == keys["m::tests::t"] == keys["m::build::a"]
    assert "m::lint::l" not in keys  # an ordinary gate is still placed freely
    # pytest-gates plan says which gates share a shard, and why (on pallets/click the whole
    # chain sat on one of two shards, and the plan did not say why).
    lines = plan_lines(plan_shards(load_manifest(path), item_gates, DurationStore(), 2))
    assert lines[-1] == (
        "kept on one shard: build, tests, deploy (deploy: a step must not run twice, so it runs "
        "with every gate upstream of it)"
    )
