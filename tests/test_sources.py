"""The sources a manifest is generated from: loading with located errors, completeness, schemas."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from pytest_gates.checks.builtin import BUILTIN_KINDS
from pytest_gates.checks.schemas import source_schemas
from pytest_gates.cli.main import main
from pytest_gates.errors import SourceError
from pytest_gates.sources.completeness import completeness_problems
from pytest_gates.sources.load import load_sources
from pytest_gates.sources.models import Capability, Milestone, in_release
from pytest_gates.support.schema_text import dumps

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "manifests" / "schema" / "sources"

MINIMAL = {
    "generate.yaml": "version: 1\nproject: p\n",
    "capabilities.yaml": "version: 1\n",
    "obligations.yaml": "version: 1\n",
    "ledger.yaml": "version: 1\n",
}


def write_sources(root: Path, files: dict[str, str]) -> None:
    for name, text in {**MINIMAL, **files}.items():
        path = root / "gates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def problems(root: Path, config: str = "gates/generate.yaml") -> list[str]:
    """What loading the sources refuses, else what completeness finds."""
    try:
        sources = load_sources(root, config)
    except SourceError as exc:
        return exc.problems
    found = completeness_problems(sources)
    assert found, "expected problems"
    return found


def test_each_invalid_entry_is_reported_at_once_with_file_line_and_breadcrumb(
    tmp_path: Path,
) -> None:
    write_sources(
        tmp_path,
        {
            "capabilities.yaml": """\
            version: 1
            capabilities:
              - id: parse
                title: Parse
                owner: ada
                status: done
                requirs: [semantic]
            """,
            "obligations.yaml": """\
            version: 1
            obligations:
              - {id: o1, capability: parse, kind: test, status: discharged}
              - {id: o2, capability: parse, kind: test, status: discharged, evidence: {path: x}}
              - {id: o3, capability: parse, kind: test, status: open, waiver: {reason: r, approver: a}}
              - {id: o4, capability: parse, kind: test, status: discharged, covers: [src],
                 evidence: {path: x, sha256: "sha256:abc"}}
            """,
            "ledger.toml": "version = 2\n",
            "corpora.json": '{"version": 1, "corpora": [\n',
        },
    )
    (tmp_path / "gates" / "ledger.yaml").unlink()
    assert problems(tmp_path) == [
        "gates/capabilities.yaml:6: capabilities[id='parse'].status: expected 'planned', "
        "'in_progress', 'shipped' or 'deprecated', found 'done'",
        "gates/capabilities.yaml:7: capabilities[id='parse']: unexpected key 'requirs'; expected "
        "one of: benchmarks, corpora, description, differential, id, milestone, obligations, "
        "owner, requires, status, title (did you mean 'requires'?)",
        "gates/obligations.yaml:3: obligations[id='o1']: a discharged obligation needs evidence",
        "gates/obligations.yaml:4: obligations[id='o2'].evidence: evidence needs a file and its "
        "digest (path, sha256) or a command that produces it",
        "gates/obligations.yaml:5: obligations[id='o3']: a waiver belongs to a waived obligation, "
        "this one is open",
        "gates/obligations.yaml:7: obligations[id='o4'].evidence.sha256: expected a value matching "
        "sha256:[0-9a-f]{64}, found 'sha256:abc'",
        "gates/corpora.json:2:1: invalid JSON: Expecting value",
        "gates/ledger.toml: version: expected 1 (this pytest-gates reads source version 1), "
        "found 2",
    ]


def test_recorded_evidence_of_covered_paths_needs_their_digest(tmp_path: Path) -> None:
    digest = "sha256:" + "0" * 64
    write_sources(
        tmp_path,
        {
            "obligations.yaml": f"""\
            version: 1
            obligations:
              - id: o1
                capability: parse
                kind: review
                status: discharged
                covers: [src/a.py, src/b.py]
                evidence: {{path: review.md, sha256: "{digest}"}}
            """
        },
    )
    assert problems(tmp_path) == [
        "gates/obligations.yaml:3: obligations[id='o1']: recorded evidence of an obligation that "
        "covers paths needs covers_sha256 (pytest-gates digest src/a.py src/b.py)"
    ]


def test_the_files_themselves(tmp_path: Path) -> None:
    write_sources(tmp_path, {"generate.yaml": "version: 1\nproject: p\nproject: q\n"})
    assert problems(tmp_path) == [
        "gates/generate.yaml:3: (top level): key 'project' is written twice"
    ]
    write_sources(tmp_path, {"generate.yaml": "- a list\n"})
    assert problems(tmp_path) == [
        "gates/generate.yaml: expected a mapping of version, project, release, sources, output, "
        "defaults, release_report, projection, found a list"
    ]
    write_sources(
        tmp_path, {"capabilities.yaml": "capabilities: []\n", "ledger.yml": "version: 1\n"}
    )
    (tmp_path / "gates" / "obligations.yaml").unlink()
    assert problems(tmp_path) == [
        "gates: missing the obligations source: expected obligations.yaml or obligations.yml or "
        "obligations.json or obligations.toml",
        "gates/ledger.yml: the ledger source is also in gates/ledger.yaml; keep one of them",
        "gates/capabilities.yaml:1: (top level): missing required key 'version'; expected "
        "version: 1",
    ]
    assert problems(tmp_path, "elsewhere/generate.yaml") == [
        "elsewhere/generate.yaml: no such file"
    ]


def test_a_typo_in_an_extra_gate_gets_the_hint_of_the_model_it_is_in(tmp_path: Path) -> None:
    # The hints come from the models: a nested block of an extra gate offers its own keys.
    write_sources(
        tmp_path,
        {
            "extra-gates.yaml": """\
            version: 1
            gates:
              - id: qa.lint
                class: structural
                on_failure: retry
                retry: {attempts: 2, backof: [1]}
                suites: [tests]
            """
        },
    )
    with pytest.raises(SourceError) as info:
        load_sources(tmp_path)
    assert info.value.path == "gates/generate.yaml"
    assert info.value.problems == [
        "gates/extra-gates.yaml:6: gates[id='qa.lint'].retry: unexpected key 'backof'; expected "
        "one of: attempts, backoff (did you mean 'backoff'?)"
    ]


def test_the_sources_folder_can_be_elsewhere(tmp_path: Path) -> None:
    write_sources(tmp_path, {})
    (tmp_path / "gates").rename(tmp_path / "meta")
    (tmp_path / "config.yaml").write_text("version: 1\nproject: p\nsources: meta\n")
    sources = load_sources(tmp_path, "config.yaml")
    assert sources.folder == "meta"
    assert list(sources.digests()) == [
        "config.yaml",
        "meta/capabilities.yaml",
        "meta/ledger.yaml",
        "meta/obligations.yaml",
    ]


INCOMPLETE = {
    "generate.yaml": 'version: 1\nproject: p\nrelease: "3.0"\n',
    "capabilities.yaml": """\
    version: 1
    capabilities:
      - id: parse
        title: Parse
        owner: ada
        status: shipped
        milestone: m9
        requires: [semantic, differential]
        obligations: [o1, ghost, r1]
        benchmarks: [speed]
      - id: render
        title: Render
        owner: ada
        status: shipped
      - id: parse
        title: Again
        owner: ada
        status: planned
    """,
    "obligations.yaml": """\
    version: 1
    obligations:
      - {id: o1, capability: parse, kind: test, status: discharged, evidence: {command: [make]}}
      - {id: r1, capability: rendr, kind: review, status: open}
    """,
    "ledger.yaml": """\
    version: 1
    milestones: [{id: m1, release: "1.0"}]
    issues:
      - {id: 1, status: open, depends_on: [2]}
      - {id: 2, status: open, depends_on: [1, 7]}
    """,
}


def test_completeness_reports_every_cross_file_problem_naming_file_and_entry(
    tmp_path: Path,
) -> None:
    write_sources(tmp_path, INCOMPLETE)
    assert problems(tmp_path) == [
        "gates/capabilities.yaml:15: capabilities[id='parse'].id: duplicate capability id 'parse' "
        "(first defined at capabilities[0])",
        "gates/capabilities.yaml:7: capabilities[id='parse'].milestone: expected the id of a "
        "milestone in gates/ledger.yaml (m1), found 'm9'",
        "gates/capabilities.yaml:9: capabilities[id='parse'].obligations[1]: expected the id of "
        "an obligation in gates/obligations.yaml (o1, r1), found 'ghost'",
        "gates/capabilities.yaml:9: capabilities[id='parse'].obligations[2]: expected an "
        "obligation of capability 'parse', found 'r1', which belongs to capability 'rendr'",
        "gates/capabilities.yaml:10: capabilities[id='parse'].benchmarks[0]: expected the id of a "
        "benchmark, found 'speed', but gates has no benchmarks source",
        "gates/capabilities.yaml:8: capabilities[id='parse'].requires[1]: capability 'parse' "
        "requires differential gates, which need corpora and a differential block (reference, "
        "candidate); it has none",
        "gates/capabilities.yaml:14: capabilities[id='render'].status: a shipped capability needs "
        "at least one obligation; none in gates/obligations.yaml names capability 'render'",
        "gates/obligations.yaml:4: obligations[id='r1'].capability: expected the id of a "
        "capability in gates/capabilities.yaml (parse, render), found 'rendr'",
        "gates/generate.yaml:3: release: expected the release of a milestone in gates/ledger.yaml "
        "(1.0), found '3.0'",
        "gates/ledger.yaml:5: issues[id='2'].depends_on[1]: expected the id of an issue in this "
        "ledger (1, 2), found '7'",
        "gates/ledger.yaml:4: issues[id='1'].depends_on[0]: dependency cycle: 1 -> 2 -> 1",
    ]


def test_the_sample_project_and_this_repository_are_complete() -> None:
    for root in (ROOT / "fixtures" / "sample-project", ROOT):
        assert completeness_problems(load_sources(root)) == [], root


@pytest.mark.parametrize(
    ("status", "milestone", "release", "expected"),
    [
        ("shipped", None, "1.0", True),
        ("shipped", "m2", "1.0", True),
        ("in_progress", "m1", "1.0", True),
        ("in_progress", "m2", "1.0", False),
        ("in_progress", None, "1.0", False),
        ("in_progress", None, None, True),
        ("planned", "m1", "1.0", False),
        ("deprecated", "m1", None, False),
    ],
)
def test_which_capabilities_are_in_the_release(
    status: str, milestone: str | None, release: str | None, expected: bool
) -> None:
    milestones = {"m1": Milestone(id="m1", release="1.0"), "m2": Milestone(id="m2", release="2.0")}
    capability = Capability.model_validate(
        {"id": "c", "title": "C", "owner": "o", "status": status, "milestone": milestone}
    )
    assert in_release(capability, milestones, release) is expected


def test_the_committed_source_schemas_are_current() -> None:
    for name, schema in source_schemas(BUILTIN_KINDS).items():
        path = SCHEMAS / f"{name}.schema.json"
        assert path.read_text(encoding="utf-8") == dumps(schema), (
            "stale: run pytest-gates schema sources --output manifests/schema/sources"
        )


def test_every_source_here_validates_against_its_schema() -> None:
    for folder in (ROOT / "gates", ROOT / "fixtures" / "sample-project" / "gates"):
        for path in sorted(folder.glob("*.yaml")):
            name = path.stem
            schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
            data = yaml.safe_load(path.read_text())
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
            assert errors == [], path


def test_schema_sources_prints_writes_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "sources"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(printed) == [
        f"{name}.schema.json"
        for name in sorted(
            [
                "benchmarks",
                "capabilities",
                "corpora",
                "extra-gates",
                "generate",
                "ledger",
                "obligations",
            ]
        )
    ]
    assert main(["schema", "sources", "--check", str(SCHEMAS)]) == 0
    assert capsys.readouterr().out == f"{SCHEMAS}: 7 schemas up to date\n"
    assert main(["schema", "sources", "--output", str(tmp_path)]) == 0
    stale = tmp_path / "ledger.schema.json"
    stale.write_text(
        stale.read_text().replace('"title": "pytest-gates source: ledger"', '"title": "old"')
    )
    capsys.readouterr()
    assert main(["schema", "sources", "--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert '-  "title": "old",' in out
    assert out.rstrip().endswith(
        f"{stale}: stale; regenerate with: pytest-gates schema sources --output {tmp_path}"
    )
