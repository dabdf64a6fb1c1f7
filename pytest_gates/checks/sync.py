"""The ``sync`` kind: the CI workflow and tox gate environments are the manifest's projection.

The same comparison as ``pytest-gates sync --check``: one finding per drift, the diff as output.
"""

from __future__ import annotations

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.errors import CheckError, ManifestError
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.model.names import DEFAULT_MANIFEST
from pytest_gates.projection.sync import plan_sync
from pytest_gates.support.paths import RelPath, plural


class SyncParams(CheckParams):
    """Parameters of ``sync``."""

    #: The manifest whose projections are checked.
    manifest: RelPath = DEFAULT_MANIFEST
    #: The shard count, when the files were written with ``pytest-gates sync --shards N``.
    shards: int | None = Field(default=None, ge=1, le=256)


@check_kind("sync", params=SyncParams, idempotent=True)
def sync(params: SyncParams, ctx: CheckContext) -> CheckResult:
    """The CI workflow and tox gate environments are what ``pytest-gates sync`` writes."""
    try:
        plan = plan_sync(ctx.rootdir, ctx.rootdir / params.manifest, params.shards)
    except ManifestError as exc:
        raise CheckError(f"cannot project {params.manifest}: {exc.problems[0]}") from None
    hint = f"run `{plan.source.command}`, or allow the edit in the manifest's projection policy"
    findings = [
        Finding(
            rule=drift.rule,
            location=Location(path=drift.path, line=drift.line),
            message=drift.message,
            fix_hint=hint,
        )
        for drift in plan.drifts
    ]
    drifted = [projected.display for projected in plan.files if projected.drifts]
    names = [projected.display for projected in plan.files]
    if findings:
        summary = f"{plural(len(findings), 'drift')} in {', '.join(drifted)}"
    else:
        summary = f"in sync with {plan.source.manifest}: {', '.join(names)}"
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "manifest": plan.source.manifest,
            "manifest_digest": plan.source.digest,
            "shards": plan.source.shards,
            "files": {p.display: len(p.drifts) for p in plan.files},
        },
        output="".join(projected.diff() for projected in plan.files if projected.drifts),
    )
