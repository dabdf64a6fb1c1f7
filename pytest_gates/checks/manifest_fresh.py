"""The ``manifest_fresh`` kind: a generated manifest's sources are as they were when it was made.

``pytest-gates generate`` records each source's path and sha256 under ``generated.sources``; this
check hashes them again. A changed or missing source fails it, named in the finding, so a run on
a manifest that no longer reflects its sources cannot say GO.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import JsonValue

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.support.digest import file_digest
from pytest_gates.support.paths import RelPath, plural


class ManifestFreshParams(CheckParams):
    """Parameters of ``manifest_fresh``."""

    #: The generated manifest, relative to the rootdir.
    manifest: RelPath = DEFAULT_MANIFEST


def _recorded_sources(params: ManifestFreshParams, ctx: CheckContext) -> tuple[Any, Any]:
    path = ctx.resolve(params.manifest)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"manifest not found: '{params.manifest}'") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CheckError(f"cannot read the manifest '{params.manifest}': {exc}") from None
    generated = data.get("generated") if isinstance(data, dict) else None
    if not isinstance(generated, dict):
        return None, None
    return generated.get("sources"), generated.get("command")


@check_kind("manifest_fresh", params=ManifestFreshParams, idempotent=True)
def manifest_fresh(params: ManifestFreshParams, ctx: CheckContext) -> CheckResult:
    """The sources a generated manifest records have not changed since it was generated."""
    sources, command = _recorded_sources(params, ctx)
    command = command if isinstance(command, str) else "pytest-gates generate"
    hint = f"regenerate the manifest with: {command} (and commit {params.manifest})"
    if not isinstance(sources, dict) or not sources:
        finding = Finding(
            rule="manifest.not_generated",
            location=Location(path=params.manifest),
            message="the manifest records no sources (generated.sources): it was not generated",
            fix_hint=f"generate it from the project's sources: {command}",
        )
        return CheckResult(passed=False, summary=finding.message, findings=[finding])
    findings = []
    for name in sorted(sources):
        recorded = sources[name]
        path = ctx.resolve(str(name))
        if not path.is_file():
            findings.append(
                Finding(
                    rule="manifest.source_missing",
                    location=Location(path=str(name)),
                    message=f"source '{name}' is gone since the manifest was generated",
                    fix_hint=hint,
                )
            )
            continue
        current = file_digest(path)
        if current != recorded:
            findings.append(
                Finding(
                    rule="manifest.source_changed",
                    location=Location(path=str(name)),
                    message=f"source '{name}' changed since the manifest was generated: "
                    f"recorded {recorded}, now {current}",
                    fix_hint=hint,
                )
            )
    changed = [f.location.path or "" for f in findings]
    if changed:
        summary = (
            f"{plural(len(changed), 'source')} of {len(sources)} changed since {params.manifest} "
            f"was generated: {', '.join(changed)}; regenerate with: {command}"
        )
    else:
        summary = (
            f"{plural(len(sources), 'source')} unchanged since {params.manifest} was generated"
        )
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={"sources": len(sources), "changed": list[JsonValue](changed)},
    )
