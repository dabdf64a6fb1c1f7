"""Hand-written jobs, steps and workflow keys that the policy allows: found in the workflow on
disk, kept by sync.

An allowed job (``projection.allow.jobs``), step (``projection.allow.steps``, by name or id) or
top-level key (``projection.allow.keys``) is a block of lines. Sync carries each block over as written, after the generated job or step (or the
manual region) it followed, so regenerating never loses it. Blocks inside a manual region travel
with the region instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pytest_gates.model.policy import GENERATED_JOBS, ProjectionPolicy
from pytest_gates.projection.emit import end_marker, is_marker, region_spans
from pytest_gates.projection.target import SyncError

#: Where a block goes: after a generated entry (``("entry", key)``) or a region's end marker
#: (``("region", name)``); ``None`` is the start of its container.
Anchor = tuple[str, str] | None


@dataclass(frozen=True)
class HandBlock:
    """Lines of the workflow on disk that hold one allowed job or step."""

    #: ``("jobs",)`` for a job, ``("jobs", <job id>, "steps")`` for a step, ``()`` for a key.
    container: tuple[str, ...]
    #: The job id, or the step's name (or id).
    key: str
    after: Anchor
    lines: tuple[str, ...]
    indent: int


def yaml_error(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The 1-based line (when known) and the one-line problem of a YAML error."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (mark.line + 1 if mark else None), exc.problem or exc.context or "invalid YAML"
    return None, str(exc).splitlines()[0]


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: ``line 12: expected <block end>, but found '-'``."""
    line, problem = yaml_error(exc)
    return f"line {line}: {problem}" if line is not None else problem


def step_label(step: Any) -> str | None:
    """A step's name, else its id; ``None`` for a step with neither."""
    if not isinstance(step, dict):
        return None
    for field in ("name", "id"):
        value = step.get(field)
        if isinstance(value, str):
            return value
    return None


def _node_label(item: yaml.Node) -> str | None:
    """``step_label`` of a composed step."""
    for field in ("name", "id"):
        found = _child(item, field)
        if found is not None and isinstance(found[1], yaml.ScalarNode):
            return str(found[1].value)
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _node_end(node: yaml.Node, lines: Sequence[str]) -> int:
    """The 0-based line after ``node`` (its end mark sits at the start of what follows it)."""
    mark = node.end_mark
    if mark.line >= len(lines):
        return len(lines)
    before = lines[mark.line][: mark.column]
    return mark.line if not before.strip() else mark.line + 1


def _child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node, value
    return None


def container_node(
    root: yaml.Node | None, path: Sequence[str]
) -> tuple[yaml.Node, yaml.Node] | None:
    """The key node and value node at ``path`` (mapping keys only); for ``()`` the document
    node twice."""
    if not path:
        return (root, root) if isinstance(root, yaml.MappingNode) else None
    found: tuple[yaml.Node, yaml.Node] | None = None
    node = root
    for part in path:
        found = _child(node, part)
        if found is None:
            return None
        node = found[1]
    return found


@dataclass(frozen=True)
class _Entry:
    key: str | None
    start: int
    end: int


def _entries(node: yaml.Node, lines: Sequence[str]) -> list[_Entry]:
    """Each entry of a block mapping or sequence with its lines, trailing comments left out."""
    starts: list[tuple[str | None, int]] = []
    if isinstance(node, yaml.MappingNode):
        starts = [
            (key.value if isinstance(key, yaml.ScalarNode) else None, key.start_mark.line)
            for key, _ in node.value
        ]
    elif isinstance(node, yaml.SequenceNode):
        starts = [(_node_label(item), item.start_mark.line) for item in node.value]
    container_end = _node_end(node, lines)
    entries: list[_Entry] = []
    for index, (key, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else container_end
        while end > start + 1 and _is_comment_or_blank(lines[end - 1]):
            end -= 1
        entries.append(_Entry(key, start, end))
    return entries


def _containers(policy: ProjectionPolicy) -> list[tuple[tuple[str, ...], set[str]]]:
    """Where hand-written blocks may be, and the names allowed there."""
    containers: list[tuple[tuple[str, ...], set[str]]] = [
        ((), set(policy.allow.keys)),
        (("jobs",), set(policy.allow.jobs)),
    ]
    if policy.allow.steps:
        containers += [(("jobs", job, "steps"), set(policy.allow.steps)) for job in GENERATED_JOBS]
    return containers


def hand_blocks(text: str, policy: ProjectionPolicy) -> list[HandBlock]:
    """The allowed jobs and steps written by hand in ``text`` (outside manual regions)."""
    if not (policy.allow.jobs or policy.allow.steps or policy.allow.keys):
        return []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # an unreadable file keeps nothing; the check reports it
    if root is None:
        return []
    lines = text.splitlines(keepends=True)
    regions = region_spans(lines)
    blocks: list[HandBlock] = []
    for path, allowed in _containers(policy):
        found = container_node(root, path)
        if found is None:
            continue
        entries = _entries(found[1], lines)
        anchor: Anchor = None
        cursor = found[0].start_mark.line
        for entry in entries:
            anchor = _after_region(regions, cursor, entry.start, anchor)
            if any(begin < entry.start < end for _, begin, end in regions):
                continue  # region content travels with its region
            if entry.key is not None and entry.key in allowed:
                start = entry.start
                while (
                    start > cursor
                    and lines[start - 1].strip().startswith("#")
                    and not is_marker(lines[start - 1])
                    and _indent(lines[start - 1]) == _indent(lines[entry.start])
                ):
                    start -= 1
                body = tuple(lines[start : entry.end])
                blocks.append(HandBlock(path, entry.key, anchor, body, _indent(lines[entry.start])))
            else:
                anchor = ("entry", entry.key or "")
            cursor = entry.end
    return blocks


def _after_region(
    regions: Sequence[tuple[str, int, int]], cursor: int, start: int, anchor: Anchor
) -> Anchor:
    """A region that closes between the last entry and this one becomes the anchor."""
    closed = [(end, name) for name, _, end in regions if cursor <= end < start]
    return ("region", max(closed)[1]) if closed else anchor


def keep_hand_work(generated: str, blocks: Sequence[HandBlock]) -> str:
    """``generated`` with each hand block inserted where it was, re-indented to fit.

    Raises SyncError when the result would not be valid YAML (the file is then not written).
    """
    try:
        root = yaml.compose(generated, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SyncError(
            f"a manual region does not fit the generated file: {yaml_problem(exc)}"
        ) from None
    if not blocks:
        return generated
    lines = generated.splitlines(keepends=True)
    inserts: list[tuple[int, int, list[str]]] = []
    for order, block in enumerate(blocks):
        found = container_node(root, block.container)
        if found is None:
            continue  # its job is gone from the projection, and an allowed step goes with it
        _, node = found
        entries = _entries(node, lines)
        position = _position(block.after, _first_line(found, block.container), node, entries, lines)
        indent = _indent(lines[entries[0].start]) if entries else block.indent
        inserts.append((position, order, _reindent(block, indent)))
    out: list[str] = []
    pending = sorted(inserts)
    for index in range(len(lines) + 1):
        out.extend(line for pos, _, block in pending if pos == index for line in block)
        if index < len(lines):
            out.append(lines[index])
    text = "".join(out)
    _check_fits(text, blocks)
    return text


def _first_line(found: tuple[yaml.Node, yaml.Node], path: Sequence[str]) -> int:
    """The line a block with no anchor goes to: after its container's key, or the document's
    first key (below the header)."""
    key_node, _ = found
    return key_node.start_mark.line + (1 if path else 0)


def _position(
    after: Anchor,
    first: int,
    node: yaml.Node,
    entries: Sequence[_Entry],
    lines: Sequence[str],
) -> int:
    if after is None:
        return first
    kind, name = after
    if kind == "entry":
        for entry in entries:
            if entry.key == name:
                return entry.end
    else:
        marker = end_marker(name)
        for index in range(first, len(lines)):
            if lines[index].strip() == marker:
                return index + 1
    end = _node_end(node, lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    return end


def _reindent(block: HandBlock, indent: int) -> list[str]:
    shift = indent - block.indent
    lines: list[str] = []
    for line in block.lines:
        ending = "\n" if line.endswith("\n") else ""
        body = line.rstrip("\r\n")
        if not body.strip():
            lines.append(ending)
        elif shift >= 0:
            lines.append(" " * shift + body + ending)
        elif _indent(body) >= -shift:
            lines.append(body[-shift:] + ending)
        else:
            raise SyncError(
                f"cannot keep the hand-written '{block.key}': its lines are indented "
                f"less than the generated file allows; fix its indentation or move it into a "
                f"manual region"
            )
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _check_fits(text: str, blocks: Sequence[HandBlock]) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SyncError(
            f"the hand-written {', '.join(repr(b.key) for b in blocks)} do not fit the generated "
            f"file ({yaml_problem(exc)}); move them into a manual region"
        ) from None
    for block in blocks:
        node: Any = data
        for part in block.container:
            node = node.get(part) if isinstance(node, dict) else None
        keys = list(node) if isinstance(node, dict) else [step_label(s) for s in node or []]
        if block.key not in keys:
            raise SyncError(f"cannot keep the hand-written '{block.key}' in its place")
