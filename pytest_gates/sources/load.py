"""Loading a project's sources: the generation config, then each source file in its folder.

Every problem is reported in the manifest's style, ``file:line: breadcrumb: expected X, found Y``,
all of them at once (:class:`~pytest_gates.errors.ManifestError`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pytest_gates.errors import CheckError, ManifestError
from pytest_gates.model.document import (
    breadcrumb,
    describe,
    duplicate_keys,
    format_validation_error,
)
from pytest_gates.model.manifest import ManifestDocument, parse_document
from pytest_gates.sources.models import (
    ALLOWED_KEYS,
    REQUIRED_SOURCES,
    SOURCE_FILES,
    SOURCE_MODELS,
    SOURCES_VERSION,
    BenchmarkManifest,
    CapabilityRegistry,
    CorpusManifest,
    ExtraGates,
    GenerateConfig,
    Ledger,
    ObligationRegistry,
)
from pytest_gates.support.digest import sha256_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG: Final = "gates/generate.yaml"
#: The extensions a source file may have, in the order they are looked for.
EXTENSIONS: Final = (".yaml", ".yml", ".json", ".toml")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedSource(Generic[M]):
    """One source file, validated: its model and its document (for lines and the digest)."""

    #: The path as it is named in messages and in the manifest: relative to the project root.
    display: str
    document: ManifestDocument
    model: M

    @property
    def digest(self) -> str:
        return self.document.digest

    def error(self, path: list[int | str], message: str) -> str:
        return self.document.error(path, message)


def parse_source(path: Path, display: str) -> ManifestDocument:
    """Read a YAML, JSON or TOML file with syntax errors located; a missing file is an error."""
    if not path.is_file():
        raise ManifestError(display, [f"{display}: no such file"])
    if path.suffix in (".yaml", ".yml"):
        return parse_document(path, display)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            display,
            [f"{display}: expected UTF-8 text, found an undecodable byte at offset {exc.start}"],
        ) from None
    if path.suffix == ".toml":
        try:
            return ManifestDocument(display, tomllib.loads(text), None, sha256_bytes(raw))
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(display, [f"{display}: invalid TOML: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            display, [f"{display}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None  # valid JSON that YAML 1.1 cannot read: no line numbers
    return ManifestDocument(display, data, root, sha256_bytes(raw))


def _document_problems(doc: ManifestDocument, expected: str) -> list[str]:
    """What must hold before the model is tried: a mapping, a known version, no key twice."""
    data = doc.data
    if not isinstance(data, dict):
        return [f"{doc.filename}: expected a mapping of {expected}, found {describe(data)}"]
    if "version" not in data:
        return [
            doc.error([], f"missing required key 'version'; expected version: {SOURCES_VERSION}")
        ]
    version = data["version"]
    if version != SOURCES_VERSION or isinstance(version, bool):
        return [
            doc.error(
                ["version"],
                f"expected {SOURCES_VERSION} (this pytest-gates reads source version "
                f"{SOURCES_VERSION}), found {describe(version)}",
            )
        ]
    return [
        f"{doc.filename}:{line}: {breadcrumb(data, path[:-1])}: key '{path[-1]}' is written twice"
        for path, line in duplicate_keys(doc.root, data)
    ]


def validate_source(doc: ManifestDocument, model: type[M], name: str) -> M:
    """The model of a parsed source, or every problem at once as a ManifestError."""
    problems = _document_problems(doc, ", ".join(ALLOWED_KEYS[name][()]))
    if problems:
        raise ManifestError(doc.filename, problems)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = format_validation_error(
            doc.filename, doc.data, doc.root, exc.errors(include_url=False), ALLOWED_KEYS[name]
        )
        raise ManifestError(doc.filename, problems) from None


def load_source(root: Path, display: str, model: type[M], name: str) -> LoadedSource[M]:
    """Parse and validate one source file, named relative to ``root``."""
    doc = parse_source(root / display, display)
    return LoadedSource(display, doc, validate_source(doc, model, name))


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
    for name, stem in SOURCE_FILES.items():
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
    """Load the config and every source it names; all problems at once as a ManifestError."""
    config_display = _relative(root, root / config)
    loaded_config = load_source(root, config_display, GenerateConfig, "config")
    folder = loaded_config.model.sources or PurePosixPath(config_display).parent.as_posix()
    files, problems = find_source_files(root, folder)
    loaded: dict[str, LoadedSource[Any]] = {}
    for name, display in files.items():
        try:
            loaded[name] = load_source(root, display, SOURCE_MODELS[name], name)
        except ManifestError as exc:
            problems += exc.problems
    if problems:
        raise ManifestError(config_display, problems)
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


def load_for_check(root: Path, display: str, model: type[M], name: str) -> LoadedSource[M]:
    """Load a source a check reads; a source that does not load means the check cannot run."""
    try:
        return load_source(root, display, model, name)
    except ManifestError as exc:
        raise CheckError("; ".join(exc.problems)) from None
