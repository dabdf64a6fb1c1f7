"""Writing a workflow as YAML text: block style, keys in the order given, comments where we want them.

PyYAML chooses each scalar's quoting; this module only lays out the blocks, because PyYAML cannot
write comments (the pins' versions, the manual regions' markers). The same tree always gives the
same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import yaml

_INFINITE: Final = float("inf")
_BEGIN: Final = re.compile(r"^\s*# >>> manual ([\w.-]+)")
_END: Final = re.compile(r"^\s*# <<< manual ([\w.-]+)\s*$")


@dataclass(frozen=True)
class Pinned:
    """A scalar with a comment after it: ``uses: actions/checkout@<sha> # v7.0.1``."""

    value: str
    comment: str


@dataclass(frozen=True)
class Flow:
    """A short list written on one line: ``branches: [main]``."""

    items: tuple[str | int, ...]


@dataclass(frozen=True)
class Manual:
    """A manual region: a pair of marker comments, and between them what the file on disk holds."""

    name: str


Scalar: TypeAlias = str | int | bool | None
Node: TypeAlias = "Scalar | Pinned | Flow | Manual | Mapping[str | Manual, Node] | Sequence[Node]"


def begin_marker(name: str) -> str:
    return f"# >>> manual {name}: kept as written by pytest-gates sync"


def end_marker(name: str) -> str:
    return f"# <<< manual {name}"


def is_marker(line: str) -> bool:
    return bool(_BEGIN.match(line) or _END.match(line))


def region_spans(lines: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(name, begin line, end line)`` of each manual region (the first pair of a name)."""
    spans: list[tuple[str, int, int]] = []
    open_at: dict[str, int] = {}
    for index, line in enumerate(lines):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin and begin.group(1) not in open_at:
            open_at[begin.group(1)] = index
        elif end and open_at.get(end.group(1), -1) >= 0:
            spans.append((end.group(1), open_at[end.group(1)], index))
            open_at[end.group(1)] = -1  # closed: a second pair of the same name is not a region
    return spans


def manual_regions(text: str) -> dict[str, list[str]]:
    """The lines between each pair of manual-region markers in ``text``."""
    lines = text.splitlines(keepends=True)
    return {name: lines[begin + 1 : end] for name, begin, end in region_spans(lines)}


def scalar(value: Scalar) -> str:
    """One scalar as PyYAML would write it in a block mapping (plain when that reads back the same)."""
    text = yaml.safe_dump({"k": value}, width=_INFINITE, allow_unicode=True, sort_keys=False)
    return text[len("k: ") :].rstrip("\n")


class Emitter:
    """Lays out a tree of mappings and lists as block YAML, two spaces a level."""

    def __init__(self, regions: Mapping[str, Sequence[str]]) -> None:
        #: The content of each manual region, as found in the file on disk (lines with newlines).
        self.regions = regions

    def document(self, header: Sequence[str], tree: Mapping[str | Manual, Node]) -> str:
        out = [f"# {line}" if line else "#" for line in header]
        self._mapping(tree, 0, out)
        return "\n".join(out) + "\n"

    def _region(self, name: str, indent: int, out: list[str]) -> None:
        pad = " " * indent
        out.append(pad + begin_marker(name))
        out.extend(line.rstrip("\r\n") for line in self.regions.get(name, ()))
        out.append(pad + end_marker(name))

    def _mapping(self, node: Mapping[str | Manual, Node], indent: int, out: list[str]) -> None:
        pad = " " * indent
        for key, value in node.items():
            if isinstance(key, Manual):
                self._region(key.name, indent, out)
            elif value is None:
                out.append(f"{pad}{key}:")
            elif isinstance(value, str) and "\n" in value:
                out.append(f"{pad}{key}: |")
                out.extend(f"{pad}  {line}" if line else "" for line in value.splitlines())
            elif isinstance(value, Mapping):
                out.append(f"{pad}{key}:")
                self._mapping(value, indent + 2, out)
            elif isinstance(value, list | tuple):
                out.append(f"{pad}{key}:")
                self._sequence(value, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {_inline(value)}")

    def _sequence(self, items: Sequence[Node], indent: int, out: list[str]) -> None:
        pad = " " * indent
        for item in items:
            if isinstance(item, Manual):
                self._region(item.name, indent, out)
            elif isinstance(item, Mapping):
                block: list[str] = []
                self._mapping(item, indent + 2, block)
                block[0] = f"{pad}- {block[0][indent + 2 :]}"
                out.extend(block)
            else:
                out.append(f"{pad}- {_inline(item)}")


def _inline(value: Node) -> str:
    if isinstance(value, Pinned):
        return f"{scalar(value.value)} # {value.comment}"
    if isinstance(value, Flow):
        text = yaml.safe_dump(list(value.items), default_flow_style=True, width=_INFINITE)
        return text.strip()
    if isinstance(value, str | int | bool) or value is None:
        return scalar(value)
    raise TypeError(f"not an inline value: {value!r}")
