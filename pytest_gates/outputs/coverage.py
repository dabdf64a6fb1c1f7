"""Every file of an output folder is accounted for: a digest of the report covers it, or it is
a statement of the run that ``verify`` checks another way.

* ``report.json``, ``transitions.jsonl`` and each gate's evidence are checked by
  :mod:`pytest_gates.outputs.verify` (file and body digests, the log's chain);
* each rendered file (``report.md``, ``report.html``, ...) has its sha256 in the report's
  ``run`` section (:data:`~pytest_gates.outputs.layout.RENDERED_KEY`), written after them;
* ``decision.statement.json`` must be, byte for byte, the statement of the report's facts;
* ``report.intoto.json`` is the envelope a signature covers (``verify --trust``/``--key``);
* ``attestations/<gate>.test-result.json`` may exist for each gate of the report that ran.

Anything else (an extra evidence file, a stray file) was not written by this run and is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from pytest_gates.outputs.attest import decision_facts
from pytest_gates.outputs.documents import ReportDocument
from pytest_gates.outputs.layout import (
    LOG_FILE,
    RENDERED_KEY,
    REPORT_FILE,
    SIGNED_REPORT_FILE,
    STATEMENT_FILE,
    evidence_path,
    result_statement_path,
)
from pytest_gates.support.digest import file_digest
from pytest_gates.trust import decision_statement


def output_files(outdir: Path) -> Iterator[str]:
    """Every entry of ``outdir`` that is not a folder (symlinks included, never followed), as a
    POSIX path relative to it, in sorted order."""
    found: list[str] = []
    for folder, dirnames, filenames in os.walk(outdir, followlinks=False):
        base = Path(folder)
        links = [name for name in dirnames if (base / name).is_symlink()]
        for name in [*filenames, *links]:
            found.append((base / name).relative_to(outdir).as_posix())
    yield from sorted(found)


def rendered_digests(run: Mapping[str, JsonValue]) -> dict[str, str]:
    """The rendered files the report's ``run`` section records, and their sha256."""
    section = run.get(RENDERED_KEY)
    if not isinstance(section, dict):
        return {}
    return {name: digest for name, digest in section.items() if isinstance(digest, str)}


def verify_coverage(outdir: Path, report: ReportDocument, data: Mapping[str, Any]) -> list[str]:
    """Problems of files of ``outdir`` that no digest of the report covers; ``data`` is the
    report's JSON data as stored."""
    problems: list[str] = []
    checked = {REPORT_FILE, LOG_FILE} | {evidence_path(gate.id) for gate in report.body.gates}
    rendered = rendered_digests(report.run)
    facts = decision_facts(data)
    attested = {
        result_statement_path(gate.id) for gate in report.body.gates if gate.verdict != "NOT_RUN"
    }
    present = set()
    for name in output_files(outdir):
        present.add(name)
        path = outdir / name
        if name in checked:
            continue  # the evidence and log checks read these
        if name in rendered:
            actual = file_digest(path) if path.is_file() and not path.is_symlink() else None
            if actual != rendered[name]:
                problems.append(
                    f"{path}: sha256 {actual} does not match the report's {rendered[name]}"
                )
        elif facts is not None and name == STATEMENT_FILE:
            if path.read_bytes() != decision_statement(facts).canonical_bytes():
                problems.append(f"{path}: is not the decision statement of {REPORT_FILE}")
        elif facts is not None and (name == SIGNED_REPORT_FILE or name in attested):
            continue  # the envelope is checked by its signature; a gate's statement by name
        else:
            problems.append(
                f"{path}: not written by this run (no digest in {REPORT_FILE} covers it)"
            )
    for name, digest in rendered.items():
        if name not in present:
            problems.append(f"{outdir / name}: missing, the report recorded sha256 {digest}")
    return problems
