"""Locating a problem inside a YAML/JSON document: the breadcrumb a person reads, and the line.

A breadcrumb names list entries by their ``id`` when they have one, so a problem in the fourth gate
reads ``gates[id='qa.lint'].retry.attempts`` rather than ``gates.3.retry.attempts``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from pydantic_core import ErrorDetails

Loc = Sequence[int | str]


def walk(data: Any, loc: Loc) -> tuple[list[int | str], Any]:
    """Follow ``loc`` into ``data`` as far as it goes; parts that are not keys are skipped.

    Pydantic puts union tags (``list[str]``, ``function-after[...]``) into error locations; they are
    not in the document, so they are dropped here.
    """
    path: list[int | str] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict | list):
            # A key that is missing (a "missing" error) still belongs to the breadcrumb.
            if isinstance(part, str) and not _is_union_tag(part):
                path.append(part)
            node = None
        # else: past a scalar, only union tags can follow
    return path, node


def _has(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_union_tag(part: str) -> bool:
    return any(ch in part for ch in "[](),") or part in {"str", "int", "float", "bool", "list"}


def breadcrumb(data: Any, path: Sequence[int | str]) -> str:
    """``gates[id='qa.lint'].retry.attempts`` for ``["gates", 3, "retry", "attempts"]``."""
    text = ""
    node = data
    for part in path:
        if isinstance(part, int):
            entry = node[part] if isinstance(node, list) and part < len(node) else None
            ident = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                text += f"[id='{ident}']"
            else:
                text += f"[{part}]"
            node = entry
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


def line_of(root: yaml.Node | None, path: Sequence[int | str]) -> int | None:
    """The 1-based line where ``path`` starts in the composed YAML document, or the nearest parent."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            nxt = node.value[part]
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def describe(value: Any) -> str:
    """A short rendering of what was found, for ``expected X, found Y``."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(
    err: ErrorDetails | dict[str, Any], data: Any, path: Sequence[int | str], found: Any
) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "missing":
        return f"missing required key '{path[-1]}'" if path else "missing required key"
    if kind == "extra_forbidden":
        return f"unexpected key '{path[-1]}'" if path else "unexpected key"
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", "")).strip("^$")
        return f"expected a value matching {pattern}, found {describe(found)}"
    if msg.startswith("Input should be "):
        return f"expected {msg[len('Input should be ') :]}, found {describe(found)}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return f"{msg[:1].lower()}{msg[1:]}, found {describe(found)}"


def format_validation_error(
    filename: str,
    data: Any,
    root: yaml.Node | None,
    errors: Sequence[ErrorDetails] | Sequence[dict[str, Any]],
    allowed_keys: dict[tuple[int | str, ...], Iterable[str]] | None = None,
) -> list[str]:
    """One line per problem: ``file:line: breadcrumb: expected ..., found ...`` (deduplicated)."""
    lines: list[str] = []
    for err in errors:
        path, found = walk(data, err["loc"])
        message = _expected(err, data, path, found)
        if err["type"] == "extra_forbidden" and allowed_keys is not None:
            message += _suggest(str(path[-1]) if path else "", allowed_keys, path)
        shown_path = path[:-1] if err["type"] in {"missing", "extra_forbidden"} else path
        line = line_of(root, path if err["type"] != "missing" else shown_path)
        where = f"{filename}:{line}" if line is not None else filename
        text = f"{where}: {breadcrumb(data, shown_path)}: {message}"
        if text not in lines:
            lines.append(text)
    return lines


def _suggest(
    key: str,
    allowed_keys: dict[tuple[int | str, ...], Iterable[str]],
    path: Sequence[int | str],
) -> str:
    shape = tuple("*" if isinstance(p, int) else p for p in path[:-1])
    allowed = sorted(allowed_keys.get(shape, ()))
    if not allowed:
        return ""
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"; expected one of: {', '.join(allowed)}{hint}"


def duplicate_keys(root: yaml.Node | None, data: Any) -> list[tuple[list[int | str], int]]:
    """Keys written twice in one mapping: YAML keeps the last silently, we refuse them."""
    found: list[tuple[list[int | str], int]] = []

    def visit(node: yaml.Node, path: list[int | str]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        found.append(([*path, key.value], key.start_mark.line + 1))
                    seen.add(key.value)
                    visit(value, [*path, key.value])
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                visit(value, [*path, index])

    if root is not None:
        visit(root, [])
    return found
