"""The ``research`` kind: a research artifact covers its topic before anything is written.

Seed 002's Research gate measures coverage, not correctness. The artifact is a JSON or YAML file
in the shape of :class:`ResearchArtifact` (its JSON Schema: ``ResearchArtifact.model_json_schema()``,
documented in docs/site-release.md)::

    topic: release gates
    required_terms: [release gate, hallucination, rollback]
    sources:
      - {title: Release gates in practice, url: "https://example.com/gates", excerpt: "..."}
    faq_candidates: [{question: "How do gates differ from CI stages?"}]
    internal_link_suggestions: [/en/posts/rollback.html]

Blocking: the keyword coverage (the share of ``required_terms`` found, case-insensitively, in a
source's title or excerpt) is at least ``min_ratio``; at least ``min_sources`` distinct sources
(by URL, without fragment, query order or trailing slash) are cited. Advisory (warnings): at
least ``min_faq`` FAQ candidates and ``min_link_suggestions`` internal link suggestions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.files import DataFormat, ParseFailed, load_data
from pytest_gates.checks.schema import json_pointer, position
from pytest_gates.model.findings import Finding, Location, Severity, sorted_findings
from pytest_gates.support.paths import RelPath, plural


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """A cited reference."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")
    type: str = ""
    #: What the source says that the research relies on.
    excerpt: str = ""


class FaqCandidate(_Strict):
    """A question the page could answer."""

    question: str = Field(min_length=1)
    source_line: int | None = Field(default=None, ge=1)


class ResearchArtifact(_Strict):
    """A research artifact (``research.yaml``), as the ``research`` kind reads it."""

    topic: str = Field(min_length=1)
    required_terms: list[str] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    faq_candidates: list[FaqCandidate] = Field(default_factory=list)
    internal_link_suggestions: list[str] = Field(default_factory=list)
    notes: str = ""


class ResearchParams(CheckParams):
    """Parameters of ``research``."""

    #: The research artifact (JSON or YAML by its extension; YAML otherwise).
    path: RelPath
    min_ratio: float = Field(default=0.8, ge=0, le=1)
    min_sources: int = Field(default=3, ge=0)
    min_faq: int = Field(default=2, ge=0)
    min_link_suggestions: int = Field(default=2, ge=0)


def source_key(url: str) -> str:
    """A URL as the same source: scheme and host lower-case, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}" + (f"?{query}" if query else "")


def coverage(artifact: ResearchArtifact) -> tuple[list[str], list[str]]:
    """The required terms found in the sources, and those not found."""
    texts = " ".join(f"{s.title} {s.excerpt}" for s in artifact.sources).casefold()
    found = [term for term in artifact.required_terms if term.casefold() in texts]
    return found, [term for term in artifact.required_terms if term not in found]


class _Report:
    def __init__(self, relative: str, raw: bytes) -> None:
        self.relative = relative
        try:
            self.tree = yaml.compose(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            self.tree = None
        self.findings: list[Finding] = []

    def add(
        self, rule: str, path: list[str | int], message: str, hint: str, severity: Severity
    ) -> None:
        where = position(self.tree, path) if path else None
        self.findings.append(
            Finding(
                rule=rule,
                severity=severity,
                location=Location(
                    path=self.relative,
                    line=where[0] if where else None,
                    column=where[1] if where else None,
                    pointer=json_pointer(path) if path else None,
                ),
                message=message,
                fix_hint=hint,
            )
        )


def _load(params: ResearchParams, report: _Report, raw: bytes) -> Any:
    if not raw.strip():
        report.add(
            "research.empty",
            [],
            "the research artifact is empty",
            "run the research step: the artifact lists terms, sources and FAQ candidates",
            "major",
        )
        return None
    fmt: DataFormat = "json" if Path(params.path).suffix.lower() == ".json" else "yaml"
    try:
        return load_data(fmt, raw)
    except ParseFailed as exc:
        report.findings.append(
            Finding(
                rule="research.parse",
                location=Location(
                    path=report.relative, line=exc.problem.line, column=exc.problem.column
                ),
                message=exc.problem.message,
                fix_hint="fix the syntax",
            )
        )
        return None


@check_kind("research", params=ResearchParams, idempotent=True)
def research(params: ResearchParams, ctx: CheckContext) -> CheckResult:
    """A research artifact covers its required terms with enough distinct sources."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        missing = Finding(
            rule="research.missing",
            location=Location(path=params.path),
            message=f"no research artifact: '{params.path}' does not exist",
            fix_hint="run the research step first, or correct the path",
        )
        return CheckResult(passed=False, summary="no research artifact", findings=[missing])
    raw = path.read_bytes()
    report = _Report(params.path, raw)
    data = _load(params, report, raw)
    if report.findings:
        return CheckResult(
            passed=False, summary=report.findings[0].message, findings=report.findings
        )
    try:
        artifact = ResearchArtifact.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            report.add(
                "research.schema",
                list(error["loc"]),
                error["msg"],
                "see the research artifact's schema in docs/site-release.md",
                "major",
            )
        return CheckResult(
            passed=False,
            summary=f"the research artifact does not match its schema "
            f"({plural(len(report.findings), 'problem')})",
            findings=sorted_findings(report.findings),
        )
    found, not_found = coverage(artifact)
    ratio = len(found) / len(artifact.required_terms)
    sources = list[JsonValue](sorted({source_key(s.url) for s in artifact.sources}))
    if ratio < params.min_ratio:
        report.add(
            "research.coverage",
            ["required_terms"],
            f"keyword coverage {ratio:.2f} ({len(found)} of "
            f"{plural(len(artifact.required_terms), 'required term')}), below "
            f"{params.min_ratio:g}; not found in any source: "
            + ", ".join(f"'{t}'" for t in not_found),
            "find sources that cover the missing terms",
            "major",
        )
    if len(sources) < params.min_sources:
        report.add(
            "research.sources",
            ["sources"],
            f"{plural(len(sources), 'distinct source')} cited, at least "
            f"{params.min_sources} required",
            "cite more independent sources",
            "major",
        )
    if len(artifact.faq_candidates) < params.min_faq:
        report.add(
            "research.faq",
            ["faq_candidates"],
            f"{plural(len(artifact.faq_candidates), 'FAQ candidate')}, {params.min_faq} suggested",
            "collect the questions readers ask",
            "minor",
        )
    if len(artifact.internal_link_suggestions) < params.min_link_suggestions:
        report.add(
            "research.link_suggestions",
            ["internal_link_suggestions"],
            f"{plural(len(artifact.internal_link_suggestions), 'internal link suggestion')}"
            f", {params.min_link_suggestions} suggested",
            "suggest related pages of the site to link to",
            "minor",
        )
    errors = [f for f in report.findings if f.severity != "minor"]
    return CheckResult(
        passed=not errors,
        summary=f"keyword coverage {ratio:.2f}, {plural(len(sources), 'distinct source')}, "
        f"{plural(len(artifact.faq_candidates), 'FAQ candidate')}",
        findings=sorted_findings(report.findings),
        details={
            "keyword_coverage": {
                "required": list[JsonValue](artifact.required_terms),
                "found": list[JsonValue](found),
                "ratio": round(ratio, 4),
            },
            "sources": sources,
            "faq_candidates": len(artifact.faq_candidates),
            "internal_link_suggestions": list[JsonValue](artifact.internal_link_suggestions),
        },
    )
