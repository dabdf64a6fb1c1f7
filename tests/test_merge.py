"""``pytest-gates merge``: every report it writes, a refusal included, is a valid report, and each
refusal says exactly why."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_gates.model.guard import GUARD_GATE
from pytest_gates.outputs.merge import merge
from pytest_gates.support.digest import file_digest
from tests.helpers import GatesProject
from tests.test_generate_sample_project import copy_fixture
from tests.test_manifest_guard import HOLLOWED, hollow_out

SCHEMAS = Path(__file__).parent.parent / "manifests" / "schema"
MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: a, kind: scripted}, {id: b, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted}]}
  - {id: perf, class: benchmark, suites: [gate_suites/perf]}
"""
PERF = "import pytest\n\n@pytest.mark.parametrize('n', range(4))\ndef test_p(n):\n    pass\n"


def schema_errors(report: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / "report.schema.json").read_text())
    )
    return [error.message for error in validator.iter_errors(report)]


@pytest.fixture
def demo(project: GatesProject, monkeypatch: pytest.MonkeyPatch) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite("gate_suites/perf", {"test_perf.py": PERF})
    for index in (1, 2):
        project.run("--gates", f"--gates-shard={index}/2", "--gates-out", f"shard{index}")
    monkeypatch.chdir(project.root)
    return project


def test_the_reports_of_a_run_of_its_shards_and_of_their_merge_validate(
    demo: GatesProject,
) -> None:
    demo.run("--gates", "--gates-out", "whole")
    code, returned = merge([Path("shard1"), Path("shard2")], Path("merged"))
    assert code == 0
    assert returned == demo.report("merged")
    for out in ("whole", "shard1", "shard2", "merged"):
        assert schema_errors(demo.report(out)) == [], out
    assert [demo.report(out)["body"]["decision"] for out in ("shard1", "merged")] == [
        "INCOMPLETE",
        "GO",
    ]


def _whole(demo: GatesProject) -> list[str]:
    demo.run("--gates", "--gates-out", "whole")
    return ["whole"]


def _tampered(demo: GatesProject) -> list[str]:
    report = demo.root / "shard2" / "report.json"
    report.write_text(report.read_text().replace('"INCOMPLETE"', '"GO"'))
    return ["shard1", "shard2"]


def _three_way(demo: GatesProject) -> list[str]:
    demo.run("--gates", "--gates-shard=2/3", "--gates-out", "third")
    return ["shard1", "third"]


def _other_manifest(demo: GatesProject) -> list[str]:
    shutil.move(demo.root / "shard2", demo.root / "old2")
    demo.manifest(MANIFEST.replace("project: demo", "project: demo2"))
    demo.run("--gates", "--gates-shard=1/2", "--gates-out", "shard1")
    return ["shard1", "old2"]


def _other_split(demo: GatesProject) -> list[str]:
    weights = {"test_p[0]": 1.0, "test_p[1]": 1.0, "test_p[2]": 1.0, "test_p[3]": 90.0}
    items = {f"gate_suites/perf/test_perf.py::{name}": [w] for name, w in weights.items()}
    durations = {"version": 1, "items": items}
    (demo.root / "other.json").write_text(json.dumps(durations))
    demo.run(
        "--gates", "--gates-shard=2/2", "--gates-out", "shard2", "--gates-durations", "other.json"
    )
    return ["shard1", "shard2"]


def _manifest_gone(demo: GatesProject) -> list[str]:
    (demo.root / "manifests" / "gates.yaml").unlink()
    return ["shard1", "shard2"]


def _manifest_edited(demo: GatesProject) -> list[str]:
    demo.manifest(MANIFEST + "# edited\n")
    return ["shard1", "shard2"]


def _unwritable(demo: GatesProject) -> list[str]:
    (demo.root / "refused" / "transitions.jsonl").mkdir(parents=True)
    return ["shard1", "shard2"]


def _digest(demo: GatesProject, out: str) -> str:
    return str(demo.report(out)["body"]["manifest"]["digest"])


def _manifests(demo: GatesProject) -> list[str]:
    refs = sorted(
        json.dumps({"digest": _digest(demo, out), "path": "manifests/gates.yaml"})
        for out in ("shard1", "old2")
    )
    return [f"the shards ran different manifests: {refs[0]} vs {refs[1]}"]


#: What the merge is given, made by the first function; the problems, said by the second.
Case = tuple[Callable[[GatesProject], list[str]], Callable[[GatesProject], list[str]]]
REFUSALS: dict[str, Case] = {
    "no folders": (lambda demo: [], lambda demo: ["no shard folders given"]),
    "a shard that does not verify": (
        _tampered,
        lambda demo: ["shard2: decision: the report says GO, the verdicts give INCOMPLETE"],
    ),
    "not a shard run": (
        _whole,
        lambda demo: ["whole: not a shard run (it was run without --gates-shard)"],
    ),
    "shards of two N": (_three_way, lambda demo: ["the shards disagree on N: 2, 3"]),
    "a missing shard": (lambda demo: ["shard1"], lambda demo: ["shard 2/2 is missing"]),
    "a repeated shard": (
        lambda demo: ["shard1", "shard1", "shard2"],
        lambda demo: ["shard 1/2 is given 2 times: shard1, shard1"],
    ),
    "shards of two manifests": (_other_manifest, _manifests),
    "shards that disagree on the split": (
        _other_split,
        lambda demo: [
            f"the shards disagree on where {nodeid} runs: shards [1, 2]"
            for nodeid in (
                "gate_suites/perf/test_perf.py::test_p[0]",
                "gate_suites/perf/test_perf.py::test_p[2]",
                "gate_suites/perf/test_perf.py::test_p[3]",
                "manifests/gates.yaml::files::a",
                "manifests/gates.yaml::lint::ruff",
            )
        ],
    ),
    "the manifest is gone": (
        _manifest_gone,
        lambda demo: [
            "cannot load the shards' manifest: manifests/gates.yaml: no such file "
            "(pass --gates-manifest PATH or set gates_manifest)"
        ],
    ),
    "the manifest changed": (
        _manifest_edited,
        lambda demo: [
            "manifests/gates.yaml changed since the shards ran: "
            f"{file_digest(demo.root / 'manifests' / 'gates.yaml')} != {_digest(demo, 'shard1')}"
        ],
    ),
    "the output cannot be written": (
        _unwritable,
        lambda demo: [
            "could not write the merged outputs to refused: [Errno 21] Is a directory: "
            "'refused/transitions.jsonl'"
        ],
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_writes_a_valid_no_go_report_naming_exactly_why(
    demo: GatesProject, case: str
) -> None:
    prepare, expected = REFUSALS[case]
    folders = prepare(demo)
    problems = expected(demo)
    code, returned = merge([Path(folder) for folder in folders], Path("refused"))
    assert code == 1
    report = demo.report("refused")
    assert returned == report
    assert schema_errors(report) == []
    assert report["run"]["problems"] == problems
    body = report["body"]
    assert (body["decision"], body["reason"], body["gates"]) == (
        "NO_GO",
        "merge refused: " + "; ".join(problems),
        [],
    )
    assert (demo.root / "refused" / "report.md").read_text() == "\n".join(
        [
            "# ❌ Release decision: NO_GO",
            "",
            "**The shard outputs could not be merged:**",
            "",
            *(f"- {problem}" for problem in problems),
            "",
        ]
    )


def test_the_runners_guard_of_a_hand_edited_manifest_survives_the_merge(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_fixture(project.root)
    (project.root / "conftest.py").unlink()  # the scripted kinds are not needed here
    hollow_out(project.root, *HOLLOWED)
    for index in (1, 2):
        project.run(
            "--gates",
            "-m",
            "not differential",
            f"--gates-shard={index}/2",
            "--gates-out",
            f"shard{index}",
        )
    monkeypatch.chdir(project.root)
    code, returned = merge([Path("shard1"), Path("shard2")], Path("merged"))
    assert code == 1
    body = returned["body"]
    assert body["decision"] == "NO_GO"
    assert GUARD_GATE in body["reason"]
    verdicts = {gate["id"]: gate["verdict"] for gate in body["gates"]}
    assert verdicts[GUARD_GATE] == "FAIL"
    items = project.evidence(GUARD_GATE, "merged")["body"]["items"]
    assert (
        "manifest: gate 'issues.status' removed by hand: it is generated from gates/ledger.yaml"
        in [finding["message"] for finding in items[0]["findings"]]
    )
    assert schema_errors(returned) == []
