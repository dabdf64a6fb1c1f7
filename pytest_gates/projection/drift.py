"""Drift: one way a file on disk differs from the manifest's projection, said in gate terms.

Every target reports its drifts as :class:`Drift`; the header check is shared, because every
generated file (or region) opens with the same header naming the manifest's digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_gates.projection.source import ProjectionSource, header_digest, short_digest


@dataclass(frozen=True)
class Drift:
    """One way a file on disk differs from the manifest's projection."""

    #: The file, relative to the project root.
    path: str
    #: 1-based line in the file on disk, when the drift has a place.
    line: int | None
    #: ``sync.<what>``: the finding's rule.
    rule: str
    message: str

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


def header_drift(
    display: str, lines: Sequence[str], first: int, source: ProjectionSource, what: str
) -> list[Drift]:
    """The header at line ``first`` names the current manifest digest."""
    found = header_digest(lines[first:])
    if found is None:
        return [
            Drift(
                display,
                first + 1,
                "sync.header-missing",
                f"the header that names the manifest digest is missing: this {what} was not "
                f"written by `pytest-gates sync` from {source.manifest}",
            )
        ]
    digest, index = found
    if digest == source.digest:
        return []
    return [
        Drift(
            display,
            first + index + 1,
            "sync.header-stale",
            f"the header's manifest digest is stale: written from {short_digest(digest)}, "
            f"{source.manifest} is now {short_digest(source.digest)} (the manifest changed "
            f"without `{source.command}`)",
        )
    ]


def missing_environments(display: str, command: str) -> Drift:
    """The drift of a tox file that does not exist: no gate environment is defined."""
    return Drift(
        display,
        None,
        "sync.missing",
        f"the file does not exist, so the gate environments are not defined; run `{command}`",
    )
