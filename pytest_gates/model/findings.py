"""Findings: what a check found, where, how to fix it, and how much it matters for the release.

A finding's ``severity`` decides what it does to its gate (:mod:`pytest_gates.chain`):

* ``critical`` always blocks: its gate FAILs even when the gate is advisory or degrades;
* ``major`` fails a check's gate, and may degrade only with an approval;
* ``minor`` is recorded and never fails a gate by itself.

Tools' own levels map onto these (:data:`LEVEL_SEVERITY`: an ``error`` is major, a ``warning`` or
a ``note`` is minor); a finding written with a tool's level (older evidence, a plugin kind) is read
with that mapping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["critical", "major", "minor"]
#: Worst first.
SEVERITIES: Final[tuple[Severity, ...]] = ("critical", "major", "minor")
#: A tool's level (SARIF, mypy, the levels findings had before severities) -> our severity.
LEVEL_SEVERITY: Final[dict[str, Severity]] = {
    "error": "major",
    "warning": "minor",
    "note": "minor",
    "none": "minor",
}

#: How :meth:`Finding.render` names a severity: as compilers name their levels.
RENDERED_LEVEL: Final[dict[Severity, str]] = {
    "critical": "critical",
    "major": "error",
    "minor": "warning",
}


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
    severity: Severity = "major"
    location: Location = Field(default_factory=Location)
    message: str
    fix_hint: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _tool_level(cls, data: Any) -> Any:
        """A tool's level (``error``, ``warning``, ``note``) is read as its severity."""
        if isinstance(data, dict) and data.get("severity") in LEVEL_SEVERITY:
            return {**data, "severity": LEVEL_SEVERITY[data["severity"]]}
        return data

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path or "", loc.line or 0, loc.column or 0, self.rule, self.message)

    def render(self) -> str:
        """One line as compilers print it: ``path:line:col: level[rule] message``, the level
        being :data:`RENDERED_LEVEL` of the severity."""
        loc = self.location
        where = loc.path or "<no file>"
        if loc.line is not None:
            where += f":{loc.line}"
            if loc.column is not None:
                where += f":{loc.column}"
        if loc.pointer:
            where += f" ({loc.pointer})"
        text = f"{where}: {RENDERED_LEVEL[self.severity]}[{self.rule}] {self.message}"
        if self.fix_hint:
            text += f" (fix: {self.fix_hint})"
        return text


def severity_of_level(level: str) -> Severity:
    """Our severity for a tool's level (``error``, ``warning``, ``note``, case-insensitive);
    a level we do not know is minor."""
    return LEVEL_SEVERITY.get(level.lower(), "minor")


def worst(findings: Iterable[Finding], severity: Severity) -> Finding | None:
    """The first finding (in :func:`sorted_findings` order) of ``severity``, if any."""
    return next((f for f in sorted_findings(list(findings)) if f.severity == severity), None)


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in a total, reproducible order (path, line, column, rule, message)."""
    return sorted(findings, key=Finding.sort_key)
