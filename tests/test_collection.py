"""Collection under --gates: items, markers, selection, and what is not collected."""

from __future__ import annotations

import pytest

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - id: author.files
    class: structural
    checks:
      - {id: sources-exist, kind: scripted}
  - id: qa.lint
    class: structural
    needs: [author.files]
    checks:
      - {id: ruff, kind: scripted}
  - id: qa.size
    class: structural
    blocking: false
    checks:
      - {id: max-lines, kind: scripted}
  - id: review.suite
    class: semantic
    needs: [qa.lint]
    suites: [gate_suites/review]
"""

SUITE = {
    "test_review.py": """
    def test_reviewed():
        assert True

    def test_approved():
        assert True
    """
}


@pytest.fixture
def demo(project: GatesProject) -> GatesProject:
    project.manifest(MANIFEST)
    project.suite("gate_suites/review", SUITE)
    project.pytester.makepyfile(test_ordinary="def test_plain():\n    assert True\n")
    return project


def test_gates_collects_one_item_per_check_and_the_suite_tests_in_gate_order(
    demo: GatesProject,
) -> None:
    result = demo.run("--gates", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "manifests/gates.yaml::author.files::sources-exist",
            "manifests/gates.yaml::qa.lint::ruff",
            "manifests/gates.yaml::qa.size::max-lines",
            "gate_suites/review/test_review.py::test_reviewed",
            "gate_suites/review/test_review.py::test_approved",
            "5 tests collected*",
        ]
    )
    assert "test_plain" not in result.stdout.str()


def test_without_gates_the_plugin_is_inert_and_suites_are_ordinary_tests(
    demo: GatesProject,
) -> None:
    result = demo.run("-q")
    # What the project's own testpaths reach is collected, suites included (tests/test_inert.py).
    result.assert_outcomes(passed=3)
    assert not (demo.root / ".gates").exists()


def test_without_gates_a_broken_manifest_does_not_matter(demo: GatesProject) -> None:
    demo.manifest("version: [\n")
    result = demo.run("-q")
    # The suites cannot be known from a broken manifest, so they are collected like any tests.
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK


def test_markers_select_by_class_level_and_gate(demo: GatesProject) -> None:
    result = demo.run("--gates", "--collect-only", "-q", "-m", "structural and blocking")
    result.stdout.fnmatch_lines(
        ["*author.files::sources-exist", "*qa.lint::ruff", "2/5 tests collected (3 deselected)*"]
    )
    result = demo.run("--gates", "--collect-only", "-q", "-m", "semantic")
    result.stdout.fnmatch_lines(
        ["*test_reviewed", "*test_approved", "2/5 tests collected (3 deselected)*"]
    )
    result = demo.run("--gates", "--collect-only", "-q", "-m", "advisory")
    result.stdout.fnmatch_lines(["*qa.size::max-lines", "1/5 tests collected (4 deselected)*"])
    result = demo.run("--gates", "--collect-only", "-q", "-m", "gate(id='qa.lint')")
    result.stdout.fnmatch_lines(["*qa.lint::ruff", "1/5 tests collected (4 deselected)*"])


def test_keyword_selects_checks_by_id_and_by_kind(demo: GatesProject) -> None:
    result = demo.run("--gates", "--collect-only", "-q", "-k", "ruff")
    result.stdout.fnmatch_lines(["*qa.lint::ruff", "1/5 tests collected (4 deselected)*"])
    result = demo.run("--gates", "--collect-only", "-q", "-k", "scripted")
    result.stdout.fnmatch_lines(["3/5 tests collected (2 deselected)*"])


def test_strict_markers_passes(demo: GatesProject) -> None:
    demo.run("--gates", "--strict-markers", "-q").assert_outcomes(passed=5)


def test_suite_items_carry_their_gate_markers(demo: GatesProject) -> None:
    demo.pytester.makeconftest(
        demo.root.joinpath("conftest.py").read_text()
        + "\n\ndef pytest_collection_finish(session):\n"
        "    for item in session.items:\n"
        "        names = sorted(m.name for m in item.iter_markers() if m.name != 'timeout')\n"
        "        gate = item.get_closest_marker('gate')\n"
        "        print('MARKS', item.name, ','.join(names), gate.args[0], gate.kwargs['id'])\n"
    )
    result = demo.run("--gates", "--collect-only", "-q", "-s")
    result.stdout.fnmatch_lines(
        [
            "MARKS sources-exist blocking,gate,structural author.files author.files",
            "MARKS max-lines advisory,gate,structural qa.size qa.size",
            "MARKS test_reviewed blocking,gate,semantic review.suite review.suite",
        ]
    )


def test_manifest_option_and_ini(project: GatesProject) -> None:
    project.manifest(
        MANIFEST.replace(
            "    suites: [gate_suites/review]\n", "    checks: [{id: x, kind: scripted}]\n"
        ),
        "ops/release.yaml",
    )
    result = project.run("--gates", "--gates-manifest", "ops/release.yaml", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["ops/release.yaml::author.files::sources-exist", "4 tests collected*"]
    )
    project.pytester.makeini("[pytest]\ngates_manifest = ops/release.yaml\ngates_out = out/gates\n")
    project.run("--gates", "-q").assert_outcomes(passed=4)
    assert project.report("out/gates")["body"]["decision"] == "GO"


def test_a_manifest_error_is_a_usage_error_without_traceback(project: GatesProject) -> None:
    project.manifest(
        "version: 1\nproject: demo\ngates:\n  - {id: a, class: structural, checks: [{id: c, kind: scripted, outcome: pass, bogus: 1}]}\n"
    )
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: invalid gate manifest",
            "manifests/gates.yaml:4: gates[id='a'].checks[id='c']: unexpected key 'bogus'; expected "
            "one of: counter, description, id, idempotent, kind, outcome, passes_on, reads, "
            "seconds",
        ]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_missing_manifest_is_a_usage_error(project: GatesProject) -> None:
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: invalid gate manifest", "*manifests/gates.yaml: no such file*"]
    )


def test_junit_xml_has_every_item_grouped_by_its_gate(demo: GatesProject) -> None:
    import xml.etree.ElementTree as ET

    demo.run("--gates", "--junitxml=out.xml")
    root = ET.parse(demo.root / "out.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 5
    assert all(case.get("classname", "").startswith("gates.") for case in cases)
    assert root.findall(".//testcase/properties") == []
    names = sorted(case.get("name", "") for case in cases)
    assert names == ["max-lines", "ruff", "sources-exist", "test_approved", "test_reviewed"]


def test_the_entry_point_imports_nothing_heavy_without_gates() -> None:
    """Every pytest run of a project with pytest-gates installed imports the plugin module."""
    import subprocess
    import sys

    script = (
        "import sys, pytest_gates.plugin, pytest_gates\n"
        "heavy = [m for m in ('pytest_gates.session.runtime', 'pytest_gates.session.controller', 'pytest_gates.session.context', 'pytest_gates.model.manifest', 'pydantic', 'yaml',"
        " 'pytest_gates.checks.api') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_degraded_gate_is_a_warning_even_where_warnings_are_errors(project: GatesProject) -> None:
    project.manifest(
        """
        version: 1
        project: strict
        gates:
          - id: advisory
            class: structural
            blocking: false
            checks: [{id: bad, kind: scripted, outcome: fail}]
        """
    )
    (project.root / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n")
    result = project.run("--gates")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*DegradedGateWarning: gate advisory is DEGRADED*"])
    assert project.verdicts() == {"advisory": "DEGRADED"}


def test_each_check_is_located_at_its_line_and_every_item_has_its_gate_timeout(
    demo: GatesProject,
) -> None:
    """The manifest's YAML tree is let go once it is validated (a large one costs every full
    garbage collection); each check keeps its line, and the gate's timeout reaches its checks
    (through the gate's node) and its suite tests."""
    demo.pytester.makeconftest(
        demo.root.joinpath("conftest.py").read_text()
        + "\n\ndef pytest_collection_finish(session):\n"
        "    for item in session.items:\n"
        "        path, line, _ = item.location\n"
        "        print('AT', item.name, path, line, item.get_closest_marker('timeout').args)\n"
    )
    demo.manifest(
        MANIFEST.replace("    class: semantic\n", "    class: semantic\n    timeout: 7\n")
    )
    result = demo.run("--gates", "--collect-only", "-q", "-s")
    result.stdout.fnmatch_lines(
        [
            "AT sources-exist manifests/gates.yaml 6 (300,)",  # line 7, 0-based as pytest's
            "AT ruff manifests/gates.yaml 11 (300,)",
            "AT max-lines manifests/gates.yaml 16 (300,)",
            "AT test_reviewed gate_suites/review/test_review.py 0 (7.0,)",
        ]
    )
