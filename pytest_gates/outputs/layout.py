"""Where each file of the output folder lives, relative to the folder."""

from __future__ import annotations

from typing import Final

#: The go/no-go report's JSON document.
REPORT_FILE: Final = "report.json"
#: The append-only, hash-chained transition log.
LOG_FILE: Final = "transitions.jsonl"
#: The folder of the evidence files, one per gate.
EVIDENCE_DIR: Final = "evidence"
#: The DSSE envelope over the signed decision statement (written when a key is given).
SIGNED_REPORT_FILE: Final = "report.intoto.json"
#: The unsigned in-toto Statement of the decision: the signed payload, byte for byte.
STATEMENT_FILE: Final = "decision.statement.json"
#: The key of the report's ``run`` section that maps each rendered file to its sha256.
RENDERED_KEY: Final = "rendered"
#: The folder of each gate's ``test-result/v0.1`` statement.
ATTESTATIONS_DIR: Final = "attestations"


def evidence_path(gate_id: str) -> str:
    """The evidence file of a gate, relative to the output folder (POSIX, as the report records it).

    Gate ids match ``[a-z0-9][a-z0-9._-]*``, so this never leaves the evidence folder.
    """
    return f"{EVIDENCE_DIR}/{gate_id}.json"


def result_statement_path(gate_id: str) -> str:
    """A gate's ``test-result/v0.1`` statement (or envelope), relative to the output folder."""
    return f"{ATTESTATIONS_DIR}/{gate_id}.test-result.json"
