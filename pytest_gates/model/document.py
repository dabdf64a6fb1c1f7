"""Reading an input document and locating a problem inside it.

One reader (YAML, JSON or TOML, syntax errors located), one pre-check that holds before any model
is tried (a mapping, a known version first, no key written twice), and the formatting of a
problem: the breadcrumb a person reads and the line. A breadcrumb names list entries by their
``id`` when they have one, so a problem in the fourth gate reads
``gates[id='qa.lint'].retry.attempts`` rather than ``gates.3.retry.attempts``. The keys a
"did you mean" hint offers are derived from the models.
"""

from __future__ import annotations

import difflib
import json
import sys
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pytest_gates.errors import InputFileError
from pytest_gates.model.parse import (
    MAX_BYTES,
    MAX_DEPTH,
    LimitExceeded,
    check_limits,
    compose,
    construct,
)
from pytest_gates.support.digest import sha256_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Loc = Sequence[int | str]
#: The keys allowed at each place of a document (list entries as ``"*"``), for "did you mean".
KeyTable = Mapping[tuple[int | str, ...], Iterable[str]]


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
    """``gates[id='qa.lint'].retry.attempts`` for ``["gates", 3, "retry", "attempts"]``.

    ``data`` is the document's data, or its YAML node tree for a problem found before the data
    is built.
    """
    text = ""
    node = data
    for part in path:
        if isinstance(part, int):
            entry = _entry(node, part)
            ident = _entry(entry, "id")
            if isinstance(ident, yaml.ScalarNode):
                ident = ident.value
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                text += f"[id='{ident}']"
            else:
                text += f"[{part}]"
            node = entry
        else:
            text += f".{part}" if text else str(part)
            node = _entry(node, part)
    return text or "(top level)"


def _entry(node: Any, part: int | str) -> Any:
    """``node[part]`` in data or in a YAML node tree; None when there is no such entry."""
    if isinstance(node, list | yaml.SequenceNode):
        items = node.value if isinstance(node, yaml.SequenceNode) else node
        return items[part] if isinstance(part, int) and 0 <= part < len(items) else None
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value
    return None


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
    allowed_keys: KeyTable | None = None,
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
    allowed_keys: KeyTable,
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
    stack: list[tuple[yaml.Node, list[int | str]]] = [] if root is None else [(root, [])]
    while stack:  # depth first, in document order, without recursion
        node, path = stack.pop()
        later: list[tuple[yaml.Node, list[int | str]]] = []
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        found.append(([*path, key.value], key.start_mark.line + 1))
                    seen.add(key.value)
                    if isinstance(value, yaml.CollectionNode):
                        later.append((value, [*path, key.value]))
        elif isinstance(node, yaml.SequenceNode):
            later = [
                (value, [*path, index])
                for index, value in enumerate(node.value)
                if isinstance(value, yaml.CollectionNode)
            ]
        stack.extend(reversed(later))
    return found


def _shape(path: Sequence[int | str]) -> tuple[int | str, ...]:
    return tuple("*" if isinstance(part, int) else part for part in path)


def _nested_models(annotation: Any) -> Iterator[tuple[type[BaseModel], tuple[str, ...]]]:
    """The models a field holds, each with the path from the field to it (``"*"``: a list entry)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _nested_models(get_args(annotation)[0])
    elif origin is Union or origin is types.UnionType:
        for arm in get_args(annotation):
            yield from _nested_models(arm)
    elif origin is list:
        for model, rest in _nested_models(get_args(annotation)[0]):
            yield model, ("*", *rest)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, ()


def key_table(
    model: type[BaseModel], at: Sequence[int | str] = ()
) -> dict[tuple[int | str, ...], list[str]]:
    """The keys ``model`` and each model nested in it allow, by place (the model itself at ``at``)."""
    table: dict[tuple[int | str, ...], list[str]] = {}

    def visit(current: type[BaseModel], shape: tuple[int | str, ...]) -> None:
        if shape in table:
            return
        table[shape] = [field.alias or name for name, field in current.model_fields.items()]
        for name, field in current.model_fields.items():
            for nested, rest in _nested_models(field.annotation):
                visit(nested, (*shape, field.alias or name, *rest))

    visit(model, _shape(at))
    return table


@dataclass(frozen=True)
class Document:
    """A parsed input file: its name in messages, its data, its YAML nodes (for lines), its digest."""

    filename: str
    data: Any
    root: yaml.Node | None
    digest: str

    def error(self, path: Sequence[int | str], message: str) -> str:
        """``file:line: breadcrumb: message`` for the place ``path`` in this document."""
        line = line_of(self.root, path)
        where = f"{self.filename}:{line}" if line is not None else self.filename
        return f"{where}: {breadcrumb(self.data, path)}: {message}"

    def validation_problems(
        self,
        error: ValidationError,
        prefix: Sequence[int | str] = (),
        allowed_keys: Iterable[str] | None = None,
        *,
        model: type[BaseModel] | None = None,
    ) -> list[str]:
        """Problems of a model validated from the sub-document at ``prefix``, located in this file.

        The "did you mean" hints offer the keys of ``model`` (and the models nested in it), or
        else ``allowed_keys``: the keys the sub-document at ``prefix`` may have.
        """
        errors = [{**err, "loc": (*prefix, *err["loc"])} for err in error.errors(include_url=False)]
        allowed: KeyTable = (
            key_table(model, prefix)
            if model is not None
            else {_shape(prefix): list(allowed_keys or ())}
        )
        return format_validation_error(self.filename, self.data, self.root, errors, allowed)


def read_document(
    path: Path,
    filename: str,
    error: type[InputFileError],
    *,
    missing: str = "no such file",
    by_suffix: bool = False,
) -> Document:
    """Read and parse a file with syntax errors located; problems are raised as ``error``.

    YAML, unless ``by_suffix`` is set: then only ``.yaml`` and ``.yml`` files are; ``.toml``
    files are read as TOML and the others as JSON. ``missing`` is what a file that does not exist is called.
    """
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error(filename, [f"{filename}: {missing}"]) from None
    except OSError as exc:
        raise error(filename, [f"{filename}: cannot read: {exc.strerror}"]) from None
    if len(raw) > MAX_BYTES:
        raise error(
            filename,
            [f"{filename}: expected a file of at most {MAX_BYTES} bytes, found a larger one"],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            filename,
            [f"{filename}: expected UTF-8 text, found an undecodable byte at offset {exc.start}"],
        ) from None
    too_deep = f"{filename}: expected at most {MAX_DEPTH} levels of nesting, found more"
    if by_suffix and path.suffix == ".toml":
        try:
            return Document(filename, tomllib.loads(text), None, sha256_bytes(raw))
        except tomllib.TOMLDecodeError as exc:
            raise error(filename, [f"{filename}: invalid TOML: {exc}"]) from None
        except RecursionError:
            raise error(filename, [too_deep]) from None
    if by_suffix and path.suffix not in (".yaml", ".yml"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(
                filename, [f"{filename}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]
            ) from None
        except RecursionError:
            raise error(filename, [too_deep]) from None
        try:
            root, _ = compose(text)
            check_limits(root, text)
        except (yaml.YAMLError, LimitExceeded):
            root = None  # valid JSON that YAML 1.1 cannot read: no line numbers
        return Document(filename, data, root, sha256_bytes(raw))
    try:
        root, loader = compose(text)
        check_limits(root, text)
        data = construct(loader, root, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise error(filename, [f"{where}: invalid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise error(filename, [f"{filename}: invalid YAML: {exc}"]) from None
    except LimitExceeded as exc:
        line = exc.line or line_of(root, exc.path)
        where = f"{filename}:{line}" if line is not None else filename
        crumb = breadcrumb(root, exc.path)
        raise error(filename, [f"{where}: {crumb}: {exc.message}"]) from None
    return Document(filename, data, root, sha256_bytes(raw))


def precheck(doc: Document, *, version: int, reader: str, expected: str) -> list[str]:
    """What must hold before a model is tried: a mapping, a known ``version`` first, no key twice.

    ``reader`` names what this pytest-gates reads (``manifest``, ``source``); ``expected`` is the
    mapping expected at the top (``a mapping with version, project and gates``).
    """
    data = doc.data
    if not isinstance(data, dict):
        return [f"{doc.filename}: expected {expected}, found {describe(data)}"]
    if "version" not in data:
        return [doc.error([], f"missing required key 'version'; expected version: {version}")]
    found = data["version"]
    if found != version or isinstance(found, bool):
        return [
            doc.error(
                ["version"],
                f"expected {version} (this pytest-gates reads {reader} version {version}), "
                f"found {describe(found)}",
            )
        ]
    return [
        f"{doc.filename}:{line}: {breadcrumb(data, path[:-1])}: key '{path[-1]}' is written twice"
        for path, line in duplicate_keys(doc.root, data)
    ]
