from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.command import path_mapper
from pytest_gates.checks.parsers import (
    parse_bandit,
    parse_generic,
    parse_mypy,
    parse_ruff,
)
from pytest_gates.model.findings import Finding, Location

DATA = Path(__file__).parent / "data"
#: Where the samples in data/ were recorded (see data/README.md).
RECORDED_IN = Path("/tmp/sample")


def _relative(printed: str) -> str:
    ctx = CheckContext(rootdir=RECORDED_IN, gate_id="g", check_id="c", tmp_path=RECORDED_IN)
    return path_mapper(ctx, RECORDED_IN)(printed)


def test_ruff_json() -> None:
    findings = parse_ruff((DATA / "ruff.json").read_text(), _relative)
    assert [(f.rule, f.location.path, f.location.line, f.location.column) for f in findings] == [
        ("F401", "pkg/bad.py", 1, 8),
        ("F401", "pkg/notes.py", 1, 20),
        ("F821", "pkg/notes.py", 9, 5),
        ("B018", "pkg/notes.py", 11, 5),
        ("F821", "pkg/notes.py", 11, 5),
        ("I001", "pkg/sec.py", 1, 1),
        ("F841", "pkg/sec.py", 14, 5),
        ("invalid-syntax", "pkg/syntax.py", 1, 12),
        ("invalid-syntax", "pkg/syntax.py", 1, 13),
    ]
    assert findings[0] == Finding(
        rule="F401",
        severity="error",
        location=Location(path="pkg/bad.py", line=1, column=8),
        message="`os` imported but unused",
        fix_hint="Remove unused import: `os`",
    )
    assert findings[2].fix_hint == "see https://docs.astral.sh/ruff/rules/undefined-name"


def test_ruff_older_output_without_code_or_fix_message() -> None:
    text = (
        '[{"code": null, "message": "SyntaxError: bad", "filename": "a.py",'
        ' "location": {"row": 2, "column": 1}, "fix": {"message": null}, "url": null}]'
    )
    (finding,) = parse_ruff(text)
    assert (finding.rule, finding.message, finding.fix_hint) == ("ruff", "SyntaxError: bad", None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not JSON (Expecting value at line 1, column 1)"),
        ("error: Failed to parse pyproject.toml", "not JSON (Expecting value at line 1, column 1)"),
        ('{"code": "F401"}', "unexpected JSON shape (top level: Input should be a valid list)"),
        ('[{"code": "F401"}]', "unexpected JSON shape (0.message: Field required)"),
    ],
)
def test_ruff_output_that_is_not_ruff_json(text: str, problem: str) -> None:
    (finding,) = parse_ruff(text)
    assert finding.rule == "ruff.unparsed"
    assert finding.severity == "minor"
    assert finding.message.startswith(f"could not read ruff output: {problem}")


def test_unparsed_quotes_the_start_of_the_output() -> None:
    (finding,) = parse_ruff("ruff failed\n  cause: no such file\n" + "x" * 500)
    assert finding.message.startswith(
        "could not read ruff output: not JSON (Expecting value at line 1, column 1);"
        " output starts: ruff failed cause: no such file xxx"
    )
    assert finding.message.endswith("...")
    assert len(finding.message) < 320


def test_mypy_text() -> None:
    findings = parse_mypy((DATA / "mypy.txt").read_text())
    assert [
        (f.rule, f.severity, f.location.path, f.location.line, f.location.column) for f in findings
    ] == [
        ("assignment", "major", "pkg/bad.py", 7, 14),
        ("arg-type", "major", "pkg/bad.py", 8, 16),
        ("return-value", "major", "pkg/bad.py", 12, 12),
        ("no-untyped-def", "major", "pkg/notes.py", 4, 1),
        ("mypy", "minor", "pkg/notes.py", 9, 17),
        ("arg-type", "major", "pkg/notes.py", 10, 18),
        ("name-defined", "major", "pkg/notes.py", 11, 5),
    ]
    assert (
        findings[1].message == 'Argument 1 to "len" has incompatible type "int"; expected "Sized"'
    )
    assert findings[4].message == 'Revealed type is "list[int]"'


MYPY_JSON = """\
{"file": "a.py", "line": 2, "column": 11, "end_line": 2, "end_column": 12, "message": \
"Incompatible return value type (got \\"int\\", expected \\"str\\")", "hint": null, \
"code": "return-value", "severity": "error"}
{"file": "a.py", "line": 4, "column": 12, "end_line": 4, "end_column": 13, "message": \
"Revealed type is \\"def (x: int) -> str\\"", "hint": null, "code": "misc", "severity": "note"}
{"file": "a.py", "line": 5, "column": 0, "end_line": 5, "end_column": 1, "message": \
"Cannot find implementation or library stub for module named \\"nosuchmod\\"", "hint": \
"See https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports", \
"code": "import-not-found", "severity": "error"}
{"file": "b.py", "line": -1, "column": -1, "message": "Duplicate module", "hint": null, \
"code": null, "severity": "error"}
"""


def test_mypy_json() -> None:
    # What `mypy -O json` (mypy 2.4) prints: one object a line, 0-based columns, notes as hints.
    findings = parse_mypy(MYPY_JSON, lambda path: f"src/{path}")
    assert [
        (f.rule, f.severity, f.location.path, f.location.line, f.location.column, f.fix_hint)
        for f in findings
    ] == [
        ("return-value", "major", "src/a.py", 2, 12, None),
        ("misc", "minor", "src/a.py", 4, 13, None),
        (
            "import-not-found",
            "major",
            "src/a.py",
            5,
            1,
            "See https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports",
        ),
        ("mypy", "major", "src/b.py", None, None, None),
    ]
    assert findings[0].message == 'Incompatible return value type (got "int", expected "str")'
    (finding,) = parse_mypy('{"line": 1}\n')
    assert finding.rule == "mypy.unparsed"
    assert finding.message.startswith("could not read mypy output: unexpected JSON line (")


def test_mypy_without_columns_with_error_ends_and_context_notes() -> None:
    text = "\n".join(
        [
            'src/a.py: note: In function "f":',
            "src/a.py:3: error: Missing return statement  [return]",
            "src/a.py:5:9:5:12: warning: Unused 'type: ignore' comment  [unused-ignore]",
            "src/b.py: error: Cannot read file: No such file or directory",
            "Found 3 errors in 2 files (checked 2 source files)",
        ]
    )
    findings = parse_mypy(text)
    assert [
        (f.rule, f.severity, f.location.path, f.location.line, f.location.column) for f in findings
    ] == [
        ("return", "major", "src/a.py", 3, None),
        ("unused-ignore", "minor", "src/a.py", 5, 9),
        ("mypy", "major", "src/b.py", None, None),
    ]


def test_mypy_success_and_crash() -> None:
    assert parse_mypy("Success: no issues found in 4 source files\n") == []
    assert parse_mypy("") == []
    (finding,) = parse_mypy("mypy: error: unrecognized arguments: --strikt\n")
    assert finding.rule == "mypy.unparsed"
    assert finding.message == (
        "could not read mypy output: no line in mypy's format (path:line: error: message);"
        " output starts: mypy: error: unrecognized arguments: --strikt"
    )


def test_bandit_json_recorded_sample() -> None:
    findings = parse_bandit((DATA / "bandit.json").read_text())
    assert [
        (f.rule, f.severity, f.location.path, f.location.line, f.location.column) for f in findings
    ] == [
        ("B404", "minor", "pkg/bad.py", 2, 1),
        ("B602", "critical", "pkg/bad.py", 6, 5),
        ("B403", "minor", "pkg/sec.py", 1, 1),
        ("B404", "minor", "pkg/sec.py", 2, 1),
        ("B301", "major", "pkg/sec.py", 7, 12),
        ("B602", "critical", "pkg/sec.py", 11, 5),
        ("B101", "minor", "pkg/sec.py", 12, 5),
        ("B324", "critical", "pkg/sec.py", 13, 5),
        ("B105", "minor", "pkg/sec.py", 14, 16),
        ("bandit.error", "major", "pkg/syntax.py", None, None),
    ]
    b602 = findings[1]
    assert b602.message == "subprocess call with shell=True identified, security issue."
    assert b602.fix_hint == (
        "https://bandit.readthedocs.io/en/1.9.4/plugins/"
        "b602_subprocess_popen_with_shell_equals_true.html"
    )
    assert findings[-1].message == "syntax error while parsing AST from file"


def test_bandit_output_that_is_not_bandit_json() -> None:
    (finding,) = parse_bandit('{"errors": []}')
    assert finding.rule == "bandit.unparsed"
    assert finding.message.startswith(
        "could not read bandit output: unexpected JSON shape (results: Field required)"
    )
    (finding,) = parse_bandit("[main]\tINFO\tprofile include tests: None")
    assert finding.rule == "bandit.unparsed"


def test_generic_lines() -> None:
    text = "\n".join(
        [
            "checking 3 files",
            "docs/a.md:12:3: trailing whitespace",
            "docs/a.md:4: line too long",
            "12:30:05 done",
            "https://example.com:443/x is not a location",
            "summary: 2 problems",
        ]
    )
    findings = parse_generic(text)
    assert [
        (f.rule, f.location.path, f.location.line, f.location.column, f.message) for f in findings
    ] == [
        ("generic", "docs/a.md", 4, None, "line too long"),
        ("generic", "docs/a.md", 12, 3, "trailing whitespace"),
    ]


def test_absolute_paths_inside_the_rootdir_become_relative(tmp_path: Path) -> None:
    ctx = CheckContext(rootdir=tmp_path, gate_id="g", check_id="c", tmp_path=tmp_path)
    relative = path_mapper(ctx, tmp_path / "sub")
    assert relative(str(tmp_path / "src" / "a.py")) == "src/a.py"
    assert relative("b.py") == "sub/b.py"
    assert relative("../c.py") == "c.py"
    assert relative("/usr/lib/python3/x.py") == "/usr/lib/python3/x.py"
    assert relative("../../outside.py") == "../../outside.py"
