"""The ``file_size`` kind: no file is longer than a number of lines."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.files import expansion_findings
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import RelPath, expand_confined, plural


class FileSizeParams(CheckParams):
    """Parameters of ``file_size``."""

    #: Globs of the files to measure; each must match at least one file.
    paths: list[RelPath] = Field(min_length=1)
    #: Globs of files to leave out; a glob that names a directory leaves out all of it.
    exclude: list[RelPath] = Field(default_factory=list)
    max_lines: int = Field(ge=1)


def count_lines(path: Path) -> int:
    """Lines as an editor shows them: a last line without a newline still counts."""
    raw = path.read_bytes()
    return raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)


@check_kind("file_size", params=FileSizeParams, idempotent=True)
def file_size(params: FileSizeParams, ctx: CheckContext) -> CheckResult:
    """No file has more than ``max_lines`` lines."""
    expansion = expand_confined(ctx.rootdir, params.paths, params.exclude)
    matched, unmatched = expansion.files, expansion.empty
    findings = expansion_findings(
        expansion, "file_size", "correct the pattern, or remove it from the check"
    )
    sizes = [(name, count_lines(path)) for name, path in matched]
    over = [(name, lines) for name, lines in sizes if lines > params.max_lines]
    findings += [
        Finding(
            rule="file_size.max_lines",
            # A long file is a matter of style: it never fails a gate by itself.
            severity="minor",
            location=Location(path=name, line=params.max_lines + 1),
            message=f"{lines} lines, over the limit of {params.max_lines}",
            fix_hint="split the file into smaller modules",
        )
        for name, lines in over
    ]
    # max() keeps the first of equals, and sizes are in path order: ties go to the first path.
    largest = max(sizes, key=lambda size: size[1], default=None)
    summary = f"{len(over)} of {plural(len(sizes), 'file')} over {params.max_lines} lines"
    if unmatched:
        summary += f"; {plural(len(unmatched), 'pattern')} matched nothing"
    if expansion.outside:
        summary += f"; {plural(len(expansion.outside), 'path')} outside the project"
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "files": len(sizes),
            "over": len(over),
            "max_lines": params.max_lines,
            "largest": {"path": largest[0], "lines": largest[1]} if largest else None,
            "missing": [match.pattern for match in unmatched],
            **({"outside": [out.name for out in expansion.outside]} if expansion.outside else {}),
        },
    )
