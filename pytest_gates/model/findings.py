"""Findings: what a check found, where, and how to fix it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "note"]


class Location(BaseModel):
    """Where a finding is: a path relative to the rootdir, and what is known inside the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    line: int | None = Field(default=None, ge=1)
    column: int | None = Field(default=None, ge=1)
    #: A JSON pointer into a data file (``/gates/3/retry``), for schema findings.
    pointer: str | None = None


class Finding(BaseModel):
    """One problem a check found."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    severity: Severity = "error"
    location: Location = Field(default_factory=Location)
    message: str
    fix_hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path or "", loc.line or 0, loc.column or 0, self.rule, self.message)

    def render(self) -> str:
        """One line as compilers print it: ``path:line:col: severity[rule] message``."""
        loc = self.location
        where = loc.path or "<no file>"
        if loc.line is not None:
            where += f":{loc.line}"
            if loc.column is not None:
                where += f":{loc.column}"
        if loc.pointer:
            where += f" ({loc.pointer})"
        text = f"{where}: {self.severity}[{self.rule}] {self.message}"
        if self.fix_hint:
            text += f" (fix: {self.fix_hint})"
        return text


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in a total, reproducible order (path, line, column, rule, message)."""
    return sorted(findings, key=Finding.sort_key)
