from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_gates.checks.file_size import count_lines, file_size
from pytest_gates.model.findings import Finding, Location


def _lines(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(n))


def test_files_within_the_limit_pass(run_check, write) -> None:
    write("src/a.py", _lines(3))
    write("src/b.py", _lines(5))
    result = run_check(file_size, {"paths": ["src/**/*.py"], "max_lines": 5})
    assert result.passed
    assert result.summary == "0 of 2 files over 5 lines"
    assert result.details == {
        "files": 2,
        "over": 0,
        "max_lines": 5,
        "largest": {"path": "src/b.py", "lines": 5},
        "missing": [],
    }


def test_files_over_the_limit_fail(run_check, write) -> None:
    write("src/a.py", _lines(3))
    write("src/big.py", _lines(12))
    write("src/pkg/huge.py", _lines(40))
    write("src/gen/generated.py", _lines(1000))
    result = run_check(
        file_size, {"paths": ["src/**/*.py"], "exclude": ["src/gen"], "max_lines": 10}
    )
    assert not result.passed
    assert result.summary == "2 of 3 files over 10 lines"
    assert result.findings == [
        Finding(
            rule="file_size.max_lines",
            severity="minor",
            location=Location(path=path, line=11),
            message=message,
            fix_hint="split the file into smaller modules",
        )
        for path, message in [
            ("src/big.py", "12 lines, over the limit of 10"),
            ("src/pkg/huge.py", "40 lines, over the limit of 10"),
        ]
    ]
    assert result.details["largest"] == {"path": "src/pkg/huge.py", "lines": 40}
    assert result.details["over"] == 2


def test_a_pattern_that_matches_nothing_fails(run_check, write, where) -> None:
    write("a.py", "x\n")
    result = run_check(file_size, {"paths": ["*.py", "lib/*.py"], "max_lines": 10})
    assert not result.passed
    assert result.summary == "0 of 1 file over 10 lines; 1 pattern matched nothing"
    assert where(result) == [("file_size.missing", "lib/*.py", None, None)]
    assert result.findings[0].message == "no file matches 'lib/*.py'"


def test_nothing_matched_at_all(run_check) -> None:
    result = run_check(file_size, {"paths": ["src/*.py"], "max_lines": 10})
    assert not result.passed
    assert result.details["largest"] is None


def test_count_lines(tmp_path) -> None:
    for content, expected in [(b"", 0), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"\n\n", 2)]:
        path = tmp_path / "f"
        path.write_bytes(content)
        assert count_lines(path) == expected


def test_params() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        file_size.parse({"paths": ["*.py"], "max_lines": 0})
    with pytest.raises(ValidationError, match="at least 1 item"):
        file_size.parse({"paths": [], "max_lines": 5})
