"""The authoritative sources a manifest is generated from: pydantic models, one per file.

A project keeps them in one folder (``gates/`` by default), named by the generation config
``gates/generate.yaml``; ``pytest-gates generate`` projects them into the manifest. The JSON
Schemas come from these models (``pytest-gates schema sources``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    model_validator,
)

from pytest_gates.model.manifest import ID_PATTERN, Defaults, Gate
from pytest_gates.model.names import DEFAULT_MANIFEST, GateClass
from pytest_gates.support.paths import RelPath

SOURCES_VERSION: Final = 1
#: Sources a project must have: the four required gate families read them.
REQUIRED_SOURCES: Final = ("capabilities", "obligations", "ledger")
DIGEST_PATTERN: Final = r"^sha256:[0-9a-f]{64}$"
#: Closure metrics a release report is held to unless the config says otherwise.
DEFAULT_CLOSURE: Final = {
    "benchmarks_out_of_bounds": 0,
    "open_blocking_issues": 0,
    "stale_artifacts": 0,
    "undischarged_obligations": 0,
}

SourceId = Annotated[str, Field(pattern=ID_PATTERN, max_length=100)]
Digest = Annotated[str, Field(pattern=DIGEST_PATTERN)]
Argv = Annotated[list[str], Field(min_length=1)]


def _int_to_str(value: Any) -> Any:
    # Issue numbers are written bare (id: 12) as often as quoted; both name the same issue.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


_ISSUE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
IssueId = Annotated[
    str,
    BeforeValidator(_int_to_str),
    Field(pattern=_ISSUE_PATTERN, max_length=100),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _ISSUE_PATTERN},
                {"type": "integer", "minimum": 0},
            ]
        }
    ),
]
ReleaseName = Annotated[
    str,
    BeforeValidator(_int_to_str),
    Field(min_length=1),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}),
]


class SourceModel(BaseModel):
    """Base of the source models: unknown keys are errors, and a loaded source is not changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- capability registry ---------------------------------------------------------------------


class Differential(SourceModel):
    """Two implementations of a capability that must agree on each case of its corpora."""

    #: The reference command; an argument containing ``{case}`` gets the case's path, else the
    #: case is given on standard input.
    reference: Argv
    candidate: Argv
    #: ``exact``: the outputs are the same bytes; ``json``: they parse to equal JSON values.
    compare: Literal["exact", "json"] = "exact"
    #: Seconds each command may take on one case.
    timeout: float = Field(default=60, gt=0)


class Capability(SourceModel):
    """One thing the project promises its users."""

    id: SourceId
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    status: Literal["planned", "in_progress", "shipped", "deprecated"]
    #: The ledger milestone the capability is delivered in.
    milestone: SourceId | None = None
    #: The gate classes the capability needs evidence of.
    requires: list[GateClass] = Field(default_factory=list)
    #: Obligation ids; each must name this capability as its own.
    obligations: list[SourceId] = Field(default_factory=list)
    corpora: list[SourceId] = Field(default_factory=list)
    benchmarks: list[SourceId] = Field(default_factory=list)
    differential: Differential | None = None
    description: str = ""


class CapabilityRegistry(SourceModel):
    """``capabilities.yaml``: what the project promises."""

    version: Literal[1]
    capabilities: list[Capability] = Field(default_factory=list)


# -- proof-obligation registry ---------------------------------------------------------------


class Evidence(SourceModel):
    """What discharges an obligation: a recorded file and its digest, or a command that passes."""

    #: The evidence file, relative to the project root.
    path: RelPath | None = None
    #: The file's digest when it was recorded; with it the evidence is a recorded file.
    sha256: Digest | None = None
    #: The digest of the obligation's ``covers`` when the evidence was made (``pytest-gates
    #: digest``): the evidence is stale once the covered paths differ.
    covers_sha256: Digest | None = None
    #: Produces the evidence. Without ``sha256`` the check runs it and it must exit 0 (and
    #: write ``path``, if given); with ``sha256`` it only says how to make the file again.
    command: Argv | None = None
    #: Seconds the command may take.
    timeout: float = Field(default=600, gt=0)

    @model_validator(mode="after")
    def _file_or_command(self) -> Evidence:
        if self.sha256 is not None and self.path is None:
            raise ValueError(
                "evidence with a sha256 needs the path of the file it is the digest of"
            )
        if self.sha256 is None and self.command is None:
            raise ValueError(
                "evidence needs a file and its digest (path, sha256) or a command that produces it"
            )
        if self.covers_sha256 is not None and self.sha256 is None:
            raise ValueError("covers_sha256 belongs to recorded evidence (path and sha256)")
        return self

    @property
    def recorded(self) -> bool:
        return self.sha256 is not None


class Waiver(SourceModel):
    """Why an obligation need not be discharged, who said so, and until when."""

    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    #: The last day the waiver holds; none means until withdrawn.
    expires: datetime.date | None = None


class Obligation(SourceModel):
    """Something that must be shown before a capability ships."""

    id: SourceId
    capability: SourceId
    kind: Literal["test", "proof", "review", "analysis"]
    title: str = ""
    status: Literal["open", "discharged", "waived"]
    #: Paths, globs or directories the evidence speaks about.
    covers: list[RelPath] = Field(default_factory=list)
    evidence: Evidence | None = None
    waiver: Waiver | None = None

    @model_validator(mode="after")
    def _status_is_backed(self) -> Obligation:
        if self.status == "discharged" and self.evidence is None:
            raise ValueError("a discharged obligation needs evidence")
        if self.status == "waived" and self.waiver is None:
            raise ValueError("a waived obligation needs a waiver: {reason, approver}")
        if self.status != "waived" and self.waiver is not None:
            raise ValueError(f"a waiver belongs to a waived obligation, this one is {self.status}")
        evidence = self.evidence
        if (
            evidence is not None
            and evidence.recorded
            and self.covers
            and evidence.covers_sha256 is None
        ):
            raise ValueError(
                "recorded evidence of an obligation that covers paths needs covers_sha256 "
                "(pytest-gates digest " + " ".join(self.covers) + ")"
            )
        return self


class ObligationRegistry(SourceModel):
    """``obligations.yaml``: what must be shown, and what shows it."""

    version: Literal[1]
    obligations: list[Obligation] = Field(default_factory=list)


# -- corpus and benchmark manifests ----------------------------------------------------------


class Corpus(SourceModel):
    """A set of cases (files) that differential and other checks run on."""

    id: SourceId
    title: str = ""
    #: Paths, globs or directories; each file is a case.
    paths: list[RelPath] = Field(min_length=1)
    #: The digest of the cases (``pytest-gates digest``).
    sha256: Digest
    #: The fewest cases the corpus may have.
    min_cases: int = Field(default=1, ge=0)


class CorpusManifest(SourceModel):
    """``corpora.yaml``."""

    version: Literal[1]
    corpora: list[Corpus] = Field(default_factory=list)


_RELATIVE: Final = re.compile(r"^\s*(<=|>=)?\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


class Threshold(SourceModel):
    """The bounds a benchmark's value must stay within."""

    #: The value may not be worse than this.
    absolute: float | None = None
    #: Relative to the baseline: ``<=+10%`` (lower is better: at most 10 % above the baseline),
    #: ``>=-5%`` (higher is better: at most 5 % below it).
    relative: str | None = Field(default=None, pattern=_RELATIVE.pattern)

    @model_validator(mode="after")
    def _some_bound(self) -> Threshold:
        if self.absolute is None and self.relative is None:
            raise ValueError("a threshold needs absolute, relative or both")
        return self

    def relative_parts(self) -> tuple[str | None, float] | None:
        """The comparator written (or None) and the percentage of ``relative``."""
        if self.relative is None:
            return None
        match = _RELATIVE.match(self.relative)
        assert match is not None  # the field pattern guarantees it
        return match[1], float(match[2])


class Benchmark(SourceModel):
    """A measured value, bound to the inputs it was measured on, held to a threshold."""

    id: SourceId
    title: str = ""
    #: The command that measures and writes ``result`` (shown when the result is stale).
    command: Argv
    metric: str = Field(min_length=1)
    unit: str = ""
    direction: Literal["lower", "higher"]
    threshold: Threshold
    #: The value the relative threshold is measured from.
    baseline: float | None = None
    #: JSON written by ``command``: ``{"value": <number>, "inputs_sha256": "sha256:..."}``.
    result: RelPath
    #: Paths, globs or directories the result depends on.
    inputs: list[RelPath] = Field(min_length=1)

    @model_validator(mode="after")
    def _relative_is_measurable(self) -> Benchmark:
        parts = self.threshold.relative_parts()
        if parts is None:
            return self
        if self.baseline is None:
            raise ValueError("a relative threshold needs a baseline")
        comparator, _ = parts
        expected = "<=" if self.direction == "lower" else ">="
        if comparator is not None and comparator != expected:
            raise ValueError(
                f"{self.direction} is better, so the relative threshold is a {expected} bound, "
                f"found '{self.threshold.relative}'"
            )
        return self

    def bounds(self) -> list[tuple[str, float]]:
        """Each bound as (what it is, value): ``("absolute", 0.5)``, ``("baseline <=+10%", 0.44)``."""
        found: list[tuple[str, float]] = []
        if self.threshold.absolute is not None:
            found.append(("absolute bound", self.threshold.absolute))
        parts = self.threshold.relative_parts()
        if parts is not None and self.baseline is not None:
            percent = parts[1]
            bound = self.baseline * (1 + percent / 100)
            found.append((f"relative bound (baseline {self.baseline:g} {percent:+g}%)", bound))
        return found


class BenchmarkManifest(SourceModel):
    """``benchmarks.yaml``."""

    version: Literal[1]
    benchmarks: list[Benchmark] = Field(default_factory=list)


# -- issue and milestone ledger --------------------------------------------------------------


class Milestone(SourceModel):
    """A milestone of the ledger, and the release it belongs to."""

    id: SourceId
    #: The release the milestone belongs to.
    release: ReleaseName
    title: str = ""


class Issue(SourceModel):
    """An issue of the ledger: its status, milestone, whether it blocks the release, its needs."""

    id: IssueId
    title: str = ""
    status: Literal["open", "in_progress", "closed"]
    milestone: SourceId | None = None
    #: The release of its milestone (every release, without one) cannot ship while it is open.
    blocks_release: bool = False
    depends_on: list[IssueId] = Field(default_factory=list)


class Ledger(SourceModel):
    """``ledger.yaml``: milestones and issues."""

    version: Literal[1]
    milestones: list[Milestone] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)


# -- gates no source describes -------------------------------------------------------------


class ExtraGates(SourceModel):
    """``extra-gates.yaml``: gates copied into the manifest as written (lint, types, tests)."""

    version: Literal[1]
    gates: list[Gate] = Field(default_factory=list)


# -- the generation config -------------------------------------------------------------------


class ReleaseReportFamily(SourceModel):
    """How the release report gate is generated."""

    #: The release readiness report the gate holds to the current subject.
    report: RelPath = ".gates/report.json"
    #: A one-stage CI (one ``pytest --gates``) has no earlier report: make the gate advisory.
    blocking: bool = True
    #: Accept a report made on a work tree with uncommitted changes.
    allow_dirty: bool = False
    #: The most each closure metric may be in the report.
    closure: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: dict(DEFAULT_CLOSURE)
    )


class GenerateConfig(SourceModel):
    """``gates/generate.yaml``: where the sources are and what the manifest is called."""

    version: Literal[1]
    project: str = Field(min_length=1)
    #: The release being gated: in-progress capabilities of its milestones are in it, and the
    #: ledger's blocking issues of its milestones must be closed. None: every release.
    release: ReleaseName | None = None
    #: The folder of the source files, relative to the project root; default: the config's own.
    sources: RelPath | None = None
    #: The manifest to write, relative to the project root.
    output: RelPath = DEFAULT_MANIFEST
    defaults: Defaults = Field(default_factory=Defaults)
    release_report: ReleaseReportFamily = Field(default_factory=ReleaseReportFamily)
    #: Carried into the manifest's ``projection`` key as written.
    projection: dict[str, JsonValue] | None = None


#: The one table of sources: each source's name -> its model. Its file in the sources folder is
#: ``<stem>.<yaml|yml|json|toml>``, the stem being the name with dashes (``extra-gates``).
SOURCE_MODELS: Final[Mapping[str, type[SourceModel]]] = {
    "capabilities": CapabilityRegistry,
    "obligations": ObligationRegistry,
    "corpora": CorpusManifest,
    "benchmarks": BenchmarkManifest,
    "ledger": Ledger,
    "extra_gates": ExtraGates,
}


def source_stem(name: str) -> str:
    """The stem of a source's file: ``extra-gates`` for ``extra_gates``."""
    return name.replace("_", "-")


def in_release(
    capability: Capability, milestones: Mapping[str, Milestone], release: str | None
) -> bool:
    """A capability is in the release when it is shipped, or in progress in one of the release's
    milestones (without a release named: in progress at all). Planned and deprecated ones are not."""
    if capability.status == "shipped":
        return True
    if capability.status != "in_progress":
        return False
    if release is None:
        return True
    milestone = milestones.get(capability.milestone or "")
    return milestone is not None and milestone.release == release
