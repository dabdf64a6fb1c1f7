"""Each check attempt gets an empty scratch directory; empty ones are reused, used ones removed."""

from __future__ import annotations

from pathlib import Path

from pytest_gates.session.scratch import Scratch


def test_an_empty_directory_is_handed_to_the_next_attempt() -> None:
    scratch = Scratch()
    first = scratch.take()
    scratch.give_back()
    assert scratch.take() == first
    assert first.is_dir()
    scratch.close()
    assert not first.exists()


def test_a_used_directory_is_removed_and_the_next_attempt_starts_empty() -> None:
    scratch = Scratch()
    first = scratch.take()
    (first / "sub").mkdir()
    (first / "sub" / "out.txt").write_text("left over")
    scratch.give_back()
    assert not first.exists()
    second = scratch.take()
    assert second != first
    assert list(second.iterdir()) == []
    scratch.close()


def test_a_directory_removed_by_the_check_itself_is_made_again(tmp_path: Path) -> None:
    scratch = Scratch()
    first = scratch.take()
    first.rmdir()
    scratch.give_back()
    second = scratch.take()
    assert second.is_dir()
    assert list(second.iterdir()) == []
    scratch.close()
