"""The runner's own gate ``manifest.guard``, added to a loaded manifest (no edit of it can drop it).

The check kind that re-projects a generated manifest lives in
:mod:`pytest_gates.checks.manifest_guard`; this module only knows the shape of the gate, so that
both the runner and ``merge`` (which reloads the manifest from its file) add the same gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Gate

#: The id of the gate the runner adds to a generated manifest.
GUARD_GATE: Final = "manifest.guard"
#: The kind of the guard gate's one check.
GUARD_KIND: Final = "manifest_guard"
#: The id of the guard gate's one check.
GUARD_CHECK: Final = "generated"


def with_guard(
    loaded: LoadedManifest, display: str, command: str, problems: Sequence[str]
) -> LoadedManifest:
    """``loaded`` with the guard gate added last (replacing any gate of that id).

    ``display`` names the manifest, ``command`` regenerates it, ``problems`` are what re-projecting
    it found (the check fails with one finding each).
    """
    guard = Gate.model_validate(
        {
            "id": GUARD_GATE,
            "class": "freshness",
            "blocking": True,
            "on_failure": "block",
            "description": "the generated manifest is what its sources generate (the runner's "
            "own gate: no edit of the manifest removes it)",
            "checks": [
                {
                    "id": GUARD_CHECK,
                    "kind": GUARD_KIND,
                    "manifest": display,
                    "command": command,
                    "problems": list(problems),
                }
            ],
        }
    )
    gates = [gate for gate in loaded.manifest.gates if gate.id != GUARD_GATE]
    manifest = loaded.manifest.model_copy(update={"gates": [*gates, guard]})
    order = (*(g for g in loaded.order if g != GUARD_GATE), GUARD_GATE)
    return replace(loaded, manifest=manifest, order=order)
