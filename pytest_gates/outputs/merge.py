"""Merging the outputs of ``--gates-shard K/N`` runs into one evidence set, log and report.

The merge trusts no shard: each shard's outputs are verified first (digests, log chain, verdicts),
then the shards must be exactly 1..N of one N, ran on one manifest and one subject, and agree on
which shard runs which item; every item assigned to a shard must be in that shard's evidence, and
no item may be run by two shards. Anything else is refused with a NO_GO report that says why.
The verdicts are folded again over all items, so a gate whose need failed on another shard is
BLOCKED here even though its own shard ran it. The runner's own gate ``manifest.guard`` (not in
the manifest file the merge reloads) is kept with the problems the shards found, so a hand-edited
generated manifest cannot be merged to GO.

The merged log continues the shards' logs: their common start (the log they all continued, see
``--gates-log-from``), then each shard's own lines in shard order, then the merge's own run
(:func:`~pytest_gates.outputs.translog.chain_shards`). With a key, the merged decision is signed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gates.chain import MEMORY_DETAIL, GateVerdict, decide, fold
from pytest_gates.errors import EvidenceError, ManifestError
from pytest_gates.model.guard import GUARD_GATE, with_guard
from pytest_gates.model.load import LoadedManifest, load_manifest
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.attest import NO_COMMIT
from pytest_gates.outputs.coverdata import merge_coverage
from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument, dump, to_json
from pytest_gates.outputs.layout import LOG_FILE, REPORT_FILE, evidence_path
from pytest_gates.outputs.memory import memory_records, read_log
from pytest_gates.outputs.render.markdown import FILENAME as MARKDOWN_FILE
from pytest_gates.outputs.render.markdown import refusal_markdown
from pytest_gates.outputs.report import refusal_report
from pytest_gates.outputs.translog import chain_shards, verify_log
from pytest_gates.outputs.verify import read_report, verify_outputs
from pytest_gates.outputs.write import RunOutputs, write_outputs
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.subject import Subject, isoformat, now
from pytest_gates.support.version import __version__
from pytest_gates.trust import PrivateKey

GENERATOR = f"pytest-gates {__version__}"


@dataclass(frozen=True)
class ShardRef:
    """Which shard of how many a run was (``--gates-shard index/total``)."""

    index: int
    total: int


@dataclass(frozen=True)
class ShardOutput:
    """One shard's verified outputs: its report and each gate's evidence."""

    folder: Path
    report: ReportDocument
    evidence: dict[str, EvidenceDocument]

    @property
    def shard(self) -> ShardRef | None:
        shard = self.report.body.selection.get("shard")
        if not isinstance(shard, dict):
            return None
        index, total = shard.get("index"), shard.get("total")
        if not isinstance(index, int) or not isinstance(total, int):
            return None
        return ShardRef(index, total)


class MergeRefused(Exception):
    """The shards do not make one whole run; ``problems`` says why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def load_shard(folder: Path) -> ShardOutput:
    """A shard's outputs, verified first; :class:`MergeRefused` when they do not verify."""
    problems = verify_outputs(folder)
    if problems:
        raise MergeRefused([f"{folder}: {problem}" for problem in problems])
    try:
        report = read_report(folder)
        evidence = {
            gate.id: EvidenceDocument.model_validate_json(
                (folder / evidence_path(gate.id)).read_bytes()
            )
            for gate in report.body.gates
        }
    except (OSError, ValueError, EvidenceError) as exc:  # changed since it was verified
        raise MergeRefused([f"{folder}: {exc}"]) from None
    return ShardOutput(folder, report, evidence)


def check_shards(shards: Sequence[ShardOutput]) -> list[str]:
    """Every reason the shards do not make one whole run."""
    refs: list[tuple[ShardOutput, ShardRef]] = []
    problems = []
    for shard in shards:
        ref = shard.shard
        if ref is None:
            problems.append(f"{shard.folder}: not a shard run (it was run without --gates-shard)")
        else:
            refs.append((shard, ref))
    if problems:
        return problems
    totals = sorted({ref.total for _, ref in refs})
    if len(totals) > 1:
        return [f"the shards disagree on N: {', '.join(map(str, totals))}"]
    total = totals[0]
    by_index: dict[int, list[str]] = defaultdict(list)
    for shard, ref in refs:
        by_index[ref.index].append(str(shard.folder))
    for index in range(1, total + 1):
        folders = by_index.get(index, [])
        if not folders:
            problems.append(f"shard {index}/{total} is missing")
        elif len(folders) > 1:
            problems.append(
                f"shard {index}/{total} is given {len(folders)} times: {', '.join(folders)}"
            )
    for what in ("manifest", "subject"):
        seen = {json.dumps(to_json(getattr(s.report.body, what)), sort_keys=True) for s in shards}
        if len(seen) > 1:
            problems.append(f"the shards ran different {what}s: {' vs '.join(sorted(seen))}")
    return problems


def merged_records(shards: Sequence[ShardOutput]) -> tuple[list[ItemRecord], list[str]]:
    """One record per item, from the shard that ran it; problems where that is not exactly one."""
    assigned: dict[str, set[int | None]] = defaultdict(set)
    runs: dict[str, list[tuple[int, ItemRecord]]] = defaultdict(list)
    unassigned: dict[str, ItemRecord] = {}
    for shard in shards:
        ref = shard.shard
        if ref is None:
            continue  # check_shards refused it already
        for document in shard.evidence.values():
            timing = document.timing.items
            for item in document.body.items:
                record = ItemRecord.model_validate(item.model_dump())
                if record.nodeid in timing:
                    record.duration = timing[record.nodeid].duration
                assigned[record.nodeid].add(record.shard)
                if record.shard == ref.index:
                    runs[record.nodeid].append((ref.index, record))
                elif record.shard is None:
                    unassigned[record.nodeid] = record
    problems = []
    records = []
    for nodeid in sorted(assigned):
        owners = sorted(s for s in assigned[nodeid] if s is not None)
        if len(owners) > 1:
            problems.append(f"the shards disagree on where {nodeid} runs: shards {owners}")
            continue
        ran = runs.get(nodeid, [])
        if len(ran) > 1:
            problems.append(f"{nodeid} was run by two shards: {[i for i, _ in ran]}")
        elif ran:
            records.append(ran[0][1])
        elif owners:
            problems.append(f"{nodeid} was run by no shard (assigned to shard {owners[0]})")
        else:
            records.append(unassigned[nodeid])  # deselected everywhere (-m, -k): NOT_RUN
    return records, problems


#: Folds the READY gates the shards left to the merge over the merged evidence written to the
#: output folder (``pytest-gates merge`` passes
#: :func:`pytest_gates.session.ready.fold_merged_ready`, which this layer cannot import).
ReadyFolder = Callable[
    [LoadedManifest, Path, str, Subject, Sequence[ItemRecord], Mapping[str, GateVerdict]],
    tuple[list[ItemRecord], dict[str, GateVerdict]],
]


def merge(
    folders: Sequence[Path],
    out: Path,
    sign_key: PrivateKey | None = None,
    ready: ReadyFolder | None = None,
    ran: Callable[[Sequence[ItemRecord]], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Merge the shard folders into ``out``; exit code 0 only for a GO decision (or
    GO_WITH_BYPASS when the manifest's policy allows bypass). Without ``ready``, a READY gate
    the shards left to the merge stays NOT_RUN (so the decision is not GO). Once the merged
    outputs are written, ``ran`` gets each item's record as the shard that ran it wrote it (its
    outcome and duration there: the run's durations to record); a refused merge calls nothing.

    With ``sign_key`` the merged decision is signed (``report.intoto.json``); shards without a
    commit cannot be signed, and the merge is refused. Returns the exit code and the report's
    JSON data as written to ``out/report.json``.
    """
    try:
        if not folders:
            raise MergeRefused(["no shard folders given"])
        shards = [load_shard(folder) for folder in folders]
        problems = check_shards(shards)
        if problems:
            raise MergeRefused(problems)
        ran_records, problems = merged_records(shards)
        if problems:
            raise MergeRefused(problems)
        records = merge_coverage(ran_records, [shard.evidence.values() for shard in shards])
        if sign_key is not None and shards[0].report.body.subject.commit is None:
            raise MergeRefused([f"cannot sign: {NO_COMMIT}"])
        outputs = _write_merged(shards, records, out, sign_key, ready)
    except MergeRefused as refused:
        return 1, to_json(refuse(out, refused.problems))
    if ran is not None:
        ran(ran_records)
    decision = outputs.document.body.decision
    allowed = {"GO", "GO_WITH_BYPASS"} if _allows_bypass(shards[0]) else {"GO"}
    return (0 if decision in allowed else 1), outputs.report


def _allows_bypass(shard: ShardOutput) -> bool:
    """The shards' manifest's ``policy.allow_bypass`` (loaded already by the merge)."""
    manifest = shard.report.body.manifest.path
    return load_manifest(Path(manifest), manifest).manifest.policy.allow_bypass


def _run_text(shard: ShardOutput, key: str) -> str:
    value = shard.report.run.get(key)
    return value if isinstance(value, str) else ""


def _chain_logs(shards: Sequence[ShardOutput], out: Path) -> None:
    """Start ``out``'s log as the shards' logs chained (kept when it continues them already)."""
    logs = [(s.shard.index, s.folder / LOG_FILE) for s in shards if s.shard is not None]
    try:
        chained = chain_shards(logs)
        path = out / LOG_FILE
        have = path.read_bytes() if path.exists() else b""
        if have:
            verify_log(path)
        if have.startswith(chained):
            return
        if not chained.startswith(have):
            raise MergeRefused(
                [
                    f"{path}: the output folder holds a log the shards do not continue; "
                    "merge into an empty folder"
                ]
            )
        atomic_write(path, chained)
    except OSError as exc:
        raise MergeRefused([f"could not write the merged outputs to {out}: {exc}"]) from None
    except EvidenceError as exc:
        raise MergeRefused([f"could not chain the shards' logs: {exc}"]) from None


def _write_merged(
    shards: Sequence[ShardOutput],
    records: list[ItemRecord],
    out: Path,
    sign_key: PrivateKey | None,
    ready: ReadyFolder | None,
) -> RunOutputs:
    body = shards[0].report.body
    manifest_path = Path(body.manifest.path)
    try:
        loaded = load_manifest(manifest_path, body.manifest.path)
    except ManifestError as exc:
        raise MergeRefused([f"cannot load the shards' manifest: {exc}"]) from None
    if loaded.digest != body.manifest.digest:
        raise MergeRefused(
            [
                f"{manifest_path} changed since the shards ran: {loaded.digest} != {body.manifest.digest}"
            ]
        )
    loaded = _guarded(loaded, shards, records)
    ordered = sorted(shards, key=lambda s: s.shard.index if s.shard else 0)
    _chain_logs(ordered, out)
    # The shards' memory records are the shards' view; the merged log's is the merge's.
    records = [r for r in records if MEMORY_DETAIL not in r.details]
    records += memory_records(loaded, read_log([out / LOG_FILE]))
    verdicts = fold(loaded.manifest, loaded.order, records)
    subject = Subject(body.subject.commit, body.subject.dirty)
    try:
        if ready is not None:
            records, verdicts = ready(loaded, out, body.manifest.path, subject, records, verdicts)
        decision, reason = decide(verdicts)
        return write_outputs(
            outdir=out,
            generator=GENERATOR,
            loaded=loaded,
            manifest_path=body.manifest.path,
            subject=subject,
            records=records,
            verdicts=verdicts,
            rollbacks={},
            decision=decision,
            reason=reason,
            selection={
                "markexpr": body.selection.get("markexpr"),
                "keyword": body.selection.get("keyword"),
                "args": None,
                "stopped": None,
                "shard": None,
                "merged_shards": len(shards),
            },
            run={
                "started": min(_run_text(s, "started") for s in shards),
                "finished": isoformat(now()),
                "shards": [
                    {
                        "index": s.shard.index if s.shard else None,
                        "folder": str(s.folder),
                        "duration": s.report.run.get("duration"),
                    }
                    for s in ordered
                ],
            },
            sign_key=sign_key,
        )
    except (OSError, EvidenceError) as exc:
        raise MergeRefused([f"could not write the merged outputs to {out}: {exc}"]) from None


def _guarded(
    loaded: LoadedManifest, shards: Sequence[ShardOutput], records: Sequence[ItemRecord]
) -> LoadedManifest:
    """``loaded`` with the runner's guard gate when the shards ran it, so that its records count.

    The runner adds ``manifest.guard`` to a generated manifest (it is not in the file ``merge``
    reloads); the merge keeps it, with the problems its shard found. Shards that disagree on it,
    or a manifest that says it was generated while no shard carries the guard, are refused.
    """
    data = loaded.document.data if isinstance(loaded.document.data, dict) else {}
    block = data.get("generated")
    generated: dict[str, Any] = block if isinstance(block, dict) else {}
    carried = {s.folder: any(g.id == GUARD_GATE for g in s.report.body.gates) for s in shards}
    if not any(carried.values()):
        if generated.get("sources"):
            raise MergeRefused(
                [
                    f"{loaded.path} says it was generated, but no shard carries the verdict of "
                    f"the runner's gate '{GUARD_GATE}'"
                ]
            )
        return loaded
    if not all(carried.values()):
        lacking = ", ".join(str(folder) for folder, has in carried.items() if not has)
        raise MergeRefused(
            [f"the shards disagree on the runner's gate '{GUARD_GATE}': {lacking} lacks it"]
        )
    problems = [
        finding.message
        for record in records
        if record.gate == GUARD_GATE
        for finding in record.findings
    ]
    command = generated.get("command")
    display = shards[0].report.body.manifest.path
    return with_guard(
        loaded, display, command if isinstance(command, str) else "pytest-gates generate", problems
    )


def refuse(out: Path, problems: Sequence[str]) -> ReportDocument:
    """Write the NO_GO report of a refused merge (no evidence, so no verdicts) and return it."""
    report = refusal_report(GENERATOR, problems, {"finished": isoformat(now())})
    try:
        atomic_write(out / REPORT_FILE, dump(report))
        atomic_write(out / MARKDOWN_FILE, refusal_markdown(problems).encode())
    except OSError:
        pass  # the refusal is printed and the exit status says it; a report is a courtesy
    return report
