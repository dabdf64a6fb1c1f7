"""Loading a gate manifest: the document read, pre-checked and validated, every problem located.

A problem reads ``file:line: breadcrumb: expected X, found Y``; all are raised at once as a
:class:`~pytest_gates.errors.ManifestError`. Beyond the models: unique ids, needs that exist and
form no cycle (:mod:`pytest_gates.model.graph`), and suites inside the project that no two gates
share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from pytest_gates.errors import ManifestError
from pytest_gates.model.document import Document, breadcrumb, line_of, precheck, read_document
from pytest_gates.model.graph import find_cycle, topological_order
from pytest_gates.model.kinds import KindTable, kind_problems
from pytest_gates.model.manifest import MANIFEST_VERSION, Gate, Manifest
from pytest_gates.model.parse import gc_paused


def _check_paths(gate: Gate, index: int) -> Iterator[tuple[int | str, ...]]:
    return (("gates", index, "checks", position) for position in range(len(gate.checks)))


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
    #: The lines of the gates and their checks, kept by :meth:`without_tree`.
    lines: Mapping[tuple[int | str, ...], int] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return self.document.digest

    def line(self, path: Sequence[int | str]) -> int | None:
        """The 1-based line of ``path`` in the manifest file (or of its nearest parent)."""
        known = self.lines.get(tuple(path))
        return known if known is not None else line_of(self.document.root, path)

    def without_tree(self) -> LoadedManifest:
        """This manifest without its YAML node tree, keeping the line of each gate and check.

        A session holds its manifest to the end; the tree of a large one (tens of thousands of
        nodes, two marks each) would be walked by every full garbage collection and freed at
        exit, for nothing once the manifest is validated.
        """
        root = self.document.root
        if root is None:
            return self
        lines: dict[tuple[int | str, ...], int] = {}
        for index in range(len(self.manifest.gates)):
            for path in (("gates", index), *_check_paths(self.manifest.gates[index], index)):
                line = line_of(root, path)
                if line is not None:
                    lines[path] = line
        return dataclasses.replace(
            self, document=dataclasses.replace(self.document, root=None), lines=lines
        )

    def gates_in_order(self) -> Iterator[Gate]:
        gate = self.manifest.gate
        for gate_id in self.order:
            yield gate(gate_id)


def load_manifest(
    path: Path,
    display: str | None = None,
    root_dir: Path | None = None,
    kinds: KindTable | None = None,
    *,
    unknown_kinds: bool = False,
) -> LoadedManifest:
    """Load and validate a manifest; every problem found is raised at once as a ManifestError.

    ``root_dir`` is the directory that relative paths (suites) are resolved against; when given,
    each suite must exist. With ``kinds``, each check's parameters are validated against its
    kind's model, and with ``unknown_kinds`` a kind missing from ``kinds`` is a problem too.
    ``pytest-gates validate`` and the gate session both load through here.
    """
    with gc_paused():
        doc = read_document(path, display or str(path), ManifestError, missing=MISSING)
        manifest, problems = document_problems(doc, root_dir, kinds, unknown_kinds=unknown_kinds)
        if manifest is None or problems:
            raise ManifestError(doc.filename, problems)
        return LoadedManifest(manifest, doc, path, tuple(topological_order(manifest.needs())))


def document_problems(
    doc: Document,
    root_dir: Path | None = None,
    kinds: KindTable | None = None,
    *,
    unknown_kinds: bool = False,
) -> tuple[Manifest | None, list[str]]:
    """The manifest in ``doc`` and every problem with it: the models', the needs graph's, the
    suites' and the check kinds' problems, all at once (the manifest is None when a model refused)."""
    problems = check_document(doc)
    if problems:
        return None, problems
    manifest: Manifest | None = None
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        problems = doc.validation_problems(exc, model=Manifest)
    problems += graph_problems(doc, manifest)
    if root_dir is not None:
        problems += suite_problems(doc, manifest, root_dir)
    if kinds is not None:
        problems += kind_problems(doc, kinds, unknown=unknown_kinds)
    return manifest, problems


def check_document(doc: Document) -> list[str]:
    """What must hold before the models are even tried: a mapping, a known version, no duplicate keys."""
    return precheck(
        doc,
        version=MANIFEST_VERSION,
        reader="manifest",
        expected="a mapping with version, project and gates",
    )


@dataclass(frozen=True)
class _RawGate:
    """What the graph rules read of one gate, taken from the data as written (so that they
    are checked even when a model refused the manifest); entries of the wrong type are left out."""

    index: int
    id: str | None
    needs: list[tuple[int, str]]
    checks: list[tuple[int, str]]
    suites: list[tuple[int, str]]
    reviews: str | None = None
    executor: str | None = None
    rollback_on: list[tuple[int, str]] = field(default_factory=list)


def _strings(entries: Any) -> list[tuple[int, str]]:
    if not isinstance(entries, list):
        return []
    return [(i, entry) for i, entry in enumerate(entries) if isinstance(entry, str)]


def _raw_gates(data: Any) -> list[_RawGate]:
    gates = data.get("gates") if isinstance(data, dict) else None
    found: list[_RawGate] = []
    for i, gate in enumerate(gates if isinstance(gates, list) else ()):
        if not isinstance(gate, dict):
            continue
        ident = gate.get("id")
        checks = gate.get("checks")
        found.append(
            _RawGate(
                i,
                ident if isinstance(ident, str) else None,
                _strings(gate.get("needs")),
                [
                    (c, check["id"])
                    for c, check in enumerate(checks if isinstance(checks, list) else ())
                    if isinstance(check, dict) and isinstance(check.get("id"), str)
                ],
                _strings(gate.get("suites")),
                _string(gate.get("reviews")),
                _string(gate.get("executor")),
                _strings(gate.get("rollback_on")),
            )
        )
    return found


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _duty_problems(doc: Document, gates: list[_RawGate], index: dict[str, int]) -> list[str]:
    """``reviews`` and ``rollback_on`` name gates of the manifest; writer and reviewer differ."""
    problems: list[str] = []
    by_id = {gate.id: gate for gate in gates if gate.id is not None}
    known = ", ".join(sorted(index))
    for gate in gates:
        if gate.reviews is not None and gate.reviews != gate.id:
            reviewed = by_id.get(gate.reviews)
            if reviewed is None:
                problems.append(
                    doc.error(
                        ["gates", gate.index, "reviews"],
                        f"expected the id of a gate in this manifest ({known}), "
                        f"found '{gate.reviews}'",
                    )
                )
            elif gate.executor is not None and gate.executor == reviewed.executor:
                problems.append(
                    doc.error(
                        ["gates", gate.index, "executor"],
                        f"gate '{gate.id}' reviews gate '{reviewed.id}' and both are run by "
                        f"'{gate.executor}': writer and reviewer must be different identities",
                    )
                )
        for n, target in gate.rollback_on:
            if target not in index:
                problems.append(
                    doc.error(
                        ["gates", gate.index, "rollback_on", n],
                        f"expected the id of a gate in this manifest ({known}), found '{target}'",
                    )
                )
    return problems


def graph_problems(doc: Document, manifest: Manifest | None = None) -> list[str]:
    """Unique ids, needs that exist, no cycles, unique check ids within a gate.

    Read from the document's data, so that they are found along with the models' problems;
    ``manifest`` is not needed (kept for callers that pass it).
    """
    problems: list[str] = []
    gates = _raw_gates(doc.data)
    index: dict[str, int] = {}
    for gate in gates:
        if gate.id is not None:
            index.setdefault(gate.id, gate.index)
    known: str | None = None
    for gate in gates:
        if gate.id is not None and index[gate.id] != gate.index:
            problems.append(
                doc.error(
                    ["gates", gate.index, "id"],
                    f"duplicate gate id '{gate.id}' (first defined at gates[{index[gate.id]}])",
                )
            )
        seen_checks: set[str] = set()
        for c, check_id in gate.checks:
            if check_id in seen_checks:
                problems.append(
                    doc.error(
                        ["gates", gate.index, "checks", c, "id"],
                        f"duplicate check id '{check_id}' in gate '{gate.id}'",
                    )
                )
            seen_checks.add(check_id)
        for n, need in gate.needs:
            if need == gate.id:
                problems.append(
                    doc.error(
                        ["gates", gate.index, "needs", n],
                        f"a gate cannot need itself, found '{need}'",
                    )
                )
            elif need not in index:
                known = ", ".join(sorted(index)) if known is None else known
                problems.append(
                    doc.error(
                        ["gates", gate.index, "needs", n],
                        f"expected the id of a gate in this manifest ({known}), found '{need}'",
                    )
                )
    problems.extend(_duty_problems(doc, gates, index))
    if not problems:
        needs: dict[str, list[str]] = {}
        for gate in gates:
            if gate.id is not None:
                needs.setdefault(gate.id, [need for _, need in gate.needs])
        cycle = find_cycle(needs)
        if cycle:
            problems.append(
                doc.error(
                    ["gates", index[cycle[0]], "needs"], f"dependency cycle: {' -> '.join(cycle)}"
                )
            )
    return problems


def suite_problems(doc: Document, manifest: Manifest | None, root_dir: Path) -> list[str]:
    """Each suite exists inside the project and no two gates claim the same tests."""
    problems: list[str] = []
    owners: list[tuple[Path, str | None, list[int | str]]] = []
    root = root_dir.resolve()
    for gate in _raw_gates(doc.data):
        for s, suite in gate.suites:
            where: list[int | str] = ["gates", gate.index, "suites", s]
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
