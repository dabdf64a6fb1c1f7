"""Drift: one way a file on disk differs from the manifest's projection, said in gate terms.

Every target reports its drifts as :class:`Drift`; the header check is shared, because every
generated file (or region) opens with the same header naming the manifest's digest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pytest_gates.projection.source import ProjectionSource, header_digest, short_digest

V = TypeVar("V")


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


def environment_drift(
    display: str,
    line: int,
    env: str,
    want: Mapping[str, V],
    have: Mapping[str, V],
    command: Callable[[V | None], str],
    value: Callable[[V | None], str],
) -> list[Drift]:
    """Each key of a tox environment that differs from what sync writes, in the generated order
    then the added keys sorted; ``command`` and ``value`` show a ``commands`` value and any other
    as the file's format writes them (tox.ini lines, TOML values)."""
    drifts = []
    for key in [*want, *sorted(k for k in have if k not in want)]:
        expected, found = want.get(key), have.get(key)
        if expected == found:
            continue
        if key == "commands" and found is not None:
            rule = "sync.command-edited"
            message = (
                f"tox environment '{env}': the gate command was edited: expected "
                f"`{command(expected)}`, found `{command(found)}`"
            )
        elif found is None:
            rule = "sync.removed"
            message = f"tox environment '{env}': '{key}' removed (expected `{value(expected)}`)"
        elif expected is None:
            rule, message = "sync.added", f"tox environment '{env}': '{key}' added by hand"
        else:
            rule = "sync.changed"
            message = (
                f"tox environment '{env}': '{key}' changed: expected `{value(expected)}`, found "
                f"`{value(found)}`"
            )
        drifts.append(Drift(display, line, rule, message))
    return drifts
