from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_gates.checks.command import command
from pytest_gates.checks.coverage import coverage
from pytest_gates.checks.file_size import file_size
from pytest_gates.checks.files import files
from pytest_gates.checks.process import output_tail
from pytest_gates.checks.schema import schema
from pytest_gates.support.paths import excluder, expand, expand_all


def _tree(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")


def test_double_star_spans_directories_and_matches_are_sorted(tmp_path: Path) -> None:
    _tree(tmp_path, "b.py", "a.py", "pkg/z.py", "pkg/sub/m.py", "pkg/sub/n.txt")
    match = expand(tmp_path, "**/*.py")
    names = [p.relative_to(tmp_path).as_posix() for p in match.files]
    assert names == ["a.py", "b.py", "pkg/sub/m.py", "pkg/z.py"]


def test_hidden_files_need_a_dot_in_the_pattern(tmp_path: Path) -> None:
    _tree(tmp_path, "a.py", ".venv/lib/x.py", ".github/workflows/ci.yml", "pkg/.secret.py")
    assert [p.name for p in expand(tmp_path, "**/*.py").files] == ["a.py"]
    assert [p.name for p in expand(tmp_path, "**/.*.py").files] == [".secret.py"]
    ci = expand(tmp_path, ".github/workflows/*.yml").files
    assert [p.relative_to(tmp_path).as_posix() for p in ci] == [".github/workflows/ci.yml"]
    # A literal path is not a glob: it names what it names.
    assert expand(tmp_path, ".venv/lib/x.py").files == [tmp_path / ".venv/lib/x.py"]


def test_trailing_double_star_means_every_file_below(tmp_path: Path) -> None:
    _tree(tmp_path, "pkg/a.py", "pkg/sub/b.txt", "other.py")
    names = [p.relative_to(tmp_path).as_posix() for p in expand(tmp_path, "pkg/**").files]
    assert names == ["pkg/a.py", "pkg/sub/b.txt"]


def test_exclude_matches_a_file_or_a_parent_directory(tmp_path: Path) -> None:
    _tree(tmp_path, "src/a.py", "src/gen/b.py", "src/c_test.py", "build/d.py")
    match = expand(tmp_path, "**/*.py", exclude=["build", "src/gen/", "**/*_test.py"])
    assert [p.relative_to(tmp_path).as_posix() for p in match.files] == ["src/a.py"]
    assert match.excluded == 3


def test_excluder_globs() -> None:
    excludes = excluder(["docs/*.md", "[ab].txt", "x[!0-9].py", "**/cache/**"])
    assert excludes("docs/a.md")
    assert not excludes("docs/sub/a.md")
    assert excludes("a.txt")
    assert not excludes("c.txt")
    assert excludes("xa.py")
    assert not excludes("x1.py")
    assert excludes("deep/cache/f.bin")


def test_missing_messages(tmp_path: Path) -> None:
    _tree(tmp_path, "only.py")
    assert expand(tmp_path, "README.md").missing_message() == "no such file: 'README.md'"
    assert expand(tmp_path, "docs/*.md").missing_message() == "no file matches 'docs/*.md'"
    excluded = expand(tmp_path, "*.py", exclude=["only.py"])
    assert excluded.missing_message() == "every file matching '*.py' is excluded"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert expand(tmp_path, "docs").files == []


def test_expand_all_deduplicates_and_reports_empty_patterns(tmp_path: Path) -> None:
    _tree(tmp_path, "a.py", "b.py")
    found, empty = expand_all(tmp_path, ["*.py", "a.py", "*.md"])
    assert found == [("a.py", tmp_path / "a.py"), ("b.py", tmp_path / "b.py")]
    assert [m.pattern for m in empty] == ["*.md"]


def test_output_tail_keeps_the_last_lines() -> None:
    out = "\n".join(f"line {n}" for n in range(100))
    tail = output_tail(out, "err 1\n", lines=3)
    assert tail == "line 98\nline 99\nerr 1"
    assert output_tail("", "  \n") == ""


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        (files, {"exist": ["/etc/passwd"]}, "exist"),
        (files, {"exist": ["ok.txt"], "exclude": ["../x"]}, "exclude"),
        (file_size, {"paths": ["src/../../x.py"], "max_lines": 10}, "paths"),
        (schema, {"schema": "/abs/schema.json", "data": ["a.json"]}, "schema"),
        (schema, {"schema": "s.json", "data": ["..\\up.json"]}, "data"),
        (command, {"run": ["true"], "cwd": "../elsewhere"}, "cwd"),
        (coverage, {"min": 0.5, "config": "/etc/coveragerc"}, "config"),
        (coverage, {"min": 0.5, "source": ["../src"]}, "source"),
    ],
)
def test_paths_outside_the_rootdir_are_rejected(kind, raw, field) -> None:
    with pytest.raises(ValidationError) as info:
        kind.parse(raw)
    (error,) = info.value.errors()
    assert error["loc"][0] == field
    assert error["msg"].startswith("Value error, expected a path")
    assert ("absolute path" in error["msg"]) or ("found '..' in" in error["msg"])


def test_the_rejection_names_the_path() -> None:
    with pytest.raises(ValidationError) as info:
        files.parse({"exist": ["../secrets.txt"]})
    assert info.value.errors()[0]["msg"] == (
        "Value error, expected a path inside the rootdir, found '..' in '../secrets.txt'"
    )
    with pytest.raises(ValidationError) as info:
        files.parse({"exist": ["/etc/passwd"]})
    assert info.value.errors()[0]["msg"] == (
        "Value error, expected a path relative to the rootdir, found absolute path '/etc/passwd'"
    )


def test_an_empty_path_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        files.parse({"exist": [""]})
    assert info.value.errors()[0]["msg"] == (
        "Value error, expected a path relative to the rootdir, found an empty string"
    )


def test_unknown_parameters_are_an_error() -> None:
    with pytest.raises(ValidationError, match=r"Extra inputs are not permitted"):
        files.parse({"exist": ["a"], "exists": ["b"]})
