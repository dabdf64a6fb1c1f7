"""The ``pytest-gates`` commands a projected CI file runs, and the output folder they share."""

from __future__ import annotations

from typing import Final

from pytest_gates.model.names import DEFAULT_OUT

#: Where the gates write their outputs in CI (and where verify and merge look for them).
OUTPUT_DIR: Final = DEFAULT_OUT
#: The decision's unsigned in-toto Statement in the outputs (what keyless signing attests).
STATEMENT_PATH: Final = f"{OUTPUT_DIR}/decision.statement.json"


def verify_command(trust: str | None = None) -> str:
    """Re-checks the outputs of a run: evidence digests, log chain and verdicts; with a trust
    file, also the signature and that its signer may sign a release."""
    return f"pytest-gates verify {OUTPUT_DIR}" + (f" --trust {trust}" if trust else "")


def merge_command(
    shards: str, sign_key_env: str | None = None, durations: str | None = None
) -> str:
    """Merges the outputs of every shard, found in the folders ``shards``, into one report;
    signed with the key in the environment variable ``sign_key_env`` when given; the whole
    run's durations appended to the file ``durations`` when given."""
    sign = f" --sign-key-env {sign_key_env}" if sign_key_env else ""
    store = f" --store-durations {durations}" if durations else ""
    return f"pytest-gates merge {shards} --out {OUTPUT_DIR}{sign}{store}"
