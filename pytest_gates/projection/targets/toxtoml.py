"""The gate environments in tox's TOML configuration: ``tox.toml`` or ``[tool.tox]`` in
``pyproject.toml`` (tox >= 4.21), where a project that keeps its tox configuration there has it.

As in ``tox.ini``, sync owns a region between two marker comments and nothing else: the region
holds one table per gate environment (``[tool.tox.env.gates]``, ...), the rest of the file is the
project's and kept byte for byte (so no TOML library rewrites it). The file must still be valid
TOML once the region is written; sync refuses to write it otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, Final

from pytest_gates.projection.drift import (
    Drift,
    environment_drift,
    header_drift,
    missing_environments,
)
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.target import SyncError
from pytest_gates.projection.targets.toxenvs import (
    BEGIN,
    END,
    POSARGS,
    GateEnv,
    Region,
    env_loss,
    find_region,
    gate_envs,
    region_drift,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Written when sync creates tox.toml: TOML configuration needs tox 4.21, dependency groups 4.22.
NEW_FILE_HEAD: Final = 'min_version = "4.22"\n\n'
#: tox's positional arguments in a TOML command.
POSARGS_TABLE: Final = {"replace": "posargs", "extend": True}


def is_toml(path: str) -> bool:
    return path.endswith(".toml")


def _root(path: str) -> tuple[str, ...]:
    """The keys of tox's configuration inside the file."""
    return ("tool", "tox") if PurePosixPath(path).name == "pyproject.toml" else ()


def env_table(env: GateEnv) -> dict[str, Any]:
    """The environment's table as ``tomllib`` reads it back."""
    table: dict[str, Any] = {"description": env.description, "labels": [env.label]}
    if env.extras:
        table["extras"] = list(env.extras)
    if env.groups:
        table["dependency_groups"] = list(env.groups)
    if env.deps:
        table["deps"] = list(env.deps)
    if env.base_python:
        table["base_python"] = [env.base_python]
    table["commands"] = [
        [POSARGS_TABLE if arg == POSARGS else arg for arg in command] for command in env.commands
    ]
    return table


def expected_tables(source: ProjectionSource) -> dict[str, dict[str, Any]]:
    return {env.name: env_table(env) for env in gate_envs(source)}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return "[" + ", ".join(_value(item) for item in value) + "]"


def _header(path: str, name: str) -> str:
    return "[" + ".".join((*_root(path), "env", name)) + "]"


def render_region(source: ProjectionSource, path: str) -> list[str]:
    """The region's lines (without newlines), markers included."""
    lines = [BEGIN, *(f"# {line}" for line in source.header("region"))]
    for index, (name, table) in enumerate(expected_tables(source).items()):
        if index:
            lines.append("")
        lines.append(_header(path, name))
        lines += [f"{key} = {_value(value)}" for key, value in table.items()]
    lines.append(END)
    return lines


def _envs(data: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = data
    for key in (*_root(path), "env"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _hand_tables(
    lines: Sequence[str], region: Region | None, path: str, names: Sequence[str]
) -> list[tuple[int, int]]:
    """``(first line, line after the last)`` of each table of a generated environment written
    outside the region."""
    headers = {_header(path, name) for name in names}
    last = len(lines) if region is None or region.end is None else region.end
    inside = range(region.begin, last + 1) if region else range(0)
    spans = []
    for index, line in enumerate(lines):
        if line.strip() in headers and index not in inside:
            end = index + 1
            while (
                end < len(lines)
                and not lines[end].lstrip().startswith("[")
                and (lines[end].strip() not in (BEGIN, END))
            ):
                end += 1
            while end > index + 1 and not lines[end - 1].strip():
                end -= 1
            spans.append((index, end))
    return spans


def _parse(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, str(exc)


def toml_drift(display: str, current: str | None, source: ProjectionSource) -> list[Drift]:
    """Every drift of the gate environments in ``current`` from what sync writes."""
    expected = expected_tables(source)
    if current is None:
        return [missing_environments(display, source.command)]
    lines = current.splitlines()
    _, error = _parse(current)
    if error is not None:
        return [
            Drift(
                display, None, "sync.tox-toml", f"not valid TOML ({error}); fix it, then run sync"
            )
        ]
    region = find_region(lines)
    drifts = [
        Drift(
            display,
            start + 1,
            "sync.tox-hand-env",
            f"{lines[start].strip()} is written by hand outside the generated region: sync owns "
            f"this gate environment (run `{source.command}` to take it over)",
        )
        for start, _ in _hand_tables(lines, region, display, list(expected))
    ]
    if region is None or region.end is None:
        return [*drifts, region_drift(display, region, list(expected), source.command)]
    drifts += header_drift(display, lines, region.begin + 1, source, "region")
    inside, _ = _parse("\n".join(lines[region.begin : region.end + 1]))
    found = _envs(inside or {}, display)
    line = region.begin + 1
    for name, table in expected.items():
        have = found.get(name)
        if not isinstance(have, dict):
            drifts.append(Drift(display, line, "sync.tox-env-removed", env_loss(name, source)))
        else:
            drifts += environment_drift(display, line, name, table, have, _value, _value)
    drifts += [
        Drift(
            display,
            line,
            "sync.tox-env-added",
            f"[{name}] added inside the generated region: no gate explains it (write your own "
            "environments outside the region)",
        )
        for name in found
        if name not in expected
    ]
    return drifts


def splice(display: str, current: str | None, region_text: str, source: ProjectionSource) -> str:
    """``current`` with the region written (or replaced), the rest kept as it is."""
    region_lines = region_text.splitlines(keepends=True)
    if current is None:
        head = "" if _root(display) else NEW_FILE_HEAD
        return head + "".join(region_lines)
    lines = current.splitlines(keepends=True)
    region = find_region(lines)
    if region is not None and region.end is None:
        raise SyncError(
            f"line {region.begin + 1}: the generated region has no end marker "
            f"('{END}'); restore it or delete the region by hand, then run sync",
            shown=current,
        )
    hand = _hand_tables(lines, region, display, list(expected_tables(source)))
    edits: list[tuple[int, int, list[str]]] = [(start, end, []) for start, end in hand]
    if region is not None and region.end is not None:
        edits.append((region.begin, region.end + 1, region_lines))
    elif hand:
        edits[0] = (hand[0][0], hand[0][1], region_lines)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        gap = ["\n"] if lines and lines[-1].strip() else []
        edits.append((len(lines), len(lines), gap + region_lines))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = replacement
    text = "".join(lines)
    _, error = _parse(text)
    if error is not None:
        raise SyncError(
            f"writing the gate environments would make the file invalid TOML ({error}): "
            "is an environment table defined inline? Fix it, then run sync",
            rule="sync.tox-toml",
            shown=current,
        )
    return text
