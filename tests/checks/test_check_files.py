from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_gates.checks.files import files, syntax_problems
from pytest_gates.model.findings import Finding, Location


def test_existing_files_pass(run_check, write) -> None:
    write("README.md", "# hi\n")
    write("docs/a.md", "a\n")
    write("docs/sub/b.md", "b\n")
    result = run_check(files, {"exist": ["README.md", "docs/**/*.md"]})
    assert result.passed
    assert result.summary == "3 files checked, 0 problems"
    assert result.findings == []
    assert result.details == {"files": 3, "missing": [], "problems": 0}


def test_missing_files_and_patterns(run_check, write) -> None:
    write("docs/a.txt", "a\n")
    write("build/x.md", "x\n")
    result = run_check(
        files, {"exist": ["LICENSE", "docs/*.md", "build/*.md", "docs/a.txt"], "exclude": ["build"]}
    )
    assert not result.passed
    assert result.summary == "1 file checked, 3 problems"
    assert result.findings == [
        Finding(
            rule="files.missing",
            location=Location(path=path),
            message=message,
            fix_hint="create the file, or correct the path or pattern",
        )
        for path, message in [
            ("LICENSE", "no such file: 'LICENSE'"),
            ("build/*.md", "every file matching 'build/*.md' is excluded"),
            ("docs/*.md", "no file matches 'docs/*.md'"),
        ]
    ]
    assert result.details["missing"] == ["LICENSE", "docs/*.md", "build/*.md"]


def test_non_empty(run_check, write, where) -> None:
    write("a.txt", "")
    write("b.txt", " \n\t\n")
    write("c.txt", "text\n")
    result = run_check(files, {"exist": ["*.txt"], "non_empty": True})
    assert not result.passed
    assert result.summary == "3 files checked, 2 problems"
    assert where(result) == [
        ("files.empty", "a.txt", None, None),
        ("files.empty", "b.txt", None, None),
    ]
    assert [f.message for f in result.findings] == ["file is empty", "file holds only whitespace"]
    assert run_check(files, {"exist": ["*.txt"]}).passed


@pytest.mark.parametrize(
    ("fmt", "name", "content", "expected"),
    [
        ("python", "a.py", "def f(:\n    pass\n", (1, 7, "invalid Python: invalid syntax")),
        ("python", "b.py", "x = (\n", (1, 5, "invalid Python: '(' was never closed")),
        (
            "json",
            "a.json",
            '{\n  "a": 1,\n}\n',
            (3, 1, "invalid JSON: Expecting property name enclosed in double quotes"),
        ),
        ("json", "e.json", "", (1, 1, "invalid JSON: Expecting value")),
        (
            "yaml",
            "a.yaml",
            "a: 1\n b: 2\n",
            (2, 3, "invalid YAML: mapping values are not allowed here"),
        ),
        (
            "yaml",
            "b.yaml",
            "a: [1\n",
            (
                2,
                1,
                "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
            ),
        ),
        (
            "yaml",
            "c.yaml",
            "a: 1\n---\nb: [\n",
            (
                4,
                1,
                "invalid YAML: expected the node content, but found '<stream end>' (while parsing a flow node)",
            ),
        ),
        ("toml", "a.toml", "a = 1\nb = \n", (2, 5, "invalid TOML: Invalid value")),
        (
            "toml",
            "b.toml",
            'a = "x',
            (None, None, "invalid TOML: Unterminated string (at end of document)"),
        ),
    ],
)
def test_parse_errors_are_located(run_check, write, where, fmt, name, content, expected) -> None:
    write(name, content)
    result = run_check(files, {"exist": [name], "parse": fmt})
    assert not result.passed
    line, column, message = expected
    assert where(result) == [("files.parse", name, line, column)]
    assert result.findings[0].message == message


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("python", "\ufeffx = '\\d'\n"),
        ("json", '{"a": [1, 2]}'),
        ("yaml", "a: 1\n---\nb: 2\n"),
        ("toml", "[tool.x]\na = 1\n"),
        (
            "html",
            "<!doctype html><html><body><p>one<p>two<br><img src=x /><ul><li>a<li>b</ul></body></html>",
        ),
        ("markdown", "---\ntitle: x\n---\n# T\n\n````md\n```\ninner\n```\n````\n~~~\ncode\n~~~\n"),
        ("python", ""),
        ("yaml", ""),
    ],
)
def test_valid_files_parse(fmt, content) -> None:
    assert syntax_problems(fmt, content.encode("utf-8")) == []


def test_files_check_passes_on_valid_files(run_check, write) -> None:
    write("pkg/a.py", "X = 1\n")
    write("pkg/b.py", "Y = 2\n")
    result = run_check(files, {"exist": ["pkg/*.py"], "parse": "python", "non_empty": True})
    assert result.passed
    assert result.summary == "2 files checked, 0 problems"


def test_invalid_utf8_is_a_finding_for_every_format(run_check, write, where) -> None:
    for fmt in ("python", "json", "yaml", "toml", "html", "markdown"):
        write(f"bad.{fmt}", b"ok\nab\xff\n")
        result = run_check(files, {"exist": [f"bad.{fmt}"], "parse": fmt})
        assert where(result) == [("files.parse", f"bad.{fmt}", 2, 3)]
        assert result.findings[0].message == (
            "not UTF-8 text: byte 0xff cannot start or continue a character"
        )


def test_html_tag_balance(run_check, write, where) -> None:
    write(
        "page.html",
        """\
        <html>
        <body>
          <div class="a">
            <span>text
          </div>
          <section>
          </p>
        </body>
        """,
    )
    result = run_check(files, {"exist": ["page.html"], "parse": "html"})
    assert [(f.location.line, f.location.column, f.message) for f in result.findings] == [
        (4, 5, "invalid HTML: <span> is not closed before </div> at line 5, column 3"),
        (6, 3, "invalid HTML: <section> is not closed before </body> at line 8, column 1"),
        (7, 3, "invalid HTML: closing tag </p> has no matching open <p>"),
    ]


def test_html_unclosed_at_the_end(run_check, write) -> None:
    write("frag.html", "<div>\n  <table><tr><td>1</table>\n  <em>x")
    result = run_check(files, {"exist": ["frag.html"], "parse": "html"})
    assert [(f.location.line, f.location.column, f.message) for f in result.findings] == [
        (1, 1, "invalid HTML: <div> is never closed"),
        (3, 3, "invalid HTML: <em> is never closed"),
    ]


def test_markdown_fences_and_front_matter(write, run_check) -> None:
    write("a.md", "---\ntitle: [x\n---\ntext\n\n  ```python\ncode\n``\n")
    write("b.md", "---\ntitle: x\n")
    write("c.md", "# fine\n\n~~~\n```\n~~~\n")
    result = run_check(files, {"exist": ["*.md"], "parse": "markdown"})
    assert [
        (f.location.path, f.location.line, f.location.column, f.message) for f in result.findings
    ] == [
        (
            "a.md",
            2,
            10,
            "invalid Markdown: front matter is not YAML:"
            " expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
        ),
        ("a.md", 6, 3, "invalid Markdown: code block opened with ``` is never closed"),
        ("b.md", 1, 1, "invalid Markdown: front matter opened with --- is never closed"),
    ]
    assert result.summary == "3 files checked, 3 problems"


def test_parse_format_is_validated() -> None:
    with pytest.raises(
        ValidationError, match="'python', 'json', 'yaml', 'toml', 'html' or 'markdown'"
    ):
        files.parse({"exist": ["a"], "parse": "xml"})
    with pytest.raises(ValidationError, match="at least 1 item"):
        files.parse({"exist": []})


def test_a_symlink_is_named_as_it_sits_in_the_project(run_check, write) -> None:
    target = write("data/real.txt", "{")
    (write("docs/x.txt", "x").parent / "link.json").symlink_to(target)
    result = run_check(files, {"exist": ["docs/*.json"], "parse": "json"})
    assert [(f.location.path, f.message) for f in result.findings] == [
        ("docs/link.json", "invalid JSON: Expecting property name enclosed in double quotes"),
    ]


def test_python_with_a_null_byte(run_check, write, where) -> None:
    write("nul.py", b"x = 1\x00\n")
    result = run_check(files, {"exist": ["nul.py"], "parse": "python"})
    assert [f.rule for f in result.findings] == ["files.parse"]
    assert "null bytes" in result.findings[0].message


def test_markdown_is_what_commonmark_parses(write, run_check) -> None:
    # A fence inside an indented code block is code, not a fence (CommonMark, markdown-it-py).
    write("indented.md", "Example:\n\n    ```\n    not a fence\n\nText.\n")
    write("quoted.md", "> ```python\n> code\n> ```\n\n- item\n\n  ~~~~\n  code\n  ~~~~~\n")
    write("open.md", "# T\n\n> ````\n> code\n> ```\n")
    write("nul.md", "# T\n\nab\0c\n")
    result = run_check(files, {"exist": ["*.md"], "parse": "markdown"})
    assert [
        (f.location.path, f.location.line, f.location.column, f.message) for f in result.findings
    ] == [
        ("nul.md", 3, 3, "invalid Markdown: NUL character: not Markdown text"),
        ("open.md", 3, 3, "invalid Markdown: code block opened with ```` is never closed"),
    ]


def test_emptiness_is_read_past_a_long_run_of_whitespace(run_check, write, where) -> None:
    """A file that is not parsed is read only until a byte that is not whitespace."""
    write("late.txt", " " * 10_000 + "x\n")
    write("blank.txt", " \n" * 6_000)
    result = run_check(files, {"exist": ["*.txt"], "non_empty": True})
    assert where(result) == [("files.empty", "blank.txt", None, None)]
    assert [f.message for f in result.findings] == ["file holds only whitespace"]
