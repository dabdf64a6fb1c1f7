"""Loading a gate manifest: the document read, pre-checked and validated, every problem located.

A problem reads ``file:line: breadcrumb: expected X, found Y``; all are raised at once as a
:class:`~pytest_gates.errors.ManifestError`. Beyond the models: unique ids, needs that exist and
form no cycle (:mod:`pytest_gates.model.graph`), and suites inside the project that no two gates
share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from pytest_gates.errors import ManifestError
from pytest_gates.model.document import Document, breadcrumb, precheck, read_document
from pytest_gates.model.graph import find_cycle, topological_order
from pytest_gates.model.manifest import MANIFEST_VERSION, Gate, Manifest

#: What a manifest that does not exist is called.
MISSING: Final = "no such file (pass --gates-manifest PATH or set gates_manifest)"


@dataclass(frozen=True)
class LoadedManifest:
    """A validated manifest with where it came from."""

    manifest: Manifest
    document: Document
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
    filename = display or str(path)
    doc = read_document(path, filename, ManifestError, missing=MISSING)
    problems = check_document(doc)
    if problems:
        raise ManifestError(doc.filename, problems)
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        raise ManifestError(doc.filename, doc.validation_problems(exc, model=Manifest)) from None
    problems = graph_problems(doc, manifest)
    if root_dir is not None:
        problems += suite_problems(doc, manifest, root_dir)
    if problems:
        raise ManifestError(doc.filename, problems)
    return LoadedManifest(manifest, doc, path, tuple(topological_order(manifest.needs())))


def check_document(doc: Document) -> list[str]:
    """What must hold before the models are even tried: a mapping, a known version, no duplicate keys."""
    return precheck(
        doc,
        version=MANIFEST_VERSION,
        reader="manifest",
        expected="a mapping with version, project and gates",
    )


def _gate_index(manifest: Manifest) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, gate in enumerate(manifest.gates):
        index.setdefault(gate.id, i)
    return index


def graph_problems(doc: Document, manifest: Manifest) -> list[str]:
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


def suite_problems(doc: Document, manifest: Manifest, root_dir: Path) -> list[str]:
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
