"""What a run writes and reads back: documents as models, evidence, the transition log, reports,
verify, merge. :func:`write_outputs` is the public way to write a run's outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_gates.outputs.write import write_outputs

__all__ = ["write_outputs"]


def __getattr__(name: str) -> Any:
    # The writers (and the signing they import) load when a run ends, not when a session that
    # reads one document starts (``--collect-only`` writes nothing).
    if name == "write_outputs":
        from pytest_gates.outputs.write import write_outputs

        return write_outputs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
