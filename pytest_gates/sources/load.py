"""Loading a project's sources: the generation config, then each source file in its folder.

Every problem is reported in the manifest's style, ``file:line: breadcrumb: expected X, found Y``,
all of them at once (:class:`~pytest_gates.errors.SourceError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from pytest_gates.errors import CheckError, SourceError
from pytest_gates.model.document import Document, key_table, precheck, read_document
from pytest_gates.model.names import DEFAULT_SOURCES_CONFIG
from pytest_gates.sources.models import (
    REQUIRED_SOURCES,
    SOURCE_MODELS,
    SOURCES_VERSION,
    BenchmarkManifest,
    CapabilityRegistry,
    CorpusManifest,
    ExtraGates,
    GenerateConfig,
    Ledger,
    ObligationRegistry,
    source_stem,
)

DEFAULT_CONFIG: Final = DEFAULT_SOURCES_CONFIG
#: The extensions a source file may have, in the order they are looked for.
EXTENSIONS: Final = (".yaml", ".yml", ".json", ".toml")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedSource(Generic[M]):
    """One source file, validated: its model and its document (for lines and the digest)."""

    #: The path as it is named in messages and in the manifest: relative to the project root.
    display: str
    document: Document
    model: M

    @property
    def digest(self) -> str:
        return self.document.digest

    def error(self, path: list[int | str], message: str) -> str:
        return self.document.error(path, message)


def parse_source(path: Path, display: str) -> Document:
    """Read a YAML, JSON or TOML file with syntax errors located; a missing file is an error."""
    if not path.is_file():
        raise SourceError(display, [f"{display}: no such file"])
    return read_document(path, display, SourceError, by_suffix=True)


def validate_source(doc: Document, model: type[M]) -> M:
    """The model of a parsed source, or every problem at once as a SourceError."""
    keys = ", ".join(key_table(model)[()])
    problems = precheck(
        doc, version=SOURCES_VERSION, reader="source", expected=f"a mapping of {keys}"
    )
    if problems:
        raise SourceError(doc.filename, problems)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise SourceError(doc.filename, doc.validation_problems(exc, model=model)) from None


def load_source(root: Path, display: str, model: type[M]) -> LoadedSource[M]:
    """Parse and validate one source file, named relative to ``root``."""
    doc = parse_source(root / display, display)
    return LoadedSource(display, doc, validate_source(doc, model))


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class SourceSet:
    """A project's sources, each validated on its own (completeness is checked separately)."""

    root: Path
    config: LoadedSource[GenerateConfig]
    #: The folder of the source files, relative to the root.
    folder: str
    capabilities: LoadedSource[CapabilityRegistry]
    obligations: LoadedSource[ObligationRegistry]
    ledger: LoadedSource[Ledger]
    corpora: LoadedSource[CorpusManifest] | None
    benchmarks: LoadedSource[BenchmarkManifest] | None
    extra_gates: LoadedSource[ExtraGates] | None

    def loaded(self) -> list[LoadedSource[Any]]:
        found: list[LoadedSource[Any] | None] = [
            self.config,
            self.capabilities,
            self.obligations,
            self.corpora,
            self.benchmarks,
            self.ledger,
            self.extra_gates,
        ]
        return [source for source in found if source is not None]

    def digests(self) -> dict[str, str]:
        """Each source's path and sha256, sorted by path: what the manifest records."""
        return {s.display: s.digest for s in sorted(self.loaded(), key=lambda s: s.display)}


def find_source_files(root: Path, folder: str) -> tuple[dict[str, str], list[str]]:
    """Each source's file in ``folder`` (relative to ``root``), and the problems finding them."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for name in SOURCE_MODELS:
        stem = source_stem(name)
        candidates = [
            (PurePosixPath(folder) / f"{stem}{ext}").as_posix()
            for ext in EXTENSIONS
            if (root / folder / f"{stem}{ext}").is_file()
        ]
        if len(candidates) > 1:
            problems.append(
                f"{candidates[1]}: the {name.replace('_', ' ')} source is also in "
                f"{candidates[0]}; keep one of them"
            )
        elif candidates:
            found[name] = candidates[0]
        elif name in REQUIRED_SOURCES:
            written = " or ".join(f"{stem}{ext}" for ext in EXTENSIONS)
            problems.append(f"{folder}: missing the {name} source: expected {written}")
    return found, problems


def load_sources(root: Path, config: str = DEFAULT_CONFIG) -> SourceSet:
    """Load the config and every source it names; all problems at once as a SourceError."""
    config_display = _relative(root, root / config)
    loaded_config = load_source(root, config_display, GenerateConfig)
    folder = loaded_config.model.sources or PurePosixPath(config_display).parent.as_posix()
    files, problems = find_source_files(root, folder)
    loaded: dict[str, LoadedSource[Any]] = {}
    for name, display in files.items():
        try:
            loaded[name] = load_source(root, display, SOURCE_MODELS[name])
        except SourceError as exc:
            problems += exc.problems
    if problems:
        raise SourceError(config_display, problems)
    return SourceSet(
        root=root,
        config=loaded_config,
        folder=folder,
        capabilities=loaded["capabilities"],
        obligations=loaded["obligations"],
        ledger=loaded["ledger"],
        corpora=loaded.get("corpora"),
        benchmarks=loaded.get("benchmarks"),
        extra_gates=loaded.get("extra_gates"),
    )


def load_for_check(root: Path, display: str, model: type[M]) -> LoadedSource[M]:
    """Load a source a check reads; a source that does not load means the check cannot run."""
    try:
        return load_source(root, display, model)
    except SourceError as exc:
        raise CheckError("; ".join(exc.problems)) from None
