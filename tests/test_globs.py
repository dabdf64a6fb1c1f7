"""``exist`` and ``exclude`` follow one glob rule: what a pattern finds, the same pattern excludes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.support.paths import excluder, expand, matches

TREE = (
    "a/b",
    "a/xb",
    "a/d/yb",
    "x",
    "s/x",
    "s/t/x",
    ".h/x",
    "s/.x",
    ".x",
    "s/.h/x",
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in TREE:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    return tmp_path


def _found(root: Path, pattern: str) -> set[str]:
    return {p.relative_to(root).as_posix() for p in expand(root, pattern).files}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # "**" glued to a name is "*": it stays inside one folder.
        ("a/**b", {"a/b", "a/xb"}),
        ("**/x", {"x", "s/x", "s/t/x"}),
        # Hidden files and folders only for a part that starts with a dot.
        ("**/.x", {".x", "s/.x"}),
        (".h/*", {".h/x"}),
        ("**/.h/x", {".h/x", "s/.h/x"}),
        ("s/t/*", {"s/t/x"}),
    ],
)
def test_a_pattern_excludes_exactly_what_it_finds(
    tree: Path, pattern: str, expected: set[str]
) -> None:
    assert _found(tree, pattern) == expected
    excludes = excluder([pattern])
    assert {name for name in TREE if excludes(name)} == expected
    assert {name for name in TREE if matches(name, pattern)} == expected
    # Found with the pattern as its own exclusion: everything found is excluded.
    match = expand(tree, pattern, exclude=[pattern])
    assert (match.files, match.excluded) == ([], len(expected))


def test_exclude_also_names_a_parent_folder(tree: Path) -> None:
    match = expand(tree, "**/x", exclude=["s/t"])
    assert {p.relative_to(tree).as_posix() for p in match.files} == {"x", "s/x"}
    assert excluder([".h"])(".h/x")
    assert not excluder(["*"])(".h/x")


def test_backslashes_are_folder_separators(tree: Path) -> None:
    assert _found(tree, "s\\t\\*") == {"s/t/x"}
    assert excluder(["s\\t"])("s/t/x")
