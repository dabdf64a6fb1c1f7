"""The gate manifest: pydantic models, loading with located errors, and the graph rules.

The models are the truth; the JSON Schema is generated from them (``pytest-gates schema manifest``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pytest_gates.errors import ManifestError
from pytest_gates.model.document import (
    breadcrumb,
    describe,
    duplicate_keys,
    format_validation_error,
    line_of,
)
from pytest_gates.model.graph import find_cycle, topological_order
from pytest_gates.model.names import GATE_CLASSES as GATE_CLASSES
from pytest_gates.model.names import GateClass as GateClass
from pytest_gates.model.policy import POLICY_KEYS, ProjectionPolicy
from pytest_gates.support.digest import sha256_bytes

MANIFEST_VERSION: Final = 1
ID_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]*$"

GateId = Annotated[str, Field(pattern=ID_PATTERN, max_length=100)]
Strategy = Literal["retry", "degrade", "block", "rollback"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Retry(StrictModel):
    """How often a failing idempotent check is tried, and how long to wait in between."""

    #: Total attempts, the first included.
    attempts: int = Field(ge=1, le=20)
    #: Seconds to wait before the 2nd, 3rd, ... attempt; the last value repeats.
    backoff: list[Annotated[float, Field(ge=0, le=3600)]] = Field(default_factory=list)

    def delay_before(self, attempt: int) -> float:
        """Seconds to sleep before ``attempt`` (2-based: the first attempt never waits)."""
        if attempt <= 1 or not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 2, len(self.backoff) - 1)]


class Rollback(StrictModel):
    """The command run (once, after the session) when a gate with ``on_failure: rollback`` fails."""

    run: list[str] = Field(min_length=1)
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=300, gt=0)


class CheckSpec(BaseModel):
    """One check of a gate: an id, a kind, and the kind's own parameters.

    The parameters are validated by the kind's model once the check kinds are registered.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: GateId
    kind: str = Field(min_length=1)
    description: str = ""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Defaults(StrictModel):
    """Values a gate takes when it does not say."""

    timeout: float | None = Field(default=300, gt=0)
    on_failure: Strategy = "block"


class Generated(StrictModel):
    """Set by ``pytest-gates generate``: what the manifest was projected from."""

    by: str
    command: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)


class Gate(StrictModel):
    """One named quality dimension: its class, level, needs, limits, strategy, checks and suites."""

    id: GateId
    class_: GateClass = Field(alias="class")
    blocking: bool = True
    description: str = ""
    needs: list[GateId] = Field(default_factory=list)
    #: Seconds for each of the gate's items (setup, call and teardown), enforced by pytest-timeout.
    timeout: float | None = Field(default=None, gt=0)
    on_failure: Strategy | None = None
    retry: Retry | None = None
    rollback: Rollback | None = None
    checks: list[CheckSpec] = Field(default_factory=list)
    suites: list[str] = Field(default_factory=list)
    #: Predicted seconds for the whole gate, spread over its items, for items with no recorded
    #: durations yet (sharding and scheduling only).
    expected_duration: float | None = Field(default=None, gt=0)
    #: Keep the gate's items in one shard and on one worker (shared expensive fixtures).
    together: bool = False

    @model_validator(mode="after")
    def _strategy_is_complete(self) -> Gate:
        if not self.checks and not self.suites:
            raise ValueError("a gate needs at least one check or one suite")
        if self.on_failure == "retry" and self.retry is None:
            raise ValueError("on_failure: retry needs a retry block, e.g. retry: {attempts: 3}")
        if self.on_failure == "rollback" and self.rollback is None:
            raise ValueError(
                "on_failure: rollback needs a rollback block, e.g. rollback: {run: [...]}"
            )
        return self


class Manifest(StrictModel):
    """The gate manifest (version 1): the gates a release must pass."""

    version: Literal[1]
    project: str = Field(min_length=1)
    generated: Generated | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    gates: list[Gate] = Field(min_length=1)
    #: How ``pytest-gates sync`` projects the gates into CI files, and what may be kept by hand.
    projection: ProjectionPolicy = Field(default_factory=ProjectionPolicy)

    def needs(self) -> dict[str, list[str]]:
        """The needs graph: each gate's id -> the ids it needs, in manifest order."""
        return {gate.id: list(gate.needs) for gate in self.gates}

    def gate(self, gate_id: str) -> Gate:
        for gate in self.gates:
            if gate.id == gate_id:
                return gate
        raise KeyError(gate_id)

    def strategy(self, gate: Gate) -> Strategy:
        if gate.on_failure is not None:
            return gate.on_failure
        return "retry" if gate.retry is not None else self.defaults.on_failure

    def timeout(self, gate: Gate) -> float | None:
        return gate.timeout if gate.timeout is not None else self.defaults.timeout

    def tolerates_failure(self, gate: Gate) -> bool:
        """An advisory gate, or one whose strategy is ``degrade``, turns FAIL into DEGRADED."""
        return not gate.blocking or self.strategy(gate) == "degrade"


#: Keys allowed at each place in the document, for "did you mean" hints.
ALLOWED_KEYS: Final[dict[tuple[int | str, ...], Iterable[str]]] = {
    (): Manifest.model_fields.keys(),
    ("defaults",): Defaults.model_fields.keys(),
    ("generated",): Generated.model_fields.keys(),
    ("gates", "*"): [f.alias or name for name, f in Gate.model_fields.items()],
    ("gates", "*", "retry"): Retry.model_fields.keys(),
    ("gates", "*", "rollback"): Rollback.model_fields.keys(),
    **POLICY_KEYS,
}


@dataclass(frozen=True)
class ManifestDocument:
    """A parsed manifest file: its text, its data, its YAML nodes (for line numbers)."""

    filename: str
    data: Any
    root: yaml.Node | None
    digest: str

    def error(self, path: Sequence[int | str], message: str) -> str:
        line = line_of(self.root, path)
        where = f"{self.filename}:{line}" if line is not None else self.filename
        return f"{where}: {breadcrumb(self.data, path)}: {message}"

    def validation_problems(
        self,
        error: ValidationError,
        prefix: Sequence[int | str] = (),
        allowed_keys: Iterable[str] | None = None,
    ) -> list[str]:
        """Problems of a model validated from the sub-document at ``prefix``, located in this file.

        ``allowed_keys`` are the keys that sub-document may have, for "did you mean" hints.
        """
        errors = [{**err, "loc": (*prefix, *err["loc"])} for err in error.errors(include_url=False)]
        allowed = ALLOWED_KEYS
        if prefix:
            shape = tuple("*" if isinstance(p, int) else p for p in prefix)
            allowed = {shape: list(allowed_keys or ())}
        return format_validation_error(self.filename, self.data, self.root, errors, allowed)


def parse_document(path: Path, display: str | None = None) -> ManifestDocument:
    """Read and parse a YAML (or JSON) file, with YAML syntax errors located."""
    filename = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            filename,
            [f"{filename}: no such file (pass --gates-manifest PATH or set gates_manifest)"],
        ) from None
    except OSError as exc:
        raise ManifestError(filename, [f"{filename}: cannot read: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            filename,
            [f"{filename}: expected UTF-8 text, found an undecodable byte at offset {exc.start}"],
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise ManifestError(
            filename, [f"{where}: invalid YAML: {exc.problem or exc.context}"]
        ) from None
    except yaml.YAMLError as exc:
        raise ManifestError(filename, [f"{filename}: invalid YAML: {exc}"]) from None
    return ManifestDocument(filename, data, root, sha256_bytes(raw))


@dataclass(frozen=True)
class LoadedManifest:
    """A validated manifest with where it came from."""

    manifest: Manifest
    document: ManifestDocument
    path: Path
    #: Gate ids in the order they run: dependencies first, manifest order among equals.
    order: tuple[str, ...] = field(default=())

    @property
    def digest(self) -> str:
        return self.document.digest

    def gates_in_order(self) -> Iterator[Gate]:
        for gate_id in self.order:
            yield self.manifest.gate(gate_id)


def load_manifest(
    path: Path, display: str | None = None, root_dir: Path | None = None
) -> LoadedManifest:
    """Load and validate a manifest; every problem found is raised at once as a ManifestError.

    ``root_dir`` is the directory that relative paths (suites) are resolved against; when given,
    each suite must exist.
    """
    doc = parse_document(path, display)
    problems = check_document(doc)
    if problems:
        raise ManifestError(doc.filename, problems)
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        raise ManifestError(doc.filename, doc.validation_problems(exc)) from None
    problems = graph_problems(doc, manifest)
    if root_dir is not None:
        problems += suite_problems(doc, manifest, root_dir)
    if problems:
        raise ManifestError(doc.filename, problems)
    return LoadedManifest(manifest, doc, path, tuple(topological_order(manifest.needs())))


def check_document(doc: ManifestDocument) -> list[str]:
    """What must hold before the models are even tried: a mapping, a known version, no duplicate keys."""
    data = doc.data
    if not isinstance(data, dict):
        return [
            f"{doc.filename}: expected a mapping with version, project and gates, found {describe(data)}"
        ]
    if "version" not in data:
        return [
            doc.error([], f"missing required key 'version'; expected version: {MANIFEST_VERSION}")
        ]
    version = data["version"]
    if version != MANIFEST_VERSION or isinstance(version, bool):
        return [
            doc.error(
                ["version"],
                f"expected {MANIFEST_VERSION} (this pytest-gates reads manifest version "
                f"{MANIFEST_VERSION}), found {describe(version)}",
            )
        ]
    return [
        f"{doc.filename}:{line}: {breadcrumb(data, path[:-1])}: key '{path[-1]}' is written twice"
        for path, line in duplicate_keys(doc.root, data)
    ]


def _gate_index(manifest: Manifest) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, gate in enumerate(manifest.gates):
        index.setdefault(gate.id, i)
    return index


def graph_problems(doc: ManifestDocument, manifest: Manifest) -> list[str]:
    """Unique ids, needs that exist, no cycles, unique check ids within a gate."""
    problems: list[str] = []
    index = _gate_index(manifest)
    for i, gate in enumerate(manifest.gates):
        if index[gate.id] != i:
            problems.append(
                doc.error(
                    ["gates", i, "id"],
                    f"duplicate gate id '{gate.id}' (first defined at gates[{index[gate.id]}])",
                )
            )
        seen_checks: dict[str, int] = {}
        for c, check in enumerate(gate.checks):
            if check.id in seen_checks:
                problems.append(
                    doc.error(
                        ["gates", i, "checks", c, "id"],
                        f"duplicate check id '{check.id}' in gate '{gate.id}'",
                    )
                )
            seen_checks.setdefault(check.id, c)
        for n, need in enumerate(gate.needs):
            if need == gate.id:
                problems.append(
                    doc.error(
                        ["gates", i, "needs", n], f"a gate cannot need itself, found '{need}'"
                    )
                )
            elif need not in index:
                known = ", ".join(sorted(index))
                problems.append(
                    doc.error(
                        ["gates", i, "needs", n],
                        f"expected the id of a gate in this manifest ({known}), found '{need}'",
                    )
                )
    if not problems:
        cycle = find_cycle(manifest.needs())
        if cycle:
            first = index[cycle[0]]
            problems.append(
                doc.error(["gates", first, "needs"], f"dependency cycle: {' -> '.join(cycle)}")
            )
    return problems


def suite_problems(doc: ManifestDocument, manifest: Manifest, root_dir: Path) -> list[str]:
    """Each suite exists inside the project and no two gates claim the same tests."""
    problems: list[str] = []
    owners: list[tuple[Path, str, list[int | str]]] = []
    root = root_dir.resolve()
    for i, gate in enumerate(manifest.gates):
        for s, suite in enumerate(gate.suites):
            where: list[int | str] = ["gates", i, "suites", s]
            path = (root_dir / suite).resolve()
            if not path.is_relative_to(root):
                problems.append(
                    doc.error(where, f"expected a path inside {root_dir}, found '{suite}'")
                )
                continue
            if not path.exists():
                problems.append(
                    doc.error(
                        where,
                        f"expected an existing directory or test file, found '{suite}' (no such path)",
                    )
                )
                continue
            for other_path, other_gate, other_where in owners:
                if (
                    path == other_path
                    or path.is_relative_to(other_path)
                    or other_path.is_relative_to(path)
                ):
                    problems.append(
                        doc.error(
                            where,
                            f"suite '{suite}' overlaps {breadcrumb(doc.data, other_where)} of gate "
                            f"'{other_gate}': each test belongs to one gate",
                        )
                    )
            owners.append((path, gate.id, where))
    return problems


def suite_owner(manifest: Manifest, root_dir: Path, path: Path) -> Gate | None:
    """The gate whose suites contain ``path``, if any."""
    resolved = path.resolve()
    for gate in manifest.gates:
        for suite in gate.suites:
            suite_path = (root_dir / suite).resolve()
            if resolved == suite_path or resolved.is_relative_to(suite_path):
                return gate
    return None
