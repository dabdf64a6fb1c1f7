"""What a projection is computed from: the manifest's gates, its digest and policy, and the header
every generated file (or region) carries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.names import DEFAULT_MANIFEST, GATE_CLASSES
from pytest_gates.model.policy import ProjectionPolicy
from pytest_gates.projection.project import ProjectFacts, install_plan, problems

_DIGEST_LINE: Final = re.compile(r"^\s*# manifest-digest: (\S+)\s*$")


@dataclass(frozen=True)
class ProjectionSource:
    """The inputs of every projection; two equal sources give byte-identical files."""

    #: The manifest's path as written in the files (relative to the project root, forward slashes).
    manifest: str
    #: ``LoadedManifest.digest``: the sha256 of the manifest's bytes.
    digest: str
    #: ``(gate id, gate class)`` in run order.
    gates: tuple[tuple[str, str], ...]
    policy: ProjectionPolicy
    #: The shard count in effect: ``--shards`` when given, else ``projection.shards``.
    shards: int
    #: The command that regenerates the files, with the options that differ from the defaults.
    command: str
    #: The command that regenerated the manifest from its sources; None: not generated.
    generate: str | None = None
    #: The project the files are written for (its extras, groups, tox file, Python range).
    project: ProjectFacts = field(default_factory=ProjectFacts)
    #: The manifest's ``policy.allow_bypass``: the decision step accepts ``GO_WITH_BYPASS``.
    allow_bypass: bool = False

    @classmethod
    def from_manifest(
        cls,
        loaded: LoadedManifest,
        display: str,
        shards: int | None = None,
        project: ProjectFacts | None = None,
    ) -> ProjectionSource:
        command = "pytest-gates sync"
        if display != DEFAULT_MANIFEST:
            command += f" --manifest {display}"
        if shards is not None:
            command += f" --shards {shards}"
        policy = loaded.manifest.projection
        generated = loaded.manifest.generated
        generate = None
        if generated is not None and generated.sources:
            generate = generated.command or "pytest-gates generate"
        return cls(
            manifest=display,
            digest=loaded.digest,
            gates=tuple((gate.id, gate.class_) for gate in loaded.gates_in_order()),
            policy=policy,
            shards=shards if shards is not None else policy.shards,
            command=command,
            generate=generate,
            project=project if project is not None else ProjectFacts(),
            allow_bypass=loaded.manifest.policy.allow_bypass,
        )

    # -- what the project decides where the policy leaves it open --------------------------------

    @property
    def install(self) -> str:
        """The install command: the policy's when it sets one; else installing the project with
        the extra or dependency group that brings pytest-gates (or its test tools), and
        pytest-gates itself unless that brings it."""
        if "install" in self.policy.model_fields_set or self.project.name is None:
            return self.policy.install
        return install_plan(self.project).pip_command()

    @property
    def tox_path(self) -> str | None:
        """The tox file sync writes into: the policy's when it sets one; else the file the
        project keeps its tox configuration in (``tox.ini``, ``tox.toml`` or ``[tool.tox]`` in
        ``pyproject.toml``); None when the policy turns tox off."""
        tox = self.policy.tox
        if tox is None:
            return None
        if "path" in tox.model_fields_set or self.project.tox_config is None:
            return tox.path
        return self.project.tox_config

    @property
    def tox_extras(self) -> tuple[str, ...]:
        tox = self.policy.tox
        if tox is None:
            return ()
        if "extras" in tox.model_fields_set or self.project.name is None:
            return tuple(tox.extras)
        extra = install_plan(self.project).extra
        return (extra,) if extra else ()

    @property
    def tox_groups(self) -> tuple[str, ...]:
        """The dependency groups the tox environments install (tox >= 4.22)."""
        tox = self.policy.tox
        if tox is None or "extras" in tox.model_fields_set or self.project.name is None:
            return ()
        group = install_plan(self.project).group
        return (group,) if group else ()

    @property
    def tox_deps(self) -> tuple[str, ...]:
        """Requirements the tox environments install by name: pytest-gates, when neither the
        project nor its chosen extra or group brings it."""
        tox = self.policy.tox
        if tox is None or "extras" in tox.model_fields_set or self.project.name is None:
            return ()
        return ("pytest-gates",) if install_plan(self.project).add_distribution else ()

    @property
    def pythons(self) -> tuple[str, ...]:
        """The Python versions the gates run on: each existing minor version the project's
        ``requires-python`` admits (the decision's own version, ``projection.python``, among
        them); just that one when the project declares no range."""
        found = self.project.pythons()
        return found if self.policy.python in found else (self.policy.python,)

    def problems(self) -> list[str]:
        """Why the generated files would not work in this project."""
        return problems(self.project, self.install, self.tox_extras)

    @property
    def gate_ids(self) -> list[str]:
        return [gate_id for gate_id, _ in self.gates]

    def classes(self) -> dict[str, list[str]]:
        """Each gate class present in the manifest, in the canonical class order, with its gates."""
        found = {
            name: [gate_id for gate_id, class_ in self.gates if class_ == name]
            for name in GATE_CLASSES
        }
        return {name: ids for name, ids in found.items() if ids}

    @property
    def manifest_option(self) -> str:
        """``--gates-manifest PATH`` for pytest when the manifest is not at the default path."""
        return "" if self.manifest == DEFAULT_MANIFEST else f" --gates-manifest {self.manifest}"

    def header(self, what: str) -> list[str]:
        """The comment lines (without ``#``) that open a generated ``what`` (file or region)."""
        return [
            f"Generated by `pytest-gates sync` from {self.manifest}: edit the manifest, not this {what}.",
            f"manifest-digest: {self.digest}",
            f"regenerate: {self.command}  (check: {self.command} --check)",
        ]


def header_digest(lines: Sequence[str]) -> tuple[str, int] | None:
    """The manifest digest a header names, and its 0-based line, among the first comment lines."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return None
        match = _DIGEST_LINE.match(line)
        if match:
            return match.group(1), index
    return None


def short_digest(digest: str) -> str:
    """``sha256:0123456789ab``: enough to tell two manifests apart in a message."""
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest[:19]
