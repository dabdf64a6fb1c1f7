"""The statements a run writes beside its report, and the signed decision.

After the report, a run writes (only when it knows its commit, the subject of every statement):

* ``decision.statement.json``: the unsigned in-toto Statement of the decision (predicate
  ``https://pytest-gates.dev/decision/v1``), byte for byte the payload a signature covers; CI
  attests it keyless with ``actions/attest``;
* ``attestations/<gate>.test-result.json``: each gate that ran as a ``test-result/v0.1``
  Statement, or as a DSSE envelope over it when a key is given;
* ``report.intoto.json``: with a key, the DSSE envelope over the decision Statement; then a
  ``sign`` line (key id, statement digest) closes the run's lines of the log.

The facts signed are read from the report as written (:func:`decision_facts`), the same way
``verify`` reads them back, so what is signed is what verify recomputes. None of them is a wall
clock: with ``SOURCE_DATE_EPOCH`` set, the same inputs give the same payload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import JsonValue

from pytest_gates.errors import EvidenceError
from pytest_gates.model.load import LoadedManifest
from pytest_gates.outputs.documents import (
    NO_DIGEST,
    EvidenceDocument,
    LoggedSignature,
    ReportDocument,
    Transition,
    to_json,
)
from pytest_gates.outputs.layout import (
    ATTESTATIONS_DIR,
    LOG_FILE,
    SIGNED_REPORT_FILE,
    STATEMENT_FILE,
    result_statement_path,
)
from pytest_gates.outputs.translog import TransitionLog
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import json_digest, sha256_bytes
from pytest_gates.trust import (
    DECISION_PREDICATE_TYPE,
    DecisionFacts,
    GateResultFacts,
    decision_statement,
    gate_result_statement,
)

if TYPE_CHECKING:  # keys and DSSE (cryptography) load only for a run that signs
    from pytest_gates.trust import PrivateKey

#: Item outcomes as a test result counts them.
RESULT_BUCKET: Final = {
    "passed": "passed",
    "degraded": "warned",
    "failed": "failed",
    "error": "failed",
    "blocked": "failed",
}
NO_COMMIT: Final = (
    "a signed decision names the commit it is about, and this run has none "
    "(not a git work tree, or no commit yet)"
)


@dataclass(frozen=True)
class Attestation:
    """What a run attested: the decision statement's digest and, when signed, the signer."""

    statement_sha256: str
    keyid: str | None
    #: The files written, relative to the output folder.
    files: tuple[str, ...]


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def decision_facts(report: Mapping[str, Any]) -> DecisionFacts | None:
    """The facts a signed decision states, read from ``report.json``'s data as stored.

    None when the report names no commit (nothing can be signed about it). The log head is the
    one the report cites (``run.transitions.head``); the report digest is its body's.
    """
    body = _section(report, "body")
    commit = _section(body, "subject").get("commit")
    if not isinstance(commit, str):
        return None
    manifest = _section(body, "manifest")
    head = _section(_section(report, "run"), "transitions").get("head")
    return DecisionFacts.model_validate(
        {
            "commit": commit,
            "manifest_digest": manifest.get("digest"),
            "manifest_path": manifest.get("path"),
            "decision": body.get("decision"),
            "gates": [
                {
                    "id": gate.get("id"),
                    "verdict": gate.get("verdict"),
                    "evidence": _section(gate, "evidence").get("body_sha256"),
                }
                for gate in body.get("gates", [])
                if isinstance(gate, dict)
            ],
            "log_head": head if isinstance(head, str) and head != NO_DIGEST else None,
            "report_digest": json_digest(body),
        }
    )


def _gate_results(
    loaded: LoadedManifest, facts: DecisionFacts, evidence: Mapping[str, EvidenceDocument]
) -> dict[str, GateResultFacts]:
    results = {}
    for gate in loaded.gates_in_order():
        document = evidence[gate.id]
        if document.body.verdict == "NOT_RUN":
            continue
        buckets: dict[str, list[str]] = {"passed": [], "warned": [], "failed": []}
        for item in document.body.items:
            bucket = RESULT_BUCKET.get(item.outcome)
            if bucket is not None:
                buckets[bucket].append(item.check or item.nodeid)
        results[gate.id] = GateResultFacts(
            gate_id=gate.id,
            verdict=document.body.verdict,
            definition_digest=json_digest(gate.model_dump(mode="json", by_alias=True)),
            passed=tuple(buckets["passed"]),
            warned=tuple(buckets["warned"]),
            failed=tuple(buckets["failed"]),
            commit=facts.commit,
            manifest_digest=facts.manifest_digest,
            manifest_path=facts.manifest_path,
        )
    return results


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def attest(
    outdir: Path,
    loaded: LoadedManifest,
    report: ReportDocument,
    evidence: Mapping[str, EvidenceDocument],
    key: PrivateKey | None,
    time: str,
) -> Attestation | None:
    """Write the statements (and, with ``key``, the signed decision and its log line).

    Files a run of the same folder wrote before and this run does not write are removed, so a
    stale signature never sits beside a new report. Without a commit nothing is written, and a
    ``key`` is refused with :class:`EvidenceError` (callers refuse it before the run).
    """
    data = to_json(report)
    facts = decision_facts(data)
    stale = [outdir / STATEMENT_FILE, outdir / SIGNED_REPORT_FILE]
    stale += sorted((outdir / ATTESTATIONS_DIR).glob("*.json"))
    written: list[str] = []
    if facts is None:
        for path in stale:
            _remove(path)
        if key is not None:
            raise EvidenceError(f"cannot sign: {NO_COMMIT}")
        return None
    if key is not None:
        from pytest_gates.trust import sign_statement
    statement = decision_statement(facts)
    payload = statement.canonical_bytes()
    atomic_write(outdir / STATEMENT_FILE, payload)
    written.append(STATEMENT_FILE)
    for gate_id, result in _gate_results(loaded, facts, evidence).items():
        gate_statement = gate_result_statement(result)
        content = (
            gate_statement.canonical_bytes() if key is None else sign_statement(gate_statement, key)
        )
        atomic_write(outdir / result_statement_path(gate_id), content)
        written.append(result_statement_path(gate_id))
    digest = sha256_bytes(payload)
    if key is not None:
        atomic_write(outdir / SIGNED_REPORT_FILE, sign_statement(statement, key))
        written.append(SIGNED_REPORT_FILE)
        line = sign_line(facts, key.keyid, digest, time)
        TransitionLog(outdir / LOG_FILE).append([line], same_run=True)
    for path in stale:
        if path.relative_to(outdir).as_posix() not in written:
            _remove(path)
    return Attestation(digest, key.keyid if key else None, tuple(written))


def sign_line(facts: DecisionFacts, keyid: str, digest: str, time: str) -> Transition:
    """The ``sign`` line of the log: who signed the decision statement with which digest."""
    signature: JsonValue = LoggedSignature(
        keyid=keyid, statement_sha256=digest, predicate_type=DECISION_PREDICATE_TYPE
    ).model_dump()
    return Transition.model_validate(
        {
            "time": time,
            "event": "sign",
            "signature": signature,
            "manifest_digest": facts.manifest_digest,
            "commit": facts.commit,
        }
    )
