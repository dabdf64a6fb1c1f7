"""Where a module comes from, statically: the repository's import roots, then the installed
distributions (found on ``sys.path`` without importing anything), then the standard library.

A module's top-level names are read from its source with :mod:`ast`; names bound only under
``if TYPE_CHECKING:`` are kept apart, and a module whose names cannot be known statically (an
extension module, a module-level ``__getattr__``) accepts every name.
"""

from __future__ import annotations

import ast
import importlib.machinery
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

#: Modules that exist only for type checkers (typeshed's private helpers).
TYPESHED_ONLY: Final = frozenset({"_typeshed"})

#: Attributes every module has.
MODULE_ATTRIBUTES: Final = frozenset(
    {
        "__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__", "__path__",
        "__dict__", "__builtins__", "__all__", "__annotations__",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ModuleInfo:
    """What is known of one module."""

    name: str
    #: Its Python source (``.py`` or ``.pyi``), when it has one.
    source: Path | None
    #: Where its submodules live, for a package.
    search: tuple[str, ...] = ()
    #: It exists only as a stub (``.pyi``, a ``-stubs`` distribution, typeshed).
    stub_only: bool = False
    #: A folder without ``__init__``: it has its submodules and nothing else.
    namespace: bool = False


class Names(NamedTuple):
    """The top-level names of a module."""

    #: Bound at run time; ``None`` when any name may exist.
    runtime: frozenset[str] | None
    #: Bound only under ``if TYPE_CHECKING:``.
    typing: frozenset[str]


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING`` (any module prefix)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Bindings:
    def __init__(self) -> None:
        self.runtime: set[str] = set()
        self.typing: set[str] = set()
        self.stars: list[tuple[int, str | None]] = []
        self.dynamic = False

    def add(self, name: str, typing_only: bool) -> None:
        (self.typing if typing_only else self.runtime).add(name)

    def targets(self, node: ast.expr, typing_only: bool) -> None:
        for target in ast.walk(node):
            if isinstance(target, ast.Name):
                self.add(target.id, typing_only)

    def block(self, body: Sequence[ast.stmt], typing_only: bool) -> None:
        for stmt in body:
            self.statement(stmt, typing_only)

    def statement(self, stmt: ast.stmt, typing_only: bool) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.add(stmt.name, typing_only)
            if stmt.name == "__getattr__" and not typing_only:
                self.dynamic = True
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self.targets(target, typing_only)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            self.targets(stmt.target, typing_only)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.add(alias.asname or alias.name.split(".")[0], typing_only)
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    self.stars.append((stmt.level, stmt.module))
                else:
                    self.add(alias.asname or alias.name, typing_only)
        elif isinstance(stmt, ast.If):
            self.block(stmt.body, typing_only or is_type_checking(stmt.test))
            self.block(stmt.orelse, typing_only)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody):
                self.block(part, typing_only)
            for handler in stmt.handlers:
                self.block(handler.body, typing_only)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self.targets(stmt.target, typing_only)
            self.block(stmt.body, typing_only)
            self.block(stmt.orelse, typing_only)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.targets(item.optional_vars, typing_only)
            self.block(stmt.body, typing_only)
        elif isinstance(name := getattr(stmt, "name", None), ast.Name):
            self.add(name.id, typing_only)  # ``type X = ...`` (Python 3.12)


def _makes_globals(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "globals"
    if isinstance(node, ast.ClassDef):
        return any(
            (isinstance(d, ast.Name) and d.id == "global_enum")
            or (isinstance(d, ast.Attribute) and d.attr == "global_enum")
            for d in node.decorator_list
        )
    return False


def parse_source(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


class ModuleResolver:
    """Finds modules by dotted name in the repository and the installed distributions."""

    def __init__(self, roots: Iterable[Path], path: Sequence[str] | None = None) -> None:
        self.roots = [root.resolve() for root in roots]
        self.path = list(sys.path if path is None else path)
        self._cache: dict[str, ModuleInfo | None] = {}
        self._names: dict[str, Names] = {}
        self._top: list[str] | None = None

    def module_name(self, file: Path) -> tuple[str, bool] | None:
        """The dotted name of a repository file and whether it is a package's ``__init__``."""
        resolved = file.resolve()
        for root in sorted(self.roots, key=lambda r: len(r.parts), reverse=True):
            if resolved.is_relative_to(root):
                parts = list(resolved.relative_to(root).with_suffix("").parts)
                package = parts[-1] == "__init__"
                if package:
                    parts.pop()
                return (".".join(parts), package) if parts else None
        return None

    def find(self, name: str) -> ModuleInfo | None:
        if name not in self._cache:
            self._cache[name] = self._find(name)
        return self._cache[name]

    def _find(self, name: str) -> ModuleInfo | None:
        parent_name, _, last = name.rpartition(".")
        if parent_name:
            parent = self.find(parent_name)
            if parent is None:
                return None
            found = self._in_repository(name) or self._on_path(name, last, list(parent.search))
            if found is None and not parent.search:
                # ``os.path``: a module bound as an attribute of a module that is no package.
                names = self.names(parent).runtime
                if names is None or last in names:
                    found = ModuleInfo(name=name, source=None)
            return found
        if name in TYPESHED_ONLY:
            return ModuleInfo(name=name, source=None, stub_only=True)
        found = self._in_repository(name) or self._on_path(name, name, self.path)
        if found is None and (name in sys.builtin_module_names or name in _stdlib_names()):
            found = ModuleInfo(name=name, source=None)
        return found or self._stubs(name)

    def _in_repository(self, name: str) -> ModuleInfo | None:
        parts = name.split(".")
        for root in self.roots:
            base = root.joinpath(*parts)
            for source, package in (
                (base / "__init__.py", True),
                (base.with_suffix(".py"), False),
                (base / "__init__.pyi", True),
                (base.with_suffix(".pyi"), False),
            ):
                if source.is_file():
                    return self._described(
                        name, source, (str(base),) if package else (), source.suffix == ".pyi"
                    )
            if base.is_dir():  # a namespace package
                return ModuleInfo(name=name, source=None, search=(str(base),), namespace=True)
        return None

    def _on_path(self, name: str, last: str, path: list[str]) -> ModuleInfo | None:
        try:
            spec = importlib.machinery.PathFinder.find_spec(last, path)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        search = tuple(spec.submodule_search_locations or ())
        origin = Path(spec.origin) if spec.origin and spec.has_location else None
        if origin is None or origin.suffix not in (".py", ".pyi"):
            return ModuleInfo(name=name, source=None, search=search)
        return self._described(name, origin, search, False)

    def _stubs(self, name: str) -> ModuleInfo | None:
        for entry in self.path:
            stubs = Path(entry or ".") / f"{name}-stubs"
            if (stubs / "__init__.pyi").is_file():
                return self._described(name, stubs / "__init__.pyi", (str(stubs),), True)
        return None

    def _described(
        self, name: str, source: Path, search: tuple[str, ...], stub: bool
    ) -> ModuleInfo:
        return ModuleInfo(name=name, source=source, search=search, stub_only=stub)

    def names(self, info: ModuleInfo) -> Names:
        """The top-level names of a module (read once; a star-import cycle accepts any name)."""
        if info.name in self._names:
            return self._names[info.name]
        self._names[info.name] = Names(None, frozenset())  # while reading: a cycle is open
        tree = parse_source(info.source) if info.source is not None else None
        if info.namespace:
            found = Names(MODULE_ATTRIBUTES, frozenset())
        else:
            found = Names(None, frozenset()) if tree is None else self._read(info, tree)
        self._names[info.name] = found
        return found

    def _read(self, info: ModuleInfo, tree: ast.Module) -> Names:
        bindings = _Bindings()
        bindings.block(tree.body, False)
        # ``globals().update(...)``, ``globals()[name] = ...`` (hashlib's constructors),
        # ``@enum.global_enum`` (re's flags): names made at import time are not listed statically.
        bindings.dynamic |= any(_makes_globals(node) for node in ast.walk(tree))
        names: set[str] | None = set(bindings.runtime) | MODULE_ATTRIBUTES
        for level, module in bindings.stars:
            absolute = self.absolute(info.name, bool(info.search), level, module)
            target = self.find(absolute) if absolute else None
            starred = self.names(target).runtime if target is not None else None
            if starred is None or names is None:
                names = None
            else:
                names |= {n for n in starred if not n.startswith("_")}
        return Names(
            runtime=None if bindings.dynamic or names is None else frozenset(names),
            typing=frozenset(bindings.typing - bindings.runtime),
        )

    @staticmethod
    def absolute(current: str, package: bool, level: int, module: str | None) -> str | None:
        """The absolute name of ``from <level dots><module> import`` written in ``current``."""
        if level == 0:
            return module
        parts = current.split(".") if current else []
        if not package:
            parts = parts[:-1]
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join([*base, *([module] if module else [])]) or None

    def submodules(self, info: ModuleInfo | None) -> list[str]:
        """The names of the submodules of a package (or the top-level modules for ``None``)."""
        if info is None:
            if self._top is None:
                locations = [str(root) for root in self.roots] + self.path
                names = {module.name for module in pkgutil.iter_modules(locations)}
                self._top = sorted(names | _stdlib_names())
            return self._top
        return sorted({module.name for module in pkgutil.iter_modules(list(info.search))})


def _stdlib_names() -> frozenset[str]:
    return frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)
