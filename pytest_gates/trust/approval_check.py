"""Checking a gate's approvals against the trust file, the run's subject and the clock.

Each problem is one :class:`~pytest_gates.model.findings.Finding` with its rule id:

=========================  ==================================================================
``approval.missing``       the gate requires an approval and the folder holds none for it
``approval.expired``       past its expiry, or an override signed before the override window
``approval.wrong_subject`` signed for another commit or another manifest (a replay)
``approval.unauthorized``  the signer's key is not in the trust file, or lacks the role
``approval.bad_signature`` not a signed approval, or the signature does not hold
``approval.threshold``     fewer distinct valid signers than the gate's threshold
``approval.self``          signed by the commit's author or the identity that produced the work
=========================  ==================================================================

A file with a bad signature says nothing trustworthy, so it gets that one finding; any other
file gets one finding for each of its problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from pytest_gates.model.findings import Finding, Location
from pytest_gates.model.manifest import Gate, Manifest
from pytest_gates.trust.approval import KIND_ROLE, ApprovalFile, format_time
from pytest_gates.trust.dsse import verify_envelope
from pytest_gates.trust.errors import Refusal, abbreviate, short_keyid

if TYPE_CHECKING:  # annotations only: the trust file (and cryptography) load when one is read
    from pytest_gates.trust.trustfile import Trust

APPROVE_HINT: Final = (
    "pytest-gates approve --gate {gate} --subject HEAD --reason TEXT --expires 30m --key KEY{flag}"
)
RESIGN_HINT: Final = "remove the file and sign a new approval with pytest-gates approve"
#: An approval's file name: ``<kind>.<gate>.<16 hex digits>.json``.
FILE_NAME: Final = re.compile(r"^(?P<kind>[a-z]+)\.(?P<gate>.+)\.[0-9a-f]{16}\.json$")


@dataclass(frozen=True)
class RunSubject:
    """What approvals are checked against: the run's commit, manifest, time and author."""

    commit: str | None
    manifest_digest: str
    #: The run's time (the clock, or ``SOURCE_DATE_EPOCH``).
    moment: datetime
    #: The identity (in the trust file) of the commit's git author, if it has one.
    author: str | None = None


@dataclass(frozen=True)
class ApprovalFact:
    """A valid approval, as evidence and the report cite it."""

    file: str
    sha256: str
    kind: str
    keyid: str
    identity: str
    reason: str
    issued: str
    expires: str
    gates: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind": self.kind,
            "keyid": self.keyid,
            "identity": self.identity,
            "reason": self.reason,
            "issued": self.issued,
            "expires": self.expires,
            "gates": list(self.gates),
        }

    def describe(self) -> str:
        """``override approval by alice (key 3f2a1b2c3d4e...): <reason>``."""
        return (
            f"{self.kind} approval by {self.identity} (key {short_keyid(self.keyid)}): "
            f"{self.reason}"
        )


@dataclass(frozen=True)
class Checked:
    """What the approvals of one requirement came to: the valid ones and the problems."""

    valid: list[ApprovalFact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Requirement:
    """What a gate asks of its approvals."""

    gate: str
    #: ``approve`` (``approval: {required: true}``) or ``review`` (``reviews: X``).
    kind: str
    roles: tuple[str, ...]
    threshold: int
    #: Identities that may not sign, and why (``the executor of gate qa``).
    writers: Mapping[str, str]

    @property
    def role_text(self) -> str:
        return " or ".join(self.roles)


def writers_of(manifest: Manifest, gate: Gate, subject: RunSubject) -> dict[str, str]:
    """The identities that produced what ``gate`` checks: the commit's author, and the executor
    of the gate it reviews (or, for a gate that reviews none, its own executor)."""
    writers: dict[str, str] = {}
    if subject.author is not None and subject.commit is not None:
        writers[subject.author] = f"the author of commit {abbreviate(subject.commit)}"
    produced = manifest.gate(gate.reviews) if gate.reviews is not None else gate
    if produced.executor is not None:
        writers.setdefault(produced.executor, f"the executor of gate {produced.id}")
    return writers


def requirements(manifest: Manifest, gate: Gate, subject: RunSubject) -> list[Requirement]:
    """The approvals ``gate`` needs to pass: a review when it reviews a gate, an approval when
    it says ``approval: {required: true}``."""
    found: list[Requirement] = []
    writers = writers_of(manifest, gate, subject)
    approval = gate.approval
    if gate.reviews is not None:
        roles = tuple(approval.roles) if approval is not None else (KIND_ROLE["review"],)
        threshold = approval.threshold if approval is not None else 1
        found.append(Requirement(gate.id, "review", roles, threshold, writers))
    elif approval is not None and approval.required:
        found.append(
            Requirement(gate.id, "approve", tuple(approval.roles), approval.threshold, writers)
        )
    return found


def _finding(rule: str, file: str | None, message: str, hint: str) -> Finding:
    return Finding(rule=rule, location=Location(path=file), message=message, fix_hint=hint)


def check_file(
    file: ApprovalFile,
    roles: Sequence[str],
    trust: Trust,
    subject: RunSubject,
    writers: Mapping[str, str],
    window: float | None = None,
) -> tuple[ApprovalFact | None, list[Finding]]:
    """One approval file against the trust file, the subject, the clock and the writers."""
    role_text = " or ".join(roles)
    name = file.name
    statement = file.statement
    if file.envelope is None or statement is None:
        message = f"{name}: {file.problem}"
        return None, [_finding("approval.bad_signature", name, message, RESIGN_HINT)]
    try:
        keyid = verify_envelope(file.envelope, trust.keys, payload_type=None, untrusted=str)
    except Refusal as refusal:
        first = file.envelope.signatures[0].keyid if file.envelope.signatures else None
        if refusal.reason != first:
            message = f"{name}: {refusal.reason.replace('the payload', 'the approval')}"
            return None, [_finding("approval.bad_signature", name, message, RESIGN_HINT)]
        # ``untrusted=str`` made the reason the key id: a key the trust file does not hold.
        message = f"{name}: {trust.distrust(refusal.reason, role_text)}"
        hint = f"sign with the key of an identity holding {role_text} in {trust.source}"
        return None, [_finding("approval.unauthorized", name, message, hint)]
    if statement.keyid != keyid:
        message = (
            f"{name}: the statement names key {short_keyid(statement.keyid)}, "
            f"the signature is by key {short_keyid(keyid)}"
        )
        return None, [_finding("approval.bad_signature", name, message, RESIGN_HINT)]
    findings: list[Finding] = []
    identity = trust.identity_of(keyid)
    if identity is None or not any(role in identity.roles for role in roles):
        message = f"{name}: {trust.distrust(keyid, role_text)}"
        hint = f"sign with the key of an identity holding {role_text} in {trust.source}"
        findings.append(_finding("approval.unauthorized", name, message, hint))
    findings += _subject_findings(file, subject)
    findings += _time_findings(file, subject, window)
    signer = identity.id if identity is not None else None
    if signer is not None and signer in writers:
        message = (
            f"{name}: signed by identity '{signer}', {writers[signer]}: "
            "nobody approves their own work"
        )
        hint = "ask an identity that neither wrote the change nor produced the work to sign"
        findings.append(_finding("approval.self", name, message, hint))
    if findings or signer is None:
        return None, findings
    fact = ApprovalFact(
        file=name,
        sha256=file.sha256,
        kind=statement.kind,
        keyid=keyid,
        identity=signer,
        reason=statement.reason,
        issued=statement.issued,
        expires=statement.expires,
        gates=tuple(statement.gates),
    )
    return fact, []


def _subject_findings(file: ApprovalFile, subject: RunSubject) -> list[Finding]:
    statement = file.statement
    assert statement is not None
    differs = []
    if statement.commit != subject.commit:
        here = abbreviate(subject.commit) if subject.commit else "no commit"
        differs.append(f"commit {abbreviate(statement.commit)}, this run is at {here}")
    if statement.manifest_digest != subject.manifest_digest:
        differs.append(
            f"manifest {abbreviate(statement.manifest_digest)}, this run uses "
            f"{abbreviate(subject.manifest_digest)}"
        )
    if not differs:
        return []
    message = f"{file.name}: signed for {'; and for '.join(differs)}"
    hint = "approve the commit and manifest under test (pytest-gates approve --subject HEAD)"
    return [_finding("approval.wrong_subject", file.name, message, hint)]


def _time_findings(file: ApprovalFile, subject: RunSubject, window: float | None) -> list[Finding]:
    statement = file.statement
    assert statement is not None
    now = format_time(subject.moment)
    if statement.expires_at <= subject.moment:
        message = f"{file.name}: expired at {statement.expires} (now {now})"
        return [_finding("approval.expired", file.name, message, RESIGN_HINT)]
    if window is not None and statement.issued_at < subject.moment - timedelta(seconds=window):
        message = (
            f"{file.name}: signed at {statement.issued}, more than the gate's override window "
            f"({_seconds(window)}) before this run ({now})"
        )
        return [_finding("approval.expired", file.name, message, RESIGN_HINT)]
    return []


def _seconds(value: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{int(value // size)}{unit}"
    return f"{value:g}s"


def check_requirement(
    requirement: Requirement,
    files: Sequence[ApprovalFile],
    trust: Trust,
    subject: RunSubject,
    folder: str,
) -> Checked:
    """The approvals of ``files`` for ``requirement``: valid ones and one finding per problem."""
    mine = [f for f in files if _concerns(f, requirement)]
    valid: list[ApprovalFact] = []
    findings: list[Finding] = []
    for file in mine:
        fact, problems = check_file(file, requirement.roles, trust, subject, requirement.writers)
        findings += problems
        if fact is not None:
            valid.append(fact)
    signers = sorted({fact.identity for fact in valid})
    flag = " --review" if requirement.kind == "review" else ""
    hint = APPROVE_HINT.format(gate=requirement.gate, flag=flag)
    plural = "s" if requirement.threshold != 1 else ""
    if not mine:
        noun = "review approval" if requirement.kind == "review" else "approval"
        message = (
            f"gate {requirement.gate} needs {requirement.threshold} {noun}{plural} signed by "
            f"{requirement.role_text}; {folder}/ has none for it"
        )
        findings.append(_finding("approval.missing", None, message, hint))
    elif signers and len(signers) < requirement.threshold:
        message = (
            f"gate {requirement.gate} needs {requirement.threshold} distinct signers holding "
            f"{requirement.role_text}, found {len(signers)}: {', '.join(signers)}"
        )
        findings.append(_finding("approval.threshold", None, message, hint))
    return Checked(valid, findings)


def _concerns(file: ApprovalFile, requirement: Requirement) -> bool:
    """A readable file of the requirement's kind naming its gate, or an unreadable one whose
    name says it was written for the gate."""
    if file.statement is None:
        return _named_for(file, requirement.gate, requirement.kind)
    return file.names(requirement.gate) and file.statement.kind == requirement.kind


def _named_for(file: ApprovalFile, gate_id: str, kind: str) -> bool:
    """Whether an unreadable file's name (``<kind>.<gate>.<hex>.json``) says it is a ``kind``
    approval of the gate (what it says inside cannot be read)."""
    match = FILE_NAME.match(file.name.rsplit("/", 1)[-1])
    return match is not None and match.group("gate") == gate_id and match.group("kind") == kind


def check_bypass(
    manifest: Manifest,
    gate: Gate,
    files: Sequence[ApprovalFile],
    trust: Trust,
    subject: RunSubject,
) -> Checked:
    """The override and emergency approvals naming ``gate``: valid ones (emergencies first),
    and one finding per problem of the others."""
    writers = writers_of(manifest, gate, subject)
    window = manifest.override_window(gate)
    valid: list[ApprovalFact] = []
    findings: list[Finding] = []
    for kind in ("emergency", "override"):
        for file in files:
            if file.statement is None and _named_for(file, gate.id, kind):
                findings += check_file(file, (KIND_ROLE[kind],), trust, subject, writers)[1]
            if not file.names(gate.id) or file.statement is None or file.statement.kind != kind:
                continue
            fact, problems = check_file(
                file,
                (KIND_ROLE[kind],),
                trust,
                subject,
                writers,
                window if kind == "override" else None,
            )
            findings += problems
            if fact is not None:
                valid.append(fact)
    return Checked(valid, findings)
