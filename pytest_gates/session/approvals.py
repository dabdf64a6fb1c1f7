"""Approvals in a gate session: where the approval check runs, and how a bypass is carried.

The approvals folder (``--gates-approvals`` / ``gates_approvals``, default ``approvals/``) and the
trust file (``manifests/trust.yaml``) are read once per process when the session is configured,
against the run's subject: the commit (``HEAD``), the manifest's digest, the run's time (the clock
or ``SOURCE_DATE_EPOCH``) and the commit's author as the trust file maps its email.

* On every process, an item of a gate with a valid ``emergency`` approval is skipped (its gate's
  items do not run), and so blocks nothing.
* On the controller, after the records are complete and before they are folded, each gate that
  requires approval (``approval: {required: true}``) or reviews another (``reviews: X``) gets one
  more record, ``<manifest>::<gate>::@approval`` (passed, or failed with one finding per problem),
  and each gate named by an ``override`` or ``emergency`` approval gets ``...::@bypass``: passed
  with the approval's facts under ``details["bypass"]`` when one is valid (the chain then folds
  the gate to BYPASSED), else skipped with the problems as minor findings.

The check is a record, not an item: it is decided on the controller alone, so ``-n N`` and shards
see the same thing, and a merge or ``verify`` refolds it from the evidence like any record. The
record goes to the shard that runs the gate's first item, so a merge takes it from one shard.
"""

from __future__ import annotations

import subprocess
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from pydantic import JsonValue

from pytest_gates.chain import BYPASS_DETAIL, Decision, records_by_gate
from pytest_gates.model.findings import Finding, sorted_findings
from pytest_gates.model.guard import GUARD_GATE
from pytest_gates.model.manifest import Gate, Manifest
from pytest_gates.model.records import ItemRecord, report_payload
from pytest_gates.outputs.bypass import APPROVAL_DETAIL
from pytest_gates.session.configure import configured_path
from pytest_gates.session.context import GatesContext, display
from pytest_gates.session.livechain import LiveChain
from pytest_gates.support.subject import now
from pytest_gates.trust.approval import DEFAULT_APPROVALS_DIR, ApprovalFile, load_approvals
from pytest_gates.trust.approval_check import (
    ApprovalFact,
    Checked,
    RunSubject,
    check_bypass,
    check_requirement,
    requirements,
)
from pytest_gates.trust.errors import TrustFileError

if TYPE_CHECKING:  # the trust file (its keys, cryptography) loads when approvals concern a session
    from pytest_gates.trust.trustfile import Trust

#: The check names of the records this module adds (not valid check ids: they cannot clash).
APPROVAL_CHECK: Final = "@approval"
BYPASS_CHECK: Final = "@bypass"
#: The name this module's plugin is registered under.
PLUGIN_NAME: Final = "gates-approvals"


def head_and_author(root: Path) -> tuple[str | None, str | None]:
    """HEAD's commit id and git author email (``git log -1 --format=%H%n%ae``), if git knows."""
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%H%n%ae", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    lines = done.stdout.splitlines() if done.returncode == 0 else []
    commit = lines[0].strip() if lines else None
    email = lines[1].strip() if len(lines) > 1 else None
    return commit or None, email or None


def _trust(root: Path) -> Trust:
    # The trust file (its keys, cryptography) loads only for a session that approvals concern.
    from pytest_gates.trust.trustfile import DEFAULT_TRUST_PATH, Trust, load_trust

    path = root / DEFAULT_TRUST_PATH
    if not path.is_file():
        return Trust(f"{DEFAULT_TRUST_PATH} (no such file)", ())
    try:
        return load_trust(path, root, DEFAULT_TRUST_PATH)
    except TrustFileError as exc:
        raise pytest.UsageError(f"approvals: {exc}") from None


def _concerned(manifest: Manifest) -> bool:
    return any(g.reviews is not None or g.approval is not None for g in manifest.gates)


@dataclass
class SessionApprovals:
    """The approvals of one session, checked: what each gate's records say, which gates skip."""

    folder: str
    subject: RunSubject
    files: list[ApprovalFile]
    #: The valid emergency approval of each gate that is skipped.
    emergencies: dict[str, ApprovalFact] = field(default_factory=dict)
    #: The gates whose required approval is not valid, with why: their items do not run (a
    #: deploy waits for its approval) and the gates that need them are blocked.
    unapproved: dict[str, str] = field(default_factory=dict)
    #: The gates with a valid override: their failure blocks no dependent.
    overridden: set[str] = field(default_factory=set)
    #: Each gate's approval and bypass records, checked once (signatures, trust, subject) when
    #: the session starts; :meth:`records` adds copies to every fold.
    checked: dict[str, list[ItemRecord]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: pytest.Config, context: GatesContext) -> SessionApprovals:
        """Read the folder and the trust file (only when some gate or file needs them)."""
        root = context.rootdir
        folder = configured_path(config, "gates_approvals", DEFAULT_APPROVALS_DIR)
        shown = display(folder, root)
        files = load_approvals(folder, shown)
        if not files and not _concerned(context.loaded.manifest):
            nothing = RunSubject(None, context.loaded.digest, now())
            return cls(shown, nothing, files)
        trust = _trust(root)
        commit, email = head_and_author(root)
        author = trust.identity_for_email(email) if email is not None else None
        subject = RunSubject(commit, context.loaded.digest, now(), author.id if author else None)
        approvals = cls(shown, subject, files)
        approvals.check(context.loaded.manifest, trust)
        return approvals

    def check(self, manifest: Manifest, trust: Trust) -> None:
        """Check every gate's approvals and bypass approvals, once for the session."""
        for gate in manifest.gates:
            self._check(manifest, gate, trust)

    def _check(self, manifest: Manifest, gate: Gate, trust: Trust) -> None:
        found = self.checked[gate.id] = []
        approval = self._approval(manifest, gate, trust)
        if approval is not None:
            found.append(approval)
            if approval.outcome == "failed":
                self.unapproved[gate.id] = approval.message
        if gate.id == GUARD_GATE:
            return  # the runner's guard of the manifest is never bypassed
        checked = check_bypass(manifest, gate, self.files, trust, self.subject)
        if checked.valid and checked.valid[0].kind == "emergency":
            self.emergencies[gate.id] = checked.valid[0]
        elif checked.valid:
            self.overridden.add(gate.id)
        if checked.valid or checked.findings:
            found.append(_bypass_record(gate, checked))

    def records(
        self, manifest: Manifest, prefix: str, records: Sequence[ItemRecord]
    ) -> list[ItemRecord]:
        """``records`` and, per gate, its approval record and its bypass record (see above)."""
        added: list[ItemRecord] = []
        by_gate = records_by_gate([gate.id for gate in manifest.gates], records)
        for gate in manifest.gates:
            own = sorted(by_gate[gate.id], key=lambda r: r.nodeid)
            ran = any(r.outcome != "not_run" for r in own)
            shard = next((r.shard for r in own if r.shard is not None), None)
            for made in self.checked.get(gate.id, []):
                record = made.model_copy(deep=True)
                record.nodeid = f"{prefix}{gate.id}::{record.check}"
                record.shard = shard
                if not ran:
                    record.outcome, record.findings = "not_run", []
                    record.message = "not checked: the gate's items did not run in this session"
                added.append(record)
        return [*records, *added]

    def _approval(self, manifest: Manifest, gate: Gate, trust: Trust) -> ItemRecord | None:
        needed = requirements(manifest, gate, self.subject)
        if not needed:
            return None
        requirement = needed[0]
        checked = check_requirement(requirement, self.files, trust, self.subject, self.folder)
        signers = sorted({fact.identity for fact in checked.valid})
        details: dict[str, JsonValue] = {
            "approvals": [fact.as_dict() for fact in checked.valid],
            "signers": list[JsonValue](signers),
        }
        if gate.reviews is not None:
            details["executor"] = manifest.gate(gate.reviews).executor
            details["reviewer"] = list[JsonValue](signers)
        record = ItemRecord(nodeid="", gate=gate.id, check=APPROVAL_CHECK, kind="approval")
        record.details = {APPROVAL_DETAIL: details}
        if len(signers) >= requirement.threshold:
            record.outcome = "passed"
            record.message = f"{requirement.kind} by {', '.join(signers)}"
        else:
            record.outcome = "failed"
            record.findings = sorted_findings(checked.findings)
            record.message = record.findings[0].message if record.findings else "not approved"
        return record


def _bypass_record(gate: Gate, checked: Checked) -> ItemRecord:
    """A gate's bypass record: passed with the valid approval's facts, else skipped with the
    problems of the ones that are not valid."""
    record = ItemRecord(nodeid="", gate=gate.id, check=BYPASS_CHECK, kind="approval")
    if checked.valid:
        fact = checked.valid[0]
        record.outcome = "passed"
        record.message = fact.describe()
        record.details = {BYPASS_DETAIL: fact.as_dict()}
    else:
        record.outcome = "skipped"
        record.findings = sorted_findings([_minor(f) for f in checked.findings])
        record.message = f"no valid bypass approval: {record.findings[0].message}"
    return record


def _minor(finding: Finding) -> Finding:
    # A stale override in the folder is worth reporting, never a reason to fail a gate.
    return finding.model_copy(update={"severity": "minor"})


def bypass_refusal(manifest: Manifest, decision: Decision) -> str | None:
    """Why a GO_WITH_BYPASS decision exits non-zero (the policy does not allow bypass), or None."""
    if decision != "GO_WITH_BYPASS" or manifest.policy.allow_bypass:
        return None
    return (
        "GO_WITH_BYPASS is not a release: the manifest's policy does not allow bypass "
        "(set policy: {allow_bypass: true} to accept approved bypasses)"
    )


class ApprovalPlugin:
    """Registered on every process of a gate session: the session's approvals, which the
    controller's fold adds to its records. :meth:`of` gives an :class:`ApprovalGuard` instead when
    an approval changes how items run."""

    def __init__(self, approvals: SessionApprovals) -> None:
        self.approvals = approvals

    @staticmethod
    def of(approvals: SessionApprovals) -> ApprovalPlugin:
        """The plugin for ``approvals``: without an emergency, an override or a missing approval
        no hook of this plugin has anything to do on each item, so none is registered."""
        if approvals.unapproved or approvals.overridden or approvals.emergencies:
            return ApprovalGuard(approvals)
        return ApprovalPlugin(approvals)


class ApprovalGuard(ApprovalPlugin):
    """Registered after the runtime plugin (so its setup hook runs first): skips the items of
    emergency gates and of gates without their required approval, and keeps an overridden
    gate's failure from blocking the gates that need it."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        approvals = self.approvals
        from pytest_gates.session.runtime import GATE_KEY

        gate_id = item.stash.get(GATE_KEY, None)
        if gate_id is None:
            return
        runtime = item.config.pluginmanager.get_plugin("gates-runtime")
        live: LiveChain | None = getattr(runtime, "live", None)
        if live is not None:
            # An unapproved gate fails before its items run: what needs it is blocked.
            live.failed.update(set(approvals.unapproved) - approvals.overridden)
            # BYPASSED stops no dependent (chain.STOPS_DEPENDENTS): nor may its failure here.
            live.failed -= approvals.overridden
        fact = approvals.emergencies.get(gate_id)
        if fact is not None:
            item.add_marker(pytest.mark.skip(reason=f"bypassed by {fact.describe()}"))
        elif gate_id in approvals.unapproved:
            reason = (
                f"not run: gate {gate_id} has no valid approval: {approvals.unapproved[gate_id]}"
            )
            item.add_marker(pytest.mark.skip(reason=reason))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """A failure in an overridden gate is reported like a degraded one (as an expected
        failure), so ``-x`` and the exit status leave it to the decision."""
        report = yield
        overridden = self.approvals.overridden
        if not overridden:
            return report  # the common case: no payload to decode on every phase of every item
        payload = report_payload(report)
        if payload is not None and payload.outcome == "failed" and payload.gate in overridden:
            report.outcome = "skipped"
            report.wasxfail = f"bypassed: gate {payload.gate} has an override approval"
        return report


def approval_records(
    config: pytest.Config, context: GatesContext, records: Sequence[ItemRecord]
) -> list[ItemRecord]:
    """``records`` with the session's approval and bypass records (the controller's fold)."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(plugin, ApprovalPlugin):
        return list(records)
    return plugin.approvals.records(context.loaded.manifest, context.check_prefix, records)
