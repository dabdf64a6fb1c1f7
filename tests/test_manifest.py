"""The manifest: models, graph rules, and errors a person can act on (asserted exactly)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_gates.errors import (
    DurationsError,
    GatesError,
    InputFileError,
    ManifestError,
    SourceError,
    WorkersLost,
)
from pytest_gates.model.document import key_table
from pytest_gates.model.graph import connected_groups, topological_order
from pytest_gates.model.load import load_manifest
from pytest_gates.model.manifest import Manifest, Retry

GOOD = """\
version: 1
project: demo
gates:
  - id: author.files
    class: structural
    checks:
      - {id: one, kind: scripted}
  - id: qa.lint
    class: structural
    needs: [author.files]
    checks:
      - {id: ruff, kind: scripted}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_manifest(path, "gates.yaml", tmp_path)
    return info.value.problems


def test_a_valid_manifest_loads_in_dependency_order(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(GOOD)
    loaded = load_manifest(path, "gates.yaml", tmp_path)
    assert loaded.order == ("author.files", "qa.lint")
    assert loaded.digest.startswith("sha256:")
    assert loaded.manifest.gate("qa.lint").class_ == "structural"


def test_a_typo_in_a_gate_key_is_named_with_the_gate_id_and_a_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    needs: [author.files]\n", "    needs: [author.files]\n    retyr: {attempts: 2}\n"
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:11: gates[id='qa.lint']: unexpected key 'retyr'; expected one of: approval, "
        "blocking, checks, class, coverage, degrade, description, executor, expected_duration, id, "
        "needs, on_failure, override_window, retry, reviews, rollback, rollback_on, sequential, "
        "suites, "
        "timeout, together (did you mean 'retry'?)"
    ]


def test_a_wrong_type_deep_inside_names_the_breadcrumb_and_what_was_found(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    needs: [author.files]\n", "    needs: [author.files]\n    retry: {attempts: three}\n"
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:11: gates[id='qa.lint'].retry.attempts: expected a valid integer, "
        "unable to parse string as an integer, found 'three'"
    ]


def test_an_unknown_gate_class_lists_the_classes(tmp_path: Path) -> None:
    text = GOOD.replace("class: structural\n    needs", "class: structual\n    needs")
    assert problems(tmp_path, text) == [
        "gates.yaml:9: gates[id='qa.lint'].class: expected 'structural', 'semantic', "
        "'differential', 'benchmark' or 'freshness', found 'structual'"
    ]


def test_a_bad_gate_id_shows_the_pattern(tmp_path: Path) -> None:
    text = GOOD.replace("id: qa.lint", "id: QA/lint").replace("[author.files]", "[author.files]")
    assert problems(tmp_path, text) == [
        "gates.yaml:8: gates[id='QA/lint'].id: expected a value matching [a-z0-9][a-z0-9._-]*, "
        "found 'QA/lint'"
    ]


def test_the_version_is_checked_before_anything_else(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("version: 1", "version: 2") + "  - bogus\n") == [
        "gates.yaml:1: version: expected 1 (this pytest-gates reads manifest version 1), found 2"
    ]
    assert problems(tmp_path, GOOD.replace("version: 1\n", "")) == [
        "gates.yaml:1: (top level): missing required key 'version'; expected version: 1"
    ]


def test_a_missing_required_key_is_named(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    class: structural\n    checks:\n      - {id: one", "    checks:\n      - {id: one"
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:4: gates[id='author.files']: missing required key 'class'"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace(
        "class: structural\n    checks", "class: nope\n    blocking: maybe\n    checks"
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:5: gates[id='author.files'].class: expected 'structural', 'semantic', "
        "'differential', 'benchmark' or 'freshness', found 'nope'",
        "gates.yaml:6: gates[id='author.files'].blocking: expected a valid boolean, "
        "unable to interpret input, found 'maybe'",
    ]


def test_duplicate_ids_unknown_needs_and_self_needs(tmp_path: Path) -> None:
    text = GOOD + textwrap.indent(
        textwrap.dedent("""\
        - id: qa.lint
          class: semantic
          needs: [nope, qa.lint]
          checks: [{id: x, kind: scripted}]
        """),
        "  ",
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:13: gates[id='qa.lint'].id: duplicate gate id 'qa.lint' (first defined at gates[1])",
        "gates.yaml:15: gates[id='qa.lint'].needs[0]: expected the id of a gate in this manifest "
        "(author.files, qa.lint), found 'nope'",
        "gates.yaml:15: gates[id='qa.lint'].needs[1]: a gate cannot need itself, found 'qa.lint'",
    ]


def test_a_cycle_is_named_as_a_path(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    class: structural\n    checks:\n      - {id: one",
        "    class: structural\n    needs: [qa.lint]\n    checks:\n      - {id: one",
    )
    assert problems(tmp_path, text) == [
        "gates.yaml:6: gates[id='author.files'].needs: dependency cycle: author.files -> qa.lint -> author.files"
    ]


def test_a_gate_with_nothing_to_run_and_incomplete_strategies(tmp_path: Path) -> None:
    text = """\
    version: 1
    project: demo
    gates:
      - {id: a, class: structural}
      - {id: b, class: structural, on_failure: retry, checks: [{id: x, kind: scripted}]}
      - {id: c, class: structural, on_failure: rollback, checks: [{id: x, kind: scripted}]}
    """
    assert problems(tmp_path, text) == [
        "gates.yaml:4: gates[id='a']: a gate needs at least one check or one suite",
        "gates.yaml:5: gates[id='b']: on_failure: retry needs a retry block, e.g. retry: {attempts: 3}",
        "gates.yaml:6: gates[id='c']: on_failure: rollback needs a rollback block, e.g. rollback: {run: [...]}",
    ]


def test_duplicate_yaml_keys_are_refused_not_silently_merged(tmp_path: Path) -> None:
    text = GOOD.replace("project: demo\n", "project: demo\nproject: other\n")
    assert problems(tmp_path, text) == ["gates.yaml:3: (top level): key 'project' is written twice"]


def test_yaml_syntax_errors_have_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, "version: 1\ngates: [\n") == [
        "gates.yaml:3:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    assert problems(tmp_path, "- 1\n") == [
        "gates.yaml: expected a mapping with version, project and gates, found a list"
    ]
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path / "absent.yaml", "absent.yaml")
    assert info.value.problems == [
        "absent.yaml: no such file (pass --gates-manifest PATH or set gates_manifest)"
    ]


def test_suites_must_exist_stay_inside_and_not_overlap(tmp_path: Path) -> None:
    (tmp_path / "suites" / "inner").mkdir(parents=True)
    text = """\
    version: 1
    project: demo
    gates:
      - {id: a, class: semantic, suites: [suites]}
      - {id: b, class: semantic, suites: [suites/inner, missing, ../outside]}
    """
    assert problems(tmp_path, text) == [
        "gates.yaml:5: gates[id='b'].suites[0]: suite 'suites/inner' overlaps gates[id='a'].suites[0] "
        "of gate 'a': each test belongs to one gate",
        "gates.yaml:5: gates[id='b'].suites[1]: expected an existing directory or test file, found "
        "'missing' (no such path)",
        f"gates.yaml:5: gates[id='b'].suites[2]: expected a path inside {tmp_path}, found '../outside'",
    ]


def test_topological_order_is_manifest_order_among_ready_gates(tmp_path: Path) -> None:
    text = """\
    version: 1
    project: demo
    gates:
      - {id: review, class: semantic, needs: [lint, tests], checks: [{id: x, kind: k}]}
      - {id: tests, class: semantic, needs: [files], checks: [{id: x, kind: k}]}
      - {id: size, class: structural, checks: [{id: x, kind: k}]}
      - {id: lint, class: structural, needs: [files], checks: [{id: x, kind: k}]}
      - {id: files, class: structural, checks: [{id: x, kind: k}]}
    """
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(text))
    loaded = load_manifest(path)
    assert topological_order(loaded.manifest.needs()) == [
        "size",
        "files",
        "tests",
        "lint",
        "review",
    ]
    assert connected_groups(loaded.manifest.needs()) == {
        "size": "size",
        "files": "files",
        "tests": "files",
        "lint": "files",
        "review": "files",
    }


def test_the_did_you_mean_keys_are_the_models_own_at_every_depth() -> None:
    table = key_table(Manifest)
    assert sorted(table[("gates", "*", "retry")]) == ["attempts", "backoff"]
    assert "class" in table[("gates", "*")]  # the alias, as it is written
    assert sorted(table[("projection", "allow")]) == ["jobs", "keys", "steps"]
    assert sorted(key_table(Retry, ["gates", 3, "retry"])) == [("gates", "*", "retry")]


def test_errors_carry_what_is_at_fault() -> None:
    lost = WorkersLost("qa.tests", ["qa.lint", "qa.types"])
    assert (lost.gate, lost.needs) == ("qa.tests", ("qa.lint", "qa.types"))
    assert str(lost) == (
        "the gates qa.lint, qa.types that qa.tests needs cannot finish: "
        "xdist gave up on crashed workers"
    )
    assert not isinstance(lost, GatesError)  # not a user's mistake
    for error in (ManifestError, SourceError, DurationsError):
        found = error("a.yaml", ["a.yaml:1: x", "a.yaml:2: y"])
        assert (found.path, str(found)) == ("a.yaml", "a.yaml:1: x\na.yaml:2: y")
        assert isinstance(found, InputFileError)


def test_a_copy_with_other_gates_looks_gates_up_in_its_own() -> None:
    """``gate()`` and ``upstream_of()`` are cached on the manifest; a copy with other gates (the
    runner adds its guard gate this way) must not answer from the original's cache."""
    manifest = Manifest.model_validate(
        {
            "version": 1,
            "project": "p",
            "gates": [
                {"id": "a", "class": "structural", "checks": [{"id": "x", "kind": "k"}]},
                {
                    "id": "b",
                    "class": "structural",
                    "needs": ["a"],
                    "checks": [{"id": "y", "kind": "k"}],
                },
            ],
        }
    )
    assert (manifest.gate("a").id, manifest.upstream_of("b")) == ("a", ("a",))
    extra = manifest.gates[1].model_copy(update={"id": "c", "needs": ["b"]})
    copied = manifest.model_copy(update={"gates": [*manifest.gates, extra]})
    assert (copied.gate("c").id, copied.upstream_of("c")) == ("c", ("a", "b"))
