"""The gate environments of tox: a region between two marker comments that sync owns.

The environments themselves are :mod:`~pytest_gates.projection.targets.toxenvs`. This target
writes them into the file the project keeps its tox configuration in
(:attr:`~pytest_gates.projection.source.ProjectionSource.tox_path`): ``tox.ini`` here, and
``tox.toml`` or ``[tool.tox]`` in ``pyproject.toml`` through
:mod:`~pytest_gates.projection.targets.toxtoml`. The rest of tox.ini is the project's and is
kept byte for byte, so the file is handled as lines rather than through configparser, which would
drop the comments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from pytest_gates.projection.drift import (
    Drift,
    environment_drift,
    header_drift,
    missing_environments,
)
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.target import SyncError
from pytest_gates.projection.targets import toxtoml
from pytest_gates.projection.targets.toxenvs import (
    BEGIN,
    CLASS_LABEL,
    END,
    LABEL,
    Region,
    env_loss,
    find_region,
    gate_envs,
    region_drift,
)

__all__ = ["CLASS_LABEL", "LABEL", "TOX", "environments"]
#: Written when sync creates tox.ini: ``labels`` (``tox -m``) needs tox 4.
NEW_FILE_HEAD: Final = "[tox]\nmin_version = 4.0\n\n"

_SECTION: Final = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY: Final = re.compile(r"^([A-Za-z_][\w.-]*)\s*=\s?(.*)$")


def environments(source: ProjectionSource) -> dict[str, dict[str, list[str]]]:
    """Section name -> key -> value lines, in the order they are written."""
    sections: dict[str, dict[str, list[str]]] = {}
    for env in gate_envs(source):
        values: dict[str, list[str]] = {"description": [env.description], "labels": [env.label]}
        if env.extras:
            values["extras"] = [", ".join(env.extras)]
        if env.groups:
            values["dependency_groups"] = [", ".join(env.groups)]
        if env.deps:
            values["deps"] = list(env.deps)
        if env.base_python:
            values["base_python"] = [env.base_python]
        values["commands"] = [" ".join(command) for command in env.commands]
        sections[f"testenv:{env.name}"] = values
    return sections


def render_region(source: ProjectionSource) -> list[str]:
    """The region's lines (without newlines), markers included."""
    lines = [BEGIN, *(f"# {line}" for line in source.header("region"))]
    for index, (section, values) in enumerate(environments(source).items()):
        if index:
            lines.append("")
        lines.append(f"[{section}]")
        for key, value in values.items():
            if len(value) == 1:
                lines.append(f"{key} = {value[0]}")
            else:
                lines += [f"{key} =", *(f"    {line}" for line in value)]
    lines.append(END)
    return lines


@dataclass
class Section:
    """One ``[section]`` of an ini file: where it is and its values (comments left out)."""

    name: str
    #: 0-based line of the header.
    start: int
    #: 0-based line after its last value line (trailing comments and blank lines left out).
    end: int
    values: dict[str, list[str]] = field(default_factory=dict)


def parse_sections(lines: Sequence[str], start: int = 0, stop: int | None = None) -> list[Section]:
    """The sections between ``start`` and ``stop``; a region marker ends the value being read."""
    stop = len(lines) if stop is None else stop
    sections: list[Section] = []
    key: str | None = None
    for index in range(start, stop):
        line = lines[index].rstrip("\r\n")
        stripped = line.strip()
        header = _SECTION.match(line)
        if header:
            sections.append(Section(header.group(1).strip(), index, index + 1))
            key = None
        elif stripped in (BEGIN, END):
            key = None
        elif not stripped or stripped.startswith(("#", ";")) or not sections:
            continue
        elif line[0] in " \t" and key is not None:
            sections[-1].values[key].append(stripped)
            sections[-1].end = index + 1
        elif match := _KEY.match(line):
            key = match.group(1)
            first = match.group(2).strip()
            sections[-1].values[key] = [first] if first else []
            sections[-1].end = index + 1
    return sections


def _hand_sections(lines: Sequence[str], region: Region | None, owned: set[str]) -> list[Section]:
    """Sections outside the region that have the name of a generated environment."""
    # Without an end marker, everything after the begin marker is taken as the region.
    last = len(lines) if region is None or region.end is None else region.end
    inside = range(region.begin, last + 1) if region else range(0)
    return [s for s in parse_sections(lines) if s.name in owned and s.start not in inside]


def splice_tox(current: str | None, region_text: str, source: ProjectionSource) -> str:
    """``current`` with the generated region ``region_text`` written (or replaced); the rest kept
    as it is.

    With no region yet, a hand-written section of a generated environment is replaced by the
    region (sync takes it over); with none either, the region goes at the end.
    """
    region_lines = region_text.splitlines(keepends=True)
    if current is None:
        return NEW_FILE_HEAD + "".join(region_lines)
    lines = current.splitlines(keepends=True)
    region = find_region(lines)
    if region is not None and region.end is None:
        raise SyncError(
            f"line {region.begin + 1}: the generated region has no end marker "
            f"('{END}'); restore it or delete the region by hand, then run sync",
            shown=current,
        )
    hand = _hand_sections(lines, region, set(environments(source)))
    edits: list[tuple[int, int, list[str]]] = [(s.start, s.end, []) for s in hand]
    if region is not None and region.end is not None:
        edits.append((region.begin, region.end + 1, region_lines))
    elif hand:
        edits[0] = (hand[0].start, hand[0].end, region_lines)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        gap = ["\n"] if lines and lines[-1].strip() else []
        edits.append((len(lines), len(lines), gap + region_lines))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = replacement
    return "".join(lines)


def tox_drift(display: str, current: str | None, source: ProjectionSource) -> list[Drift]:
    """Every drift of the gate environments in ``current`` from what sync writes."""
    expected = environments(source)
    if current is None:
        return [missing_environments(display, source.command)]
    lines = current.splitlines()
    region = find_region(lines)
    drifts = [
        Drift(
            display,
            section.start + 1,
            "sync.tox-hand-env",
            f"[{section.name}] is written by hand outside the generated region: sync owns "
            f"this gate environment (tox refuses a section written twice; run "
            f"`{source.command}` to take it over)",
        )
        for section in _hand_sections(lines, region, set(expected))
    ]
    if region is None or region.end is None:
        return [
            *drifts,
            region_drift(display, region, [n.partition(":")[2] for n in expected], source.command),
        ]
    drifts += header_drift(display, lines, region.begin + 1, source, "region")
    found = {s.name: s for s in parse_sections(lines, region.begin + 1, region.end)}
    for name, values in expected.items():
        env = name.partition(":")[2]
        section = found.get(name)
        if section is None:
            drifts.append(
                Drift(display, region.begin + 1, "sync.tox-env-removed", env_loss(env, source))
            )
            continue
        drifts += _env_drift(display, env, values, section)
    for name, section in found.items():
        if name not in expected:
            drifts.append(
                Drift(
                    display,
                    section.start + 1,
                    "sync.tox-env-added",
                    f"[{name}] added inside the generated region: no gate explains it (write "
                    f"your own environments outside the region)",
                )
            )
    return sorted(drifts, key=lambda d: d.line or 0)


def _env_drift(
    display: str, env: str, expected: dict[str, list[str]], section: Section
) -> list[Drift]:
    return environment_drift(
        display,
        section.start + 1,
        env,
        expected,
        section.values,
        lambda lines: "; ".join(lines or []),
        lambda words: " ".join(words or []),
    )


class ToxEnvironments:
    """The gate environments in a region of ``projection.tox.path``; no file when ``tox`` is null.

    The projection is the region alone; the rest of the file is the project's, kept as written.
    """

    def paths(self, source: ProjectionSource) -> tuple[str, ...]:
        path = source.tox_path
        return (path,) if path is not None else ()

    def render(self, source: ProjectionSource, path: str, current: str | None) -> str:
        if toxtoml.is_toml(path):
            return "".join(line + "\n" for line in toxtoml.render_region(source, path))
        return "".join(line + "\n" for line in render_region(source))

    def drift(
        self, source: ProjectionSource, path: str, current: str | None, rendered: str
    ) -> list[Drift]:
        if toxtoml.is_toml(path):
            return toxtoml.toml_drift(path, current, source)
        return tox_drift(path, current, source)

    def keep(self, source: ProjectionSource, path: str, current: str | None, rendered: str) -> str:
        if toxtoml.is_toml(path):
            return toxtoml.splice(path, current, rendered, source)
        return splice_tox(current, rendered, source)


#: The tox target of :data:`pytest_gates.projection.targets.TARGETS`.
TOX: Final = ToxEnvironments()
