"""The runner's guard of a generated manifest: re-projected from its sources before collecting.

A manifest that says it was generated (a ``generated`` block with sources, or the one a generation
config in the rootdir writes) is projected again from its sources when ``pytest --gates`` starts.
Each gate added, removed or changed by hand is a problem; the runner adds the gate
``manifest.guard`` (not written in the manifest, so no edit of the manifest can drop it) whose one
check, of the kind ``manifest_guard``, fails with those problems: a NO_GO that names each edit.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml
from pydantic import Field, JsonValue

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.errors import SourceError
from pytest_gates.model.findings import Finding, Location
from pytest_gates.model.guard import GUARD_GATE, with_guard
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.names import DEFAULT_SOURCES_CONFIG as DEFAULT_CONFIG
from pytest_gates.support.paths import plural

if TYPE_CHECKING:
    from pytest_gates.sources.load import SourceSet

#: The id of the gate the runner adds to a generated manifest.
#: The top-level keys of a manifest that generation writes besides the gates.
_PROJECTED_KEYS: Final = ("version", "project", "defaults", "projection")


class ManifestGuardParams(CheckParams):
    """Parameters of ``manifest_guard`` (set by the runner, never written in a manifest)."""

    manifest: str
    #: How to regenerate the manifest.
    command: str
    #: What re-projecting the manifest found, one line each.
    problems: list[str] = Field(default_factory=list)


@check_kind("manifest_guard", params=ManifestGuardParams, idempotent=True)
def manifest_guard(params: ManifestGuardParams, ctx: CheckContext) -> CheckResult:
    """A generated manifest is what its sources generate: no gate added, removed or changed."""
    findings = [
        Finding(
            rule="manifest.hand_edit",
            # The runner guards the manifest: a hand edit blocks even where failures degrade.
            severity="critical",
            location=Location(path=params.manifest),
            message=problem,
            fix_hint=f"regenerate it with: {params.command} (and commit {params.manifest})",
        )
        for problem in params.problems
    ]
    if findings:
        summary = f"{plural(len(findings), 'difference')} from what its sources generate"
    else:
        summary = f"{params.manifest} is what its sources generate"
    details: dict[str, JsonValue] = {"problems": len(findings)}
    return CheckResult(passed=not findings, summary=summary, findings=findings, details=details)


def guard_manifest(loaded: LoadedManifest, display: str, rootdir: Path) -> LoadedManifest | None:
    """``loaded`` with the guard gate added last, when the manifest is generated; else None.

    The sources' modules are imported only for a generated manifest: a tenth of a second that
    every gate process of a hand-written manifest saves."""
    data = loaded.document.data if isinstance(loaded.document.data, dict) else {}
    generated = data.get("generated")
    recorded = generated.get("sources") if isinstance(generated, dict) else None
    config = _config_of(generated)
    if isinstance(recorded, dict) and recorded:
        problems, command = manifest_edits(data, display, rootdir, config)
    else:
        claimed = _claimed_by_config(display, rootdir)
        if claimed is None:
            return None
        from pytest_gates.sources.generate import generate_command

        problems = [
            f"manifest: the generated block was removed by hand: {display} is generated from "
            f"{claimed.config.display}"
        ]
        command = generate_command(claimed)
    if any(gate.id == GUARD_GATE for gate in loaded.manifest.gates):
        problems.append(f"manifest: gate '{GUARD_GATE}' is the runner's own; remove it")
    return with_guard(loaded, display, command, problems)


def _config_of(generated: Any) -> str:
    command = generated.get("command") if isinstance(generated, dict) else None
    if isinstance(command, str):
        argv = shlex.split(command)
        if "--config" in argv[:-1]:
            return argv[argv.index("--config") + 1]
    return DEFAULT_CONFIG


def _claimed_by_config(display: str, rootdir: Path) -> SourceSet | None:
    """The sources whose config writes this manifest, when the manifest no longer says so."""
    if not (rootdir / DEFAULT_CONFIG).is_file():
        return None
    from pytest_gates.sources.load import load_sources

    try:
        sources = load_sources(rootdir, DEFAULT_CONFIG)
    except SourceError:
        return None
    return sources if sources.config.model.output == display else None


def manifest_edits(
    data: Mapping[str, Any], display: str, rootdir: Path, config: str
) -> tuple[list[str], str]:
    """What differs between a generated manifest's data and what its sources generate now, and
    the command that regenerates it."""
    from pytest_gates.sources.generate import gate_origins, generate_command, render
    from pytest_gates.sources.load import load_sources

    try:
        sources = load_sources(rootdir, config)
    except SourceError as exc:
        first = exc.problems[0] if exc.problems else str(exc)
        option = "" if config == DEFAULT_CONFIG else f" --config {config}"
        problem = f"manifest: cannot re-project {display} from its sources: {first}"
        return [problem], f"pytest-gates generate{option}"
    command = generate_command(sources)
    expected = yaml.load(render(sources), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    problems: list[str] = []
    recorded = data["generated"].get("sources") or {}
    current = sources.digests()
    stale = sorted(n for n in {*recorded, *current} if recorded.get(n) != current.get(n))
    how = " by hand" if not stale else ""
    if stale:
        problems.append(
            f"manifest: sources changed since {display} was generated: {', '.join(stale)}"
        )
    config_display = sources.config.display
    for key in _PROJECTED_KEYS:
        if data.get(key) != expected.get(key):
            problems.append(
                f"manifest: '{key}' changed{how}: it is generated from {config_display}"
            )
    problems += _gate_edits(data.get("gates"), expected["gates"], gate_origins(sources), how)
    return problems, command


def _gate_edits(
    found: Any, expected: list[dict[str, Any]], origins: Mapping[str, str], how: str
) -> list[str]:
    have = {
        str(gate.get("id")): gate
        for gate in (found if isinstance(found, list) else [])
        if isinstance(gate, dict)
    }
    want = {str(gate["id"]): gate for gate in expected}
    problems = []
    for gate_id in [*want, *(g for g in have if g not in want)]:
        origin = origins.get(gate_id, "the sources")
        if gate_id not in have:
            problems.append(
                f"manifest: gate '{gate_id}' removed{how}: it is generated from {origin}"
            )
        elif gate_id not in want:
            problems.append(
                f"manifest: gate '{gate_id}' added{how}: no source generates it (a gate no "
                "source describes goes in the extra-gates source)"
            )
        elif have[gate_id] != want[gate_id]:
            keys = sorted(
                k
                for k in {*have[gate_id], *want[gate_id]}
                if have[gate_id].get(k) != want[gate_id].get(k)
            )
            problems.append(
                f"manifest: gate '{gate_id}' changed{how} ({', '.join(keys)}): it is generated "
                f"from {origin}"
            )
    return problems
