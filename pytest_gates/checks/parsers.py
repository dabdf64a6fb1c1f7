"""Findings from a tool's output: one pure function per output format.

Each parser takes the text the tool printed and a function that turns a path as the tool printed
it into a rootdir-relative one. Output that is not in the expected format never raises: it gives
one ``<tool>.unparsed`` finding, and the tool's exit code still decides whether the check passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from pytest_gates.model.findings import Finding, Location, Severity, sorted_findings

ToolFormat = Literal["ruff", "mypy", "bandit", "generic"]
PathMapper = Callable[[str], str]

_UNPARSED_EXCERPT: Final = 200


def _ruff_hint(diag: _RuffDiagnostic) -> str | None:
    # ruff offers a fix message only for fixable rules; otherwise its rule page explains the fix.
    if diag.fix and diag.fix.message:
        return diag.fix.message
    return f"see {diag.url}" if diag.url else None


def _same(path: str) -> str:
    return path


def unparsed(tool: str, problem: str, text: str) -> Finding:
    """The one finding for output that is not in ``tool``'s format."""
    excerpt = " ".join(text.split())
    if len(excerpt) > _UNPARSED_EXCERPT:
        excerpt = excerpt[: _UNPARSED_EXCERPT - 3] + "..."
    message = f"could not read {tool} output: {problem}"
    if excerpt:
        message += f"; output starts: {excerpt}"
    return Finding(rule=f"{tool}.unparsed", severity="minor", message=message)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _RuffLocation(_Loose):
    row: int
    column: int


class _RuffFix(_Loose):
    message: str | None = None


class _RuffDiagnostic(_Loose):
    code: str | None = None
    name: str | None = None
    message: str
    filename: str
    location: _RuffLocation | None = None
    fix: _RuffFix | None = None
    url: str | None = None


_RUFF_OUTPUT: Final = TypeAdapter(list[_RuffDiagnostic])


def _json_problem(error: json.JSONDecodeError) -> str:
    return f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})"


def parse_ruff(text: str, relative: PathMapper = _same) -> list[Finding]:
    """``ruff check --output-format=json``: a list of diagnostics."""
    try:
        diagnostics = _RUFF_OUTPUT.validate_python(json.loads(text))
    except json.JSONDecodeError as exc:
        return [unparsed("ruff", _json_problem(exc), text)]
    except ValidationError as exc:
        return [unparsed("ruff", f"unexpected JSON shape ({_first_error(exc)})", text)]
    findings = []
    for diag in diagnostics:
        loc = diag.location
        findings.append(
            Finding(
                rule=diag.code or diag.name or "ruff",
                location=Location(
                    path=relative(diag.filename),
                    line=loc.row if loc and loc.row >= 1 else None,
                    column=loc.column if loc and loc.column >= 1 else None,
                ),
                message=diag.message,
                fix_hint=_ruff_hint(diag),
            )
        )
    return sorted_findings(findings)


_MYPY_LINE: Final = re.compile(
    r"^(?P<path>[^:\s][^:]*?):(?:(?P<line>\d+):(?:(?P<col>\d+):)?(?:\d+:\d+:)?)?"
    r" (?P<severity>error|warning|note): (?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$"
)
_MYPY_SEVERITY: Final[dict[str, Severity]] = {
    "error": "major",
    "warning": "minor",
    "note": "minor",
}
_MYPY_SUMMARY: Final = re.compile(r"^(Found \d+ errors? in \d+ files?|Success: no issues found)")


class _MypyDiagnostic(_Loose):
    """One line of ``mypy -O json`` (mypy 1.11 and later)."""

    file: str
    line: int | None = None
    #: 0-based, unlike the text format's.
    column: int | None = None
    message: str
    hint: str | None = None
    code: str | None = None
    severity: str = "error"


def _mypy_json(line: str, relative: PathMapper) -> Finding | str:
    """The finding of one ``-O json`` line, or why it is not one."""
    try:
        diag = _MypyDiagnostic.model_validate_json(line)
    except ValidationError as exc:
        return f"unexpected JSON line ({_first_error(exc)})"
    column = diag.column + 1 if diag.column is not None and diag.column >= 0 else None
    return Finding(
        rule=diag.code or "mypy",
        severity=_MYPY_SEVERITY.get(diag.severity, "minor"),
        location=Location(
            path=relative(diag.file),
            line=diag.line if diag.line is not None and diag.line >= 1 else None,
            column=column,
        ),
        message=diag.message,
        fix_hint=diag.hint or None,
    )


def _mypy_text(line: str, relative: PathMapper) -> Finding | None:
    """The finding of one text line, or None for a line that is not one."""
    match = _MYPY_LINE.match(line)
    if match is None:
        return None
    severity = _MYPY_SEVERITY[match["severity"]]
    context = match["severity"] == "note" or not re.search(r"[./]", match["path"])
    if match["line"] is None and context:
        # A context header ("In function f:"), or mypy's own "mypy: error: ..." usage line.
        return None
    return Finding(
        rule=match["code"] or "mypy",
        severity=severity,
        location=Location(
            path=relative(match["path"]),
            line=_positive(match["line"]),
            column=_positive(match["col"]),
        ),
        message=match["message"],
    )


def parse_mypy(text: str, relative: PathMapper = _same) -> list[Finding]:
    """mypy's output, line by line: ``-O json`` (one object a line: file, line, column, message,
    hint, code, severity; the hint becomes the fix hint) or the text format of older mypy,
    ``path:line[:col]: error|warning|note: message  [code]``.

    Run mypy without ``--pretty``: it wraps long text messages over several lines.
    """
    findings = []
    recognised = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if _MYPY_SUMMARY.match(line):
            recognised = True
            continue
        if line.lstrip().startswith("{"):
            finding: Finding | str | None = _mypy_json(line, relative)
        else:
            finding = _mypy_text(line, relative)
        if isinstance(finding, str):
            return [unparsed("mypy", finding, text)]
        if finding is not None:
            recognised = True
            findings.append(finding)
    if not recognised and text.strip():
        return [unparsed("mypy", "no line in mypy's format (path:line: error: message)", text)]
    return sorted_findings(findings)


class _BanditResult(_Loose):
    filename: str
    line_number: int | None = None
    col_offset: int | None = None
    test_id: str
    issue_text: str
    issue_severity: str = "UNDEFINED"
    more_info: str | None = None


class _BanditError(_Loose):
    filename: str
    reason: str


class _BanditOutput(_Loose):
    results: list[_BanditResult]
    errors: list[_BanditError] = []


_BANDIT_SEVERITY: Final[dict[str, Severity]] = {
    "HIGH": "critical",
    "MEDIUM": "major",
    "LOW": "minor",
}


def parse_bandit(text: str, relative: PathMapper = _same) -> list[Finding]:
    """``bandit -f json``: ``results`` (and ``errors`` for files bandit could not read)."""
    try:
        output = _BanditOutput.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        return [unparsed("bandit", _json_problem(exc), text)]
    except ValidationError as exc:
        return [unparsed("bandit", f"unexpected JSON shape ({_first_error(exc)})", text)]
    findings = [
        Finding(
            rule=result.test_id,
            severity=_BANDIT_SEVERITY.get(result.issue_severity.upper(), "minor"),
            location=Location(
                path=relative(result.filename),
                line=result.line_number if result.line_number and result.line_number >= 1 else None,
                # bandit counts columns from 0.
                column=result.col_offset + 1 if result.col_offset is not None else None,
            ),
            message=result.issue_text,
            fix_hint=result.more_info,
        )
        for result in output.results
    ]
    findings += [
        Finding(
            rule="bandit.error",
            location=Location(path=relative(error.filename)),
            message=error.reason,
        )
        for error in output.errors
    ]
    return sorted_findings(findings)


_GENERIC_LINE: Final = re.compile(
    # A path is not all digits: "12:30:05 starting" is a clock, not a location.
    r"^(?!\d+:)(?P<path>[^:\s][^:]*?):(?P<line>\d+):(?:(?P<col>\d+):)? ?(?P<message>.*\S.*)$"
)


def parse_generic(text: str, relative: PathMapper = _same) -> list[Finding]:
    """Compiler-style lines ``path:line[:col]: message``; every other line is prose and skipped."""
    findings = []
    for raw in text.splitlines():
        match = _GENERIC_LINE.match(raw.rstrip())
        if match is None:
            continue
        findings.append(
            Finding(
                rule="generic",
                location=Location(
                    path=relative(match["path"]),
                    line=_positive(match["line"]),
                    column=_positive(match["col"]),
                ),
                message=match["message"].strip(),
            )
        )
    return sorted_findings(findings)


PARSERS: Final[dict[ToolFormat, Callable[[str, PathMapper], list[Finding]]]] = {
    "ruff": parse_ruff,
    "mypy": parse_mypy,
    "bandit": parse_bandit,
    "generic": parse_generic,
}


def _positive(value: str | None) -> int | None:
    number = int(value) if value else 0
    return number if number >= 1 else None


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"
