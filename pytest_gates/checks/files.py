"""The ``files`` kind: files exist, are not empty, and parse in their format.

The format readers here are shared with the ``schema`` kind: each reports a problem with the line
and column its parser gives, as :class:`ParseProblem`.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, final

import yaml
from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import Expansion, Outside, RelPath, expand_confined, plural

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FileFormat = Literal["python", "json", "yaml", "toml", "html", "markdown"]
DataFormat = Literal["json", "yaml", "toml"]

#: Bytes read at a time to see whether a file that is not parsed is empty.
START_CHUNK: Final = 4096
_FORMAT_NAMES: Final[dict[FileFormat, str]] = {
    "python": "Python",
    "json": "JSON",
    "yaml": "YAML",
    "toml": "TOML",
    "html": "HTML",
    "markdown": "Markdown",
}


@dataclass(frozen=True)
class ParseProblem:
    """Why a file does not parse, and where, when the parser says."""

    message: str
    line: int | None = None
    column: int | None = None


@final
class ParseFailed(Exception):
    """A file is not in its format; ``problem`` says why and where."""

    def __init__(self, problem: ParseProblem) -> None:
        self.problem = problem
        super().__init__(problem.message)


def decode_utf8(raw: bytes) -> str:
    """The text of a file, or :class:`ParseFailed` locating the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        raise ParseFailed(
            ParseProblem(
                f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot start or continue a character",
                line=raw.count(b"\n", 0, exc.start) + 1,
                column=exc.start - line_start + 1,
            )
        ) from None


def _yaml_problem(exc: yaml.YAMLError, line_offset: int = 0) -> ParseProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        message = exc.problem or str(exc)
        if exc.context:
            message += f" ({exc.context})"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return ParseProblem(message, mark.line + 1 + line_offset, mark.column + 1)
        return ParseProblem(message)
    return ParseProblem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


_TOML_POSITION: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml_problem(exc: ValueError) -> ParseProblem:
    text = str(exc)
    match = _TOML_POSITION.search(text)
    if match is None:
        return ParseProblem(text)
    return ParseProblem(text[: match.start()], int(match[1]), int(match[2]))


def load_data(fmt: DataFormat, raw: bytes) -> Any:
    """The data in a JSON, YAML (one document) or TOML file; :class:`ParseFailed` if it has none."""
    text = decode_utf8(raw)
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "yaml":
            return yaml.safe_load(text)
        return tomllib.loads(text)
    except json.JSONDecodeError as exc:
        problem = ParseProblem(exc.msg, exc.lineno, exc.colno)
    except yaml.YAMLError as exc:
        problem = _yaml_problem(exc)
    except tomllib.TOMLDecodeError as exc:
        problem = _toml_problem(exc)
    raise ParseFailed(_named(fmt, problem))


def _named(fmt: FileFormat, problem: ParseProblem) -> ParseProblem:
    message = f"invalid {_FORMAT_NAMES[fmt]}: {problem.message}"
    return ParseProblem(message, problem.line, problem.column)


def _python_problems(raw: bytes) -> list[ParseProblem]:
    try:
        # Parsing may warn (invalid escapes); under -W error that would be an exception.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(raw)
    except SyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        column = exc.offset if line and exc.offset and exc.offset >= 1 else None
        return [ParseProblem(exc.msg or str(exc), line, column)]
    except ValueError as exc:
        return [ParseProblem(str(exc))]
    return []


def _yaml_stream_problems(text: str) -> list[ParseProblem]:
    try:
        for _document in yaml.safe_load_all(text):
            pass
    except yaml.YAMLError as exc:
        return [_yaml_problem(exc)]
    return []


#: Elements that have no end tag.
_VOID: Final = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip
#: Elements whose end tag may be left out (HTML's optional end tags).
_OPTIONAL_END: Final = frozenset(
    {
        "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "rb", "rp", "rt",
        "rtc", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup",
    }
)  # fmt: skip


class _TagBalance(HTMLParser):
    """Tracks open elements; a stray or unclosed end tag is a problem at its position."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int, int]] = []
        self.problems: list[ParseProblem] = []

    def _here(self) -> tuple[int, int]:
        line, offset = self.getpos()
        return line, offset + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.open.append((tag, *self._here()))

    def handle_endtag(self, tag: str) -> None:
        line, column = self._here()
        if tag in _VOID:
            return
        if all(name != tag for name, _, _ in self.open):
            self.problems.append(
                ParseProblem(f"closing tag </{tag}> has no matching open <{tag}>", line, column)
            )
            return
        while self.open:
            name, open_line, open_column = self.open.pop()
            if name == tag:
                return
            if name not in _OPTIONAL_END:
                self.problems.append(
                    ParseProblem(
                        f"<{name}> is not closed before </{tag}> at line {line}, column {column}",
                        open_line,
                        open_column,
                    )
                )

    def finish(self) -> list[ParseProblem]:
        self.close()
        for name, line, column in self.open:
            if name not in _OPTIONAL_END:
                self.problems.append(ParseProblem(f"<{name}> is never closed", line, column))
        return self.problems


def _html_problems(text: str) -> list[ParseProblem]:
    parser = _TagBalance()
    parser.feed(text)
    return parser.finish()


@cache
def _commonmark() -> MarkdownIt:
    """CommonMark as markdown-it-py parses it: what "parses" means for Markdown (imported here,
    when a Markdown file is first checked: a tenth of a second every gate process saves)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


#: What may come before a closing fence on its line: indentation and blockquote markers.
_CONTAINER_PREFIX: Final = re.compile(r"^(?:[ \t]*>)*[ \t]*")


def _markdown_problems(text: str) -> list[ParseProblem]:
    """What is wrong in a Markdown file, though CommonMark renders any text.

    Front matter (``---`` on the first line) must be closed and be YAML; a NUL character is a
    problem (CommonMark replaces it, so the file is binary or damaged); and a fenced code block,
    as markdown-it-py's token stream has it, must be closed by its fence (else it swallows the
    rest of its container). A fence that CommonMark reads otherwise (in an indented code block,
    a backtick fence whose info string holds a backtick) is not one.
    """
    lines = text.split("\n")  # as markdown-it numbers them
    problems: list[ParseProblem] = []
    start = 0
    if lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
        if end is None:
            return [ParseProblem("front matter opened with --- is never closed", 1, 1)]
        try:
            yaml.safe_load("\n".join(lines[1:end]))
        except yaml.YAMLError as exc:
            problem = _yaml_problem(exc, line_offset=1)
            message = f"front matter is not YAML: {problem.message}"
            problems.append(ParseProblem(message, problem.line, problem.column))
        start = end + 1
    for number, line in enumerate(lines, start=1):
        if "\0" in line:
            column = line.index("\0") + 1
            problems.append(ParseProblem("NUL character: not Markdown text", number, column))
    body = lines[start:]
    for token in _commonmark().parse("\n".join(body)):
        if token.type != "fence" or token.map is None:
            continue
        first, last = token.map
        closing = _CONTAINER_PREFIX.sub("", body[last - 1]).rstrip()
        closed = (
            last - 1 > first
            and closing.startswith(token.markup)
            and set(closing) == {token.markup[0]}
        )
        if not closed:
            column = body[first].find(token.markup) + 1
            message = f"code block opened with {token.markup} is never closed"
            problems.append(ParseProblem(message, start + first + 1, column))
    return problems


def syntax_problems(fmt: FileFormat, raw: bytes) -> list[ParseProblem]:
    """Everything that keeps ``raw`` from being a well-formed file of format ``fmt``."""
    try:
        text = decode_utf8(raw)
        if fmt in ("json", "toml"):
            load_data(fmt, raw)
    except ParseFailed as exc:
        return [exc.problem]
    if fmt == "python":
        problems = _python_problems(raw)
    elif fmt == "yaml":
        problems = _yaml_stream_problems(text)
    elif fmt == "html":
        problems = _html_problems(text)
    elif fmt == "markdown":
        problems = _markdown_problems(text)
    else:
        problems = []
    return [_named(fmt, problem) for problem in problems]


def outside_findings(outside: Iterable[Outside]) -> list[Finding]:
    """A ``path.outside_root`` finding for each match that resolves outside the rootdir, named
    as it sits in the project; its target is never read."""
    return [
        Finding(
            rule="path.outside_root",
            location=Location(path=out.name),
            message=out.message(),
            fix_hint="keep the file in the project, or remove the symlink or the pattern",
        )
        for out in outside
    ]


def expansion_findings(expansion: Expansion, kind: str, fix_hint: str) -> list[Finding]:
    """What a check's patterns did wrong: the matches outside the rootdir, and a
    ``<kind>.missing`` finding for each pattern that matched nothing."""
    return outside_findings(expansion.outside) + [
        Finding(
            rule=f"{kind}.missing",
            location=Location(path=match.pattern),
            message=match.missing_message(),
            fix_hint=fix_hint,
        )
        for match in expansion.empty
    ]


class FilesParams(CheckParams):
    """Parameters of ``files``."""

    #: Paths or globs that must each match at least one file. ``**`` spans directories; hidden
    #: files and directories are matched only by a part of the pattern that starts with a dot.
    exist: list[RelPath] = Field(min_length=1)
    #: Globs of files to leave out; a glob that names a directory leaves out all of it.
    exclude: list[RelPath] = Field(default_factory=list)
    #: An empty or whitespace-only file is a problem.
    non_empty: bool = False
    #: Parse each file in this format; a syntax error is a problem. Markdown is read as
    #: CommonMark by markdown-it-py (which accepts any text): a problem is an unclosed fenced code
    #: block, unclosed or invalid YAML front matter, or a NUL character.
    parse: FileFormat | None = None


@check_kind("files", params=FilesParams, idempotent=True)
def files(params: FilesParams, ctx: CheckContext) -> CheckResult:
    """Files exist, are not empty, and parse (Markdown: CommonMark as markdown-it-py reads it,
    with every fenced code block closed, front matter that is YAML, and no NUL character)."""
    expansion = expand_confined(ctx.rootdir, params.exist, params.exclude)
    matched, unmatched = expansion.files, expansion.empty
    findings = expansion_findings(
        expansion, "files", "create the file, or correct the path or pattern"
    )
    for name, path in matched:
        findings += _file_findings(path, name, params)
    return CheckResult(
        passed=not findings,
        summary=f"{plural(len(matched), 'file')} checked, {plural(len(findings), 'problem')}",
        findings=sorted_findings(findings),
        details={
            "files": len(matched),
            "missing": [match.pattern for match in unmatched],
            **({"outside": [out.name for out in expansion.outside]} if expansion.outside else {}),
            "problems": len(findings),
        },
    )


def _file_findings(path: Path, relative: str, params: FilesParams) -> list[Finding]:
    if not params.non_empty and params.parse is None:
        return []  # that it exists, as a regular file, is all there is to check
    # Emptiness needs only the start of a file that is not parsed: the first byte that is not
    # whitespace settles it.
    raw = path.read_bytes() if params.parse is not None else _start(path)
    findings = []
    if params.non_empty and not raw.strip():
        findings.append(
            Finding(
                rule="files.empty",
                location=Location(path=relative),
                message="file is empty" if not raw else "file holds only whitespace",
                fix_hint="write the file's content, or remove it from the check",
            )
        )
    if params.parse is not None:
        findings += [
            Finding(
                rule="files.parse",
                location=Location(path=relative, line=problem.line, column=problem.column),
                message=problem.message,
            )
            for problem in syntax_problems(params.parse, raw)
        ]
    return findings


def _start(path: Path) -> bytes:
    """As much of ``path`` as it takes to find a byte that is not whitespace (all of it when
    there is none)."""
    chunks = []
    fd = os.open(path, os.O_RDONLY)  # unbuffered: most files are settled by one read
    try:
        while chunk := os.read(fd, START_CHUNK):
            chunks.append(chunk)
            if chunk.strip():
                break
    finally:
        os.close(fd)
    return b"".join(chunks)
