"""What a CI target is: the protocol every module of :mod:`pytest_gates.projection.targets` meets.

A target owns some files (or a region of them). For each, it renders the projection of the
manifest, says how the file on disk drifted from it, and puts the hand edits it keeps back into
it. :mod:`pytest_gates.projection.sync` drives every target through this protocol alone, so a new
CI system is one new module of ``targets/`` and one line in its table.
"""

from __future__ import annotations

from typing import Protocol, final

from pytest_gates.errors import GatesError
from pytest_gates.projection.drift import Drift
from pytest_gates.projection.source import ProjectionSource


@final
class SyncError(GatesError):
    """Sync cannot write a file as the policy asks: a hand edit does not fit, or the file on disk
    has no place for the projection. Sync then writes nothing to that file."""

    def __init__(self, problem: str, *, rule: str | None = None, shown: str | None = None) -> None:
        super().__init__(problem)
        #: The drift rule the refusal is reported under; ``None`` when the target's drift check
        #: already reports its cause.
        self.rule = rule
        #: What ``sync --check`` shows in place of the file sync would write; ``None``: the
        #: projection alone.
        self.shown = shown


class Target(Protocol):
    """One CI system's files, projected from the manifest.

    Every method is a pure function of its arguments: two equal sources and files on disk give
    byte-identical results.
    """

    def paths(self, source: ProjectionSource) -> tuple[str, ...]:
        """The files this target writes, relative to the project root with forward slashes;
        none when the policy turns the target off."""
        ...

    def render(self, source: ProjectionSource, path: str, current: str | None) -> str:
        """The projection of ``source`` for ``path``, whose text on disk is ``current``
        (``None``: no such file); it takes from ``current`` only what the projection itself
        keeps (the content of manual regions)."""
        ...

    def drift(
        self, source: ProjectionSource, path: str, current: str | None, rendered: str
    ) -> list[Drift]:
        """Every way ``current`` differs from the projection ``rendered`` that the policy does
        not allow, in file order."""
        ...

    def keep(self, source: ProjectionSource, path: str, current: str | None, rendered: str) -> str:
        """What sync writes to ``path``: ``rendered`` with the hand edits of ``current`` that
        this target keeps. Raises :class:`SyncError` when one of them cannot be kept."""
        ...
