"""An option's value that pytest took for a path to test, before it knew the option."""

from __future__ import annotations

import pytest

from pytest_gates.session.rootdir import VALUE_OPTIONS
from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - id: a
    class: structural
    checks: [{id: c, kind: scripted}]
"""


def test_an_existing_out_folder_outside_the_project_is_not_taken_for_the_rootdir(
    project: GatesProject,
) -> None:
    project.manifest(MANIFEST)
    project.pytester.makeini("[pytest]\n")
    outside = project.root.parent / f"{project.root.name}-out"
    outside.mkdir()
    result = project.run("--gates", "--gates-out", str(outside))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: pytest chose the rootdir {project.root.parent} because it took '{outside}', "
            f"the value of --gates-out, for a path to test*the rootdir is {project.root} without "
            f"it. Write --gates-out={outside} (or pass --rootdir)."
        ]
    )
    assert not list(outside.iterdir())  # nothing was written
    project.run("--gates", f"--gates-out={outside}").assert_outcomes(passed=1)
    assert project.report(str(outside))["body"]["decision"] == "GO"
    # The same separate value, once the rootdir is given, is what it says.
    project.run("--gates", "--rootdir", str(project.root), "--gates-out", str(outside))
    assert project.report(str(outside))["body"]["decision"] == "GO"


def test_without_an_ini_file_too(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    manifest = project.root.parent / f"{project.root.name}-manifest.yaml"
    manifest.write_text(MANIFEST)
    result = project.run("--gates", "--gates-manifest", str(manifest), "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: pytest chose the rootdir {project.root.parent} because it took '{manifest}', "
            "the value of --gates-manifest*"
        ]
    )


def test_a_separate_value_that_leaves_the_rootdir_alone_is_fine(project: GatesProject) -> None:
    project.manifest(MANIFEST)
    project.pytester.makeini("[pytest]\n")
    (project.root / "out").mkdir()
    project.run("--gates", "--gates-out", "out").assert_outcomes(passed=1)
    assert project.report("out")["body"]["decision"] == "GO"


def test_the_value_options_are_the_gates_options_that_take_a_value(
    pytestconfig: pytest.Config,
) -> None:
    group = pytestconfig._parser.getgroup("gates")
    taking = {
        name
        for option in group.options
        if option.attrs().get("nargs") != 0
        and option.attrs().get("action") not in ("store_true", "store_false")
        for name in option.names()
    }
    assert taking == set(VALUE_OPTIONS)
