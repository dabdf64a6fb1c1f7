"""The gate environments in tox.ini: a region between two marker comments that sync owns.

The region holds a ``gates`` environment (every gate, then ``pytest-gates verify``) and one
environment per gate class in the manifest (``pytest --gates -m <class>``). Only the first is
labelled ``gates``, so ``tox -m gates`` runs each gate once; the class environments are labelled
``gates-class`` (``tox -m gates-class`` runs them, ``tox -e gates-<class>`` one of them). The rest of tox.ini is the project's and is kept byte for byte, so
the file is handled as lines rather than through configparser, which would drop the comments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from pytest_gates.projection.commands import OUTPUT_DIR, verify_command
from pytest_gates.projection.drift import Drift, header_drift
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.target import SyncError

BEGIN: Final = "# >>> pytest-gates sync: generated region"
END: Final = "# <<< pytest-gates sync: end of the generated region"
LABEL: Final = "gates"
#: The label of the per-class environments: a partial run each, so not part of ``tox -m gates``.
CLASS_LABEL: Final = "gates-class"
#: Written when sync creates tox.ini: ``labels`` (``tox -m``) needs tox 4.
NEW_FILE_HEAD: Final = "[tox]\nmin_version = 4.0\n\n"

_SECTION: Final = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY: Final = re.compile(r"^([A-Za-z_][\w.-]*)\s*=\s?(.*)$")


def environments(source: ProjectionSource) -> dict[str, dict[str, list[str]]]:
    """Section name -> key -> value lines, in the order they are written."""
    tox = source.policy.tox
    extras = {"extras": [", ".join(tox.extras)]} if tox is not None and tox.extras else {}
    option = source.manifest_option
    sections = {
        f"testenv:{LABEL}": {
            "description": [
                f"every gate in {source.manifest} (pytest --gates), then verify the outputs"
            ],
            "labels": [LABEL],
            **extras,
            "commands": [f"pytest --gates{option} {{posargs}}", verify_command()],
        }
    }
    for name, gate_ids in source.classes().items():
        sections[f"testenv:{LABEL}-{name}"] = {
            "description": [f"the {name} gates: {', '.join(gate_ids)}"],
            "labels": [CLASS_LABEL],
            **extras,
            # Its own output folder: a partial run must not overwrite the full run's report.
            "commands": [
                f"pytest --gates{option} -m {name} --gates-out {{env_tmp_dir}}{{/}}{OUTPUT_DIR} "
                "{posargs}"
            ],
        }
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


@dataclass(frozen=True)
class Region:
    """Where the generated region is: the lines of its two markers (``end`` None: no end marker)."""

    begin: int
    end: int | None


def find_region(lines: Sequence[str]) -> Region | None:
    begin = next((i for i, line in enumerate(lines) if line.strip() == BEGIN), None)
    if begin is None:
        return None
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].strip() == END), None)
    return Region(begin, end)


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
        return [
            Drift(
                display,
                None,
                "sync.missing",
                f"the file does not exist, so the gate environments are not defined; run "
                f"`{source.command}`",
            )
        ]
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
        what = "has no end marker" if region else "is missing"
        names = ", ".join(name.partition(":")[2] for name in expected)
        drifts.append(
            Drift(
                display,
                region.begin + 1 if region else None,
                "sync.tox-region",
                f"the generated region of gate environments ({names}) {what}; run "
                f"`{source.command}`",
            )
        )
        return drifts
    drifts += header_drift(display, lines, region.begin + 1, source, "region")
    found = {s.name: s for s in parse_sections(lines, region.begin + 1, region.end)}
    for name, values in expected.items():
        env = name.partition(":")[2]
        section = found.get(name)
        if section is None:
            drifts.append(
                Drift(display, region.begin + 1, "sync.tox-env-removed", _env_loss(env, source))
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


def _env_loss(env: str, source: ProjectionSource) -> str:
    if env == LABEL:
        return (
            f"required tox environment '{env}' removed: it runs every gate and verifies the outputs"
        )
    name = env.removeprefix(f"{LABEL}-")
    gate_ids = ", ".join(source.classes().get(name, []))
    return f"required tox environment '{env}' removed: it runs the {name} gates ({gate_ids})"


def _env_drift(
    display: str, env: str, expected: dict[str, list[str]], section: Section
) -> list[Drift]:
    drifts: list[Drift] = []
    keys = [*expected, *sorted(k for k in section.values if k not in expected)]
    for key in keys:
        want, have = expected.get(key), section.values.get(key)
        if want == have:
            continue
        if key == "commands" and have is not None:
            rule = "sync.command-edited"
            message = (
                f"tox environment '{env}': the gate command was edited: expected "
                f"`{'; '.join(want or [])}`, found `{'; '.join(have)}`"
            )
        elif have is None:
            rule = "sync.removed"
            message = (
                f"tox environment '{env}': '{key}' removed (expected `{' '.join(want or [])}`)"
            )
        elif want is None:
            rule, message = "sync.added", f"tox environment '{env}': '{key}' added by hand"
        else:
            rule = "sync.changed"
            message = (
                f"tox environment '{env}': '{key}' changed: expected `{' '.join(want)}`, found "
                f"`{' '.join(have)}`"
            )
        drifts.append(Drift(display, section.start + 1, rule, message))
    return drifts


class ToxEnvironments:
    """The gate environments in a region of ``projection.tox.path``; no file when ``tox`` is null.

    The projection is the region alone; the rest of the file is the project's, kept as written.
    """

    def paths(self, source: ProjectionSource) -> tuple[str, ...]:
        tox = source.policy.tox
        return (tox.path,) if tox is not None else ()

    def render(self, source: ProjectionSource, path: str, current: str | None) -> str:
        return "".join(line + "\n" for line in render_region(source))

    def drift(
        self, source: ProjectionSource, path: str, current: str | None, rendered: str
    ) -> list[Drift]:
        return tox_drift(path, current, source)

    def keep(self, source: ProjectionSource, path: str, current: str | None, rendered: str) -> str:
        return splice_tox(current, rendered, source)


#: The tox target of :data:`pytest_gates.projection.targets.TARGETS`.
TOX: Final = ToxEnvironments()
