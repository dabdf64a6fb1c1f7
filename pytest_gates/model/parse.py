"""Parsing YAML once, with libyaml when it is there, and refusing hostile input before building it.

The document is composed once (libyaml's C composer when PyYAML has it, else PyYAML's own): the
node tree keeps every line mark for located errors, and the data is constructed from that same
tree. Before the data is built, the tree is held to limits that no honest input comes near:

* :data:`MAX_BYTES` bytes, checked before the file is read in full (a 5 MB manifest of 36,000
  gates is allowed, and loads in a few seconds);
* :data:`MAX_DEPTH` levels of nesting (libyaml itself stops at 1,000; PyYAML's own composer is
  stopped at :data:`PARSE_DEPTH` before Python's recursion limit);
* :data:`MAX_ALIAS_NODES` nodes that aliases add to the document in all (a "billion laughs" bomb
  of a few hundred bytes expands to a billion nodes), and no alias to a node that contains it.

Each limit is a :class:`LimitExceeded` that carries the path of the place at fault.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import yaml

#: The largest input file read, in bytes (8 MiB).
MAX_BYTES: Final = 8 * 1024 * 1024
#: The deepest nesting of mappings and lists accepted.
MAX_DEPTH: Final = 50
#: How many nodes aliases may add to a document, all aliases together.
MAX_ALIAS_NODES: Final = 100_000
#: Where PyYAML's own (recursive) composer stops, when libyaml is not available.
PARSE_DEPTH: Final = 200

_STR: Final = "tag:yaml.org,2002:str"
_SEQ: Final = "tag:yaml.org,2002:seq"
_MAP: Final = "tag:yaml.org,2002:map"
#: Invalid YAML up to this size is parsed again by PyYAML for its error message.
REPARSE_BYTES: Final = 1024 * 1024


class _PyLoader(yaml.SafeLoader):
    """PyYAML's safe loader with libyaml's nesting limit, so deep input is a YAML error."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > PARSE_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "exceeded maximum nesting depth", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


#: The loader class: libyaml's C loader when PyYAML was built with it.
LOADER: Final[Any] = getattr(yaml, "CSafeLoader", _PyLoader)


class LimitExceeded(Exception):
    """A document goes past one of the limits; ``path`` is the place at fault."""

    def __init__(self, path: list[int | str], message: str, line: int | None = None) -> None:
        super().__init__(message)
        #: Where in the document, as keys and list indexes.
        self.path = path
        #: What was expected and what was found.
        self.message = message
        #: The 1-based line, when the node at ``path`` does not tell it (an alias: its node
        #: starts where its anchor is).
        self.line = line


def _alias_line(parent: yaml.Node, part: int | str) -> int:
    """The line an alias is written on, near enough: its key's, or its list's."""
    if isinstance(parent, yaml.MappingNode):
        for key, _ in parent.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return int(key.start_mark.line) + 1
    return int(parent.start_mark.line) + 1


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large structure whose objects all live on is
    built (a manifest's node tree and models, a gate's items): it would scan the growing
    structure again and again (4x the cost of composing a 5 MB manifest). Garbage made meanwhile
    is collected later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree of ``text`` and a loader that can construct data from it (raises YAMLError).

    A syntax error is reported in PyYAML's words, which are the ones our messages have always
    used: the text is parsed again by PyYAML's own parser, but only when it is invalid and
    smaller than :data:`REPARSE_BYTES` (libyaml's message stands otherwise).
    """
    loader = LOADER(text)
    try:
        return loader.get_single_node(), loader
    except yaml.YAMLError as exc:
        if LOADER is not _PyLoader and len(text) <= REPARSE_BYTES and "nesting" not in str(exc):
            again = _PyLoader(text)
            try:
                again.get_single_node()
            finally:
                again.dispose()
        raise
    finally:
        loader.dispose()


def construct(loader: Any, root: yaml.Node | None, text: str) -> Any:
    """The data of the tree ``root``; the tree itself is left as composed (merge keys included).

    Plain mappings, lists and strings (nearly all of a manifest) are built here; every other
    node goes through PyYAML's safe constructor, so the data is what ``yaml.safe_load`` gives.
    """
    if root is None:
        return None
    if "<<" in text:
        # Constructing ``<<`` merge keys rewrites the mapping nodes; lines and duplicate keys
        # are read from the tree as written, so PyYAML's constructor gets a copy of it.
        return loader.construct_document(copy.deepcopy(root))
    built: dict[int, Any] = {}

    def build(node: yaml.Node) -> Any:
        known = built.get(id(node), built)
        if known is not built:
            return known
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = node.value if node.tag == _STR else loader.construct_object(node)
        elif node.tag == _SEQ and isinstance(node, yaml.SequenceNode):
            value = [build(item) for item in node.value]
        elif (
            node.tag == _MAP
            and isinstance(node, yaml.MappingNode)
            and all(isinstance(key, yaml.ScalarNode) for key, _ in node.value)
        ):
            value = {build(key): build(item) for key, item in node.value}
        else:  # sets, ordered maps, complex keys: PyYAML's own rules and errors
            value = loader.construct_object(node, deep=True)
        built[id(node)] = value
        return value

    return build(root)


def _children(node: yaml.Node) -> Iterator[tuple[int | str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for index, (key, value) in enumerate(node.value):
            part: int | str = key.value if isinstance(key, yaml.ScalarNode) else index
            yield part, key
            yield part, value
    elif isinstance(node, yaml.SequenceNode):
        yield from enumerate(node.value)


def check_limits(root: yaml.Node | None, text: str) -> None:
    """Raise :class:`LimitExceeded` when ``root`` nests too deep or its aliases expand too far."""
    if root is None:
        return
    if "&" not in text:  # no anchor, so no alias: a tree, checked for depth alone
        _check_depth(root)
        return
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = {id(root)}
    stack: list[tuple[yaml.Node, Iterator[tuple[int | str, yaml.Node]]]] = [(root, _children(root))]
    path: list[int | str] = []
    while stack:
        node, children = stack[-1]
        for part, child in children:
            if id(child) in on_path:
                raise LimitExceeded(
                    [*path, part],
                    "expected an alias to a finished node, found one to a node that contains it",
                    _alias_line(node, part),
                )
            if id(child) not in size:
                if isinstance(child, yaml.CollectionNode) and len(stack) >= MAX_DEPTH:
                    raise LimitExceeded([*path, part], _depth_message())
                path.append(part)
                on_path.add(id(child))
                stack.append((child, _children(child)))
                break
        else:
            stack.pop()
            on_path.discard(id(node))
            total, tallest = 1, 0
            for _, child in _children(node):
                total += size[id(child)]
                tallest = max(tallest, height[id(child)])
            size[id(node)] = total
            height[id(node)] = tallest + 1 if isinstance(node, yaml.CollectionNode) else 0
            if stack:
                path.pop()
    if height[id(root)] > MAX_DEPTH:
        _raise_deepest(root, height)
    added = size[id(root)] - len(size)
    if added > MAX_ALIAS_NODES:
        _raise_first_expansion(root, size, added)


def _depth_message() -> str:
    return f"expected at most {MAX_DEPTH} levels of nesting, found more"


def _check_depth(root: yaml.Node) -> None:
    # Only collections are followed; the path of one is rebuilt only when it is too deep.
    stack: list[tuple[yaml.CollectionNode, int]] = (
        [(root, 1)] if isinstance(root, yaml.CollectionNode) else []
    )
    collection = yaml.CollectionNode
    while stack:
        node, depth = stack.pop()
        items = node.value
        entries = (v for _, v in items) if isinstance(node, yaml.MappingNode) else items
        for child in entries:
            if isinstance(child, collection):
                if depth >= MAX_DEPTH:
                    raise LimitExceeded(_path_to(root, child), _depth_message())
                stack.append((child, depth + 1))


def _path_to(root: yaml.Node, target: yaml.Node) -> list[int | str]:
    """The path of ``target`` in the tree ``root`` (a tree: no alias in it)."""
    stack: list[tuple[yaml.Node, list[int | str]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for part, child in _children(node):
            if isinstance(child, yaml.CollectionNode):
                stack.append((child, [*path, part]))
    return []


def _raise_deepest(root: yaml.Node, height: dict[int, int]) -> None:
    node, path = root, []
    for _ in range(MAX_DEPTH):
        part, node = max(_children(node), key=lambda pair: height[id(pair[1])])
        path.append(part)
    raise LimitExceeded(path, _depth_message())


def _raise_first_expansion(root: yaml.Node, size: dict[int, int], added: int) -> None:
    """The first alias, in document order, at which the nodes aliases add pass the limit."""
    seen: set[int] = {id(root)}
    so_far = 0
    stack: list[tuple[yaml.Node, list[int | str]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        later: list[tuple[yaml.Node, list[int | str]]] = []
        for part, child in _children(node):
            if id(child) in seen:
                so_far += size[id(child)]
                if so_far > MAX_ALIAS_NODES:
                    raise LimitExceeded(
                        [*path, part],
                        f"expected aliases to add at most {MAX_ALIAS_NODES} nodes in all, "
                        f"found {added} (an alias bomb)",
                        _alias_line(node, part),
                    )
            else:
                seen.add(id(child))
                later.append((child, [*path, part]))
        stack.extend(reversed(later))
    raise LimitExceeded(
        [], f"expected aliases to add at most {MAX_ALIAS_NODES} nodes, found {added}"
    )
