"""The one digest rule every kind binds inputs with (``pytest_gates.support.digest``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pytest_gates.cli.main import main
from pytest_gates.support.digest import file_digest, tree_digest


def expected(files: dict[str, bytes]) -> str:
    """The documented rule, written out: sorted names, ``name NUL sha256-hex LF`` each."""
    lines = "".join(
        f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n" for name in sorted(files)
    )
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, data in {
        "corpus/b.txt": b"bee\n",
        "corpus/a.txt": b"ay\n",
        "corpus/sub/c.json": b"{}",
        "corpus/.hidden": b"secret",
        "corpus/__pycache__/x.pyc": b"\0",
        "src/m.py": b"x = 1\r\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_a_directory_is_every_visible_file_below_it_sorted_by_name(tree: Path) -> None:
    found = tree_digest(tree, ["corpus"])
    assert found.files == ("corpus/a.txt", "corpus/b.txt", "corpus/sub/c.json")
    assert found.digest == expected(
        {"corpus/a.txt": b"ay\n", "corpus/b.txt": b"bee\n", "corpus/sub/c.json": b"{}"}
    )
    assert found.missing == ()


def test_files_globs_and_directories_naming_the_same_files_agree(tree: Path) -> None:
    by_dir = tree_digest(tree, ["corpus"]).digest
    assert tree_digest(tree, ["corpus/**/*"]).digest == by_dir
    assert tree_digest(tree, ["corpus/sub/c.json", "corpus/*.txt", "corpus/a.txt"]).digest == by_dir


def test_bytes_are_hashed_as_stored_and_names_count(tree: Path) -> None:
    assert tree_digest(tree, ["src"]).digest == expected({"src/m.py": b"x = 1\r\n"})
    before = tree_digest(tree, ["corpus"]).digest
    (tree / "corpus" / "a.txt").rename(tree / "corpus" / "a2.txt")
    assert tree_digest(tree, ["corpus"]).digest != before


def test_patterns_that_name_nothing_are_reported(tree: Path) -> None:
    found = tree_digest(tree, ["corpus/a.txt", "nope", "none/*.x"])
    assert found.missing == ("nope", "none/*.x")
    assert found.files == ("corpus/a.txt",)


def test_a_single_files_digest_is_its_sha256(tree: Path) -> None:
    assert (
        file_digest(tree / "src" / "m.py") == "sha256:" + hashlib.sha256(b"x = 1\r\n").hexdigest()
    )


def test_the_digest_command(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tree)
    assert main(["digest", "corpus", "--files"]) == 0
    digest = tree_digest(tree, ["corpus"]).digest
    assert capsys.readouterr().out == (f"corpus/a.txt\ncorpus/b.txt\ncorpus/sub/c.json\n{digest}\n")
    assert main(["digest", "corpus", "gone"]) == 1
    assert capsys.readouterr().err == "gone: matches no file\n"
