"""The ``obligations`` kind: proof and evidence obligation checks (required gate family 2).

Every obligation of the named capabilities is discharged or validly waived. Recorded evidence
exists, has the digest the registry records, and is not older than what it covers: the covered
paths' current digest (``pytest_gates.support.digest``) equals the one recorded with the evidence.
Evidence that is a command is run, and must exit 0.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass, field

from pydantic import Field, JsonValue

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.coverage import clean_environ
from pytest_gates.checks.process import output_tail, run_process
from pytest_gates.checks.schema import json_pointer
from pytest_gates.model.document import line_of
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.sources.load import LoadedSource, load_for_check
from pytest_gates.sources.models import Evidence, Obligation, ObligationRegistry, SourceId
from pytest_gates.support.digest import file_digest, tree_digest
from pytest_gates.support.paths import RelPath, plural
from pytest_gates.support.subject import now


class ObligationsParams(CheckParams):
    """Parameters of ``obligations``."""

    #: The proof-obligation registry, relative to the rootdir.
    registry: RelPath
    #: The capabilities whose obligations are checked (a generated manifest: one per check).
    capabilities: list[SourceId] = Field(default_factory=list)


@dataclass
class _Obligations:
    """Findings of one run, and what they are about."""

    source: LoadedSource[ObligationRegistry]
    ctx: CheckContext
    findings: list[Finding] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def add(self, index: int, where: tuple[str, ...], rule: str, message: str, hint: str) -> None:
        path: list[int | str] = ["obligations", index, *where]
        self.findings.append(
            Finding(
                rule=rule,
                location=Location(
                    path=self.source.display,
                    line=line_of(self.source.document.root, path),
                    pointer=json_pointer(path),
                ),
                message=message,
                fix_hint=hint,
            )
        )

    def check(self, index: int, obligation: Obligation) -> None:
        name = f"obligation '{obligation.id}' of capability '{obligation.capability}'"
        if obligation.status == "open":
            self.add(
                index,
                ("status",),
                "obligation.open",
                f"{name} is open ({obligation.kind}); expected discharged or waived",
                "discharge it with evidence, or waive it with a reason and an approver",
            )
        elif obligation.status == "waived":
            waiver = obligation.waiver
            assert waiver is not None  # the model refuses a waived obligation without one
            if waiver.expires is not None and waiver.expires < now().date():
                self.add(
                    index,
                    ("waiver", "expires"),
                    "obligation.waiver_expired",
                    f"{name}: the waiver by {waiver.approver} expired on {waiver.expires}",
                    "discharge the obligation, or have the waiver renewed",
                )
        else:
            assert obligation.evidence is not None  # the model refuses discharged without it
            if obligation.evidence.recorded:
                self.recorded(index, name, obligation, obligation.evidence)
            else:
                self.command(index, name, obligation.evidence)

    def recorded(self, index: int, name: str, obligation: Obligation, evidence: Evidence) -> None:
        assert evidence.path is not None
        remake = (
            f"make it again ({shlex.join(evidence.command)})"
            if evidence.command
            else "make it again"
        )
        path = self.ctx.resolve(evidence.path)
        if not path.is_file():
            self.add(
                index,
                ("evidence", "path"),
                "obligation.evidence_missing",
                f"{name}: evidence file '{evidence.path}' does not exist",
                f"{remake}, and record its sha256",
            )
            return
        digest = file_digest(path)
        if digest != evidence.sha256:
            self.add(
                index,
                ("evidence", "sha256"),
                "obligation.evidence_changed",
                f"{name}: evidence file '{evidence.path}' has {digest}, the registry records "
                f"{evidence.sha256}",
                "review the evidence, then record its sha256 in the registry",
            )
        if not obligation.covers:
            return
        covered = tree_digest(self.ctx.rootdir, obligation.covers)
        if covered.missing:
            self.add(
                index,
                ("covers",),
                "obligation.covers_missing",
                f"{name}: covered paths match no file: {', '.join(covered.missing)}",
                "correct covers, or make the evidence again for what exists now",
            )
        elif covered.digest != evidence.covers_sha256:
            self.add(
                index,
                ("evidence", "covers_sha256"),
                "obligation.evidence_stale",
                f"{name}: the covered paths changed since the evidence was made: recorded "
                f"{evidence.covers_sha256}, now {covered.digest}",
                f"{remake}, then record its sha256 and covers_sha256 "
                f"(pytest-gates digest {' '.join(obligation.covers)})",
            )

    def command(self, index: int, name: str, evidence: Evidence) -> None:
        assert evidence.command is not None
        display = shlex.join(evidence.command)
        limit = (
            evidence.timeout
            if self.ctx.timeout is None
            else min(evidence.timeout, self.ctx.timeout)
        )
        try:
            done = run_process(
                evidence.command,
                cwd=self.ctx.rootdir,
                env=clean_environ(self.ctx.environ),
                timeout=limit,
                merge_stderr=True,
            )
        except subprocess.TimeoutExpired:
            self.add(
                index,
                ("evidence", "command"),
                "obligation.evidence_failed",
                f"{name}: evidence command timed out after {limit:g} s: {display}",
                "make the command faster, or raise evidence.timeout",
            )
            return
        except OSError as exc:
            self.add(
                index,
                ("evidence", "command"),
                "obligation.evidence_failed",
                f"{name}: evidence command could not start ({exc.strerror}): {display}",
                "install the tool, or correct the command",
            )
            return
        if done.returncode != 0:
            self.outputs.append(f"$ {display}\n{output_tail(done.stdout, lines=20)}")
            self.add(
                index,
                ("evidence", "command"),
                "obligation.evidence_failed",
                f"{name}: evidence command exited with {done.returncode}: {display}",
                "run the command and fix what it reports",
            )
        elif evidence.path is not None and not self.ctx.resolve(evidence.path).is_file():
            self.add(
                index,
                ("evidence", "path"),
                "obligation.evidence_missing",
                f"{name}: evidence command passed but did not write '{evidence.path}'",
                "make the command write the evidence file, or drop path",
            )


@check_kind("obligations", params=ObligationsParams, idempotent=False)
def obligations(params: ObligationsParams, ctx: CheckContext) -> CheckResult:
    """Obligations are discharged with current evidence, or validly waived."""
    source = load_for_check(ctx.rootdir, params.registry, ObligationRegistry)
    run = _Obligations(source, ctx)
    checked = 0
    undischarged: set[str] = set()
    for index, obligation in enumerate(source.model.obligations):
        if obligation.capability not in params.capabilities:
            continue
        checked += 1
        before = len(run.findings)
        run.check(index, obligation)
        if len(run.findings) > before:
            undischarged.add(obligation.id)
    who = ", ".join(params.capabilities) or "no capability"
    summary = f"{len(undischarged)} of {plural(checked, 'obligation')} of {who} undischarged"
    if not undischarged:
        summary = f"{plural(checked, 'obligation')} of {who} discharged or validly waived"
    return CheckResult(
        passed=not run.findings,
        summary=summary,
        findings=sorted_findings(run.findings),
        details={
            "capabilities": list(params.capabilities),
            "obligations": checked,
            "undischarged": list[JsonValue](sorted(undischarged)),
            "closure": {"undischarged_obligations": len(undischarged)},
        },
        output="\n".join(run.outputs),
    )
