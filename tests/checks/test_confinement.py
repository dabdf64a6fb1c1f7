"""Nothing a gate reads or runs reaches outside the rootdir: symlinks and a rollback's ``cwd``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.file_size import file_size
from pytest_gates.checks.files import files
from pytest_gates.checks.schema import schema
from pytest_gates.errors import CheckError
from pytest_gates.support.paths import expand, expand_all
from tests.checks.conftest import RunCheck, Write
from tests.helpers import GatesProject


@pytest.fixture
def outside(check_ctx: CheckContext) -> Path:
    """A folder next to the project, with a file in it."""
    folder = check_ctx.rootdir.parent / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text("line\n" * 50)
    (folder / "schema.json").write_text('{"type": "object"}')
    (folder / "data.json").write_text('{"a": 1}')
    return folder


def _link(check_ctx: CheckContext, name: str, target: Path) -> Path:
    link = check_ctx.rootdir / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def test_a_glob_through_a_symlinked_folder_does_not_list_the_outside_folder(
    check_ctx: CheckContext, outside: Path, write: Write
) -> None:
    write("docs/in.md", "x\n")
    _link(check_ctx, "docs/ext", outside)
    match = expand(check_ctx.rootdir, "docs/**/*.md")
    assert [p.name for p in match.files] == ["in.md"]
    assert [(o.name, o.link, o.target) for o in match.outside] == [
        ("docs/ext/secret.md", "docs/ext", (outside / "secret.md").resolve())
    ]
    files_found, empty = expand_all(check_ctx.rootdir, ["docs/ext/*.md"])
    assert files_found == []
    assert [m.pattern for m in empty] == ["docs/ext/*.md"]


def test_a_symlink_inside_the_project_to_a_file_inside_is_still_read(
    check_ctx: CheckContext, write: Write, run_check: RunCheck
) -> None:
    write("docs/real.md", "x\n")
    _link(check_ctx, "docs/alias.md", check_ctx.rootdir / "docs" / "real.md")
    result = run_check(files, {"exist": ["docs/*.md"], "non_empty": True})
    assert result.passed
    assert result.details["files"] == 2


def test_files_refuses_a_symlink_out_of_the_rootdir_naming_the_link(
    check_ctx: CheckContext, outside: Path, run_check: RunCheck
) -> None:
    _link(check_ctx, "docs/link.md", outside / "secret.md")
    result = run_check(files, {"exist": ["docs/link.md"], "parse": "markdown"})
    assert not result.passed
    assert [(f.rule, f.location.path, f.message) for f in result.findings] == [
        (
            "path.outside_root",
            "docs/link.md",
            f"docs/link.md -> {(outside / 'secret.md').resolve()}: "
            "outside the project (a symlink out of the rootdir)",
        )
    ]
    assert result.details["files"] == 0
    assert result.details["missing"] == []
    assert result.details["outside"] == ["docs/link.md"]


def test_files_refuses_every_file_found_through_a_symlinked_folder(
    check_ctx: CheckContext, outside: Path, write: Write, run_check: RunCheck
) -> None:
    write("docs/in.md", "x\n")
    _link(check_ctx, "docs/ext", outside)
    result = run_check(files, {"exist": ["docs/**/*.md"]})
    assert [(f.rule, f.location.path) for f in result.findings] == [
        ("path.outside_root", "docs/ext/secret.md")
    ]
    assert "through the symlink 'docs/ext'" in result.findings[0].message


def test_file_size_does_not_measure_a_file_outside(
    check_ctx: CheckContext, outside: Path, run_check: RunCheck
) -> None:
    _link(check_ctx, "big.md", outside / "secret.md")
    result = run_check(file_size, {"paths": ["*.md"], "max_lines": 10})
    assert [(f.rule, f.location.path) for f in result.findings] == [("path.outside_root", "big.md")]
    assert result.details["files"] == 0
    assert "1 path outside the project" in result.summary


def test_schema_refuses_an_outside_schema(
    check_ctx: CheckContext, outside: Path, write: Write, run_check: RunCheck
) -> None:
    write("data.json", '{"a": 1}')
    _link(check_ctx, "schemas/s.json", outside / "schema.json")
    with pytest.raises(CheckError, match=r"schema file schemas/s.json -> .*: outside the project"):
        run_check(schema, {"schema": "schemas/s.json", "data": ["data.json"]})


def test_schema_refuses_outside_data(
    check_ctx: CheckContext, outside: Path, write: Write, run_check: RunCheck
) -> None:
    write("s.json", '{"type": "object"}')
    _link(check_ctx, "d.json", outside / "data.json")
    result = run_check(schema, {"schema": "s.json", "data": ["*.json"]})
    assert not result.passed
    assert [(f.rule, f.location.path) for f in result.findings] == [("path.outside_root", "d.json")]
    assert result.details["errors"] == 0


def test_a_rollback_cwd_outside_the_rootdir_is_an_error_and_not_run(
    project: GatesProject,
) -> None:
    escaped = project.root.parent / "escaped-by-rollback"
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: deploy, class: semantic, on_failure: rollback, "
        'rollback: {cwd: .., run: [python, -c, \'open("escaped-by-rollback", "w")\']}, '
        "checks: [{id: smoke, kind: scripted, outcome: fail}]}\n"
    )
    assert project.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert not escaped.exists()
    rollback = project.evidence("deploy")["body"]["rollback"]
    assert rollback["ok"] is False
    assert rollback["exit_code"] is None
    assert rollback["error"].startswith("rollback cwd '..' is outside the project")
    assert project.verdicts() == {"deploy": "FAIL"}


def test_a_rollback_cwd_inside_the_rootdir_runs_there(project: GatesProject) -> None:
    (project.root / "deploy").mkdir()
    project.manifest(
        "version: 1\nproject: demo\ngates:\n"
        "  - {id: deploy, class: semantic, on_failure: rollback, "
        'rollback: {cwd: deploy, run: [python, -c, \'open("rolled", "w")\']}, '
        "checks: [{id: smoke, kind: scripted, outcome: fail}]}\n"
    )
    assert project.run("-p", "no:xdist", "--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert (project.root / "deploy" / "rolled").exists()
    assert project.evidence("deploy")["body"]["rollback"]["ok"] is True
