"""The ``symbols`` kind: every module, imported name and module attribute the code uses exists.

Hallucination detection for code (seed 002's Review gate): an agent calls
``agent_registry.get_active_agents()`` and no module ``agent_registry`` exists. Lint and type
checks may pass; this kind resolves, statically with :mod:`ast` and without importing anything,

* every imported module (``import a.b``, ``from a.b import c``, relative imports),
* every name imported from a module (``from a import name``: a name bound in ``a`` or a
  submodule),
* every attribute reached on a name bound to a module (``a.b.c()``),

against the repository's import ``roots`` and the installed distributions. An unresolved one is a
``hallucinated_symbol`` finding at its line, with the closest real name as the hint. Imports under
``if TYPE_CHECKING:`` may also resolve to stubs (``.pyi``, ``-stubs`` distributions, typeshed's
``_typeshed``); at run time such a module, or a name bound only under ``TYPE_CHECKING``, is a
finding.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.files import expansion_findings
from pytest_gates.checks.site.modules import (
    ModuleInfo,
    ModuleResolver,
    is_type_checking,
    parse_source,
)
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import RelPath, expand_confined, plural

RULE = "hallucinated_symbol"


class SymbolsParams(CheckParams):
    """Parameters of ``symbols``."""

    #: Globs of the Python files to check; each must match at least one file.
    paths: list[RelPath] = Field(min_length=1)
    exclude: list[RelPath] = Field(default_factory=list)
    #: The folders the repository's own modules are imported from (``src`` for a src layout).
    roots: list[RelPath] = Field(default_factory=lambda: ["."], min_length=1)
    #: Module names (and their submodules) accepted without resolving them.
    ignore: list[str] = Field(default_factory=list)


def _closest(name: str, candidates: list[str]) -> str | None:
    public = [c for c in candidates if not c.startswith("_")] or candidates
    found = difflib.get_close_matches(name, public, n=1, cutoff=0.6)
    return found[0] if found else None


def _hint(name: str, candidates: list[str], fallback: str) -> str:
    closest = _closest(name, candidates)
    return f"did you mean '{closest}'? otherwise {fallback}" if closest else fallback


@dataclass
class _FileCheck:
    """One file's walk: which local names are modules, and what did not resolve."""

    resolver: ModuleResolver
    relative: str
    ignore: list[str]
    current: str = ""
    package: bool = False
    modules: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    #: Inside a ``try`` whose handler catches ImportError: a missing module is optional.
    optional: int = 0

    def ignored(self, name: str) -> bool:
        return any(name == i or name.startswith(i + ".") for i in self.ignore)

    def report(self, node: ast.AST, message: str, hint: str) -> None:
        self.findings.append(
            Finding(
                rule=RULE,
                # Seed 002: a hallucinated API is critical, it blocks even an advisory gate.
                severity="critical",
                location=Location(
                    path=self.relative,
                    line=getattr(node, "lineno", None),
                    column=getattr(node, "col_offset", 0) + 1,
                ),
                message=message,
                fix_hint=hint,
            )
        )

    def module(self, node: ast.AST, name: str, typing_only: bool) -> ModuleInfo | None:
        """Resolve ``name`` part by part; report the first part that does not exist."""
        self.checked += 1
        if self.ignored(name):
            return None
        parts = name.split(".")
        info: ModuleInfo | None = None
        for n in range(1, len(parts) + 1):
            prefix = ".".join(parts[:n])
            found = self.resolver.find(prefix)
            if found is None and self.optional:
                return None
            if found is None:
                where = f"in package '{info.name}'" if info is not None else "in the repository"
                self.report(
                    node,
                    f"no module named '{prefix}' exists {where} or in the installed distributions",
                    _hint(
                        parts[n - 1],
                        self.resolver.submodules(info),
                        "declare the module first, or install the distribution that provides it",
                    ),
                )
                return None
            info = found
        assert info is not None
        if info.stub_only and not typing_only:
            self.report(
                node,
                f"module '{name}' exists only for type checkers; it cannot be imported at run time",
                "import it under 'if TYPE_CHECKING:'",
            )
            return None
        return info

    def attribute(
        self, node: ast.AST, info: ModuleInfo, attr: str, typing_only: bool, spelled: str
    ) -> ModuleInfo | bool | None:
        """A submodule's info, ``True`` for a name bound in ``info``, ``False`` if unresolved."""
        self.checked += 1
        sub = self.resolver.find(f"{info.name}.{attr}")
        if sub is not None:
            return sub
        names = self.resolver.names(info)
        if names.runtime is None or attr in names.runtime or self.optional:
            return True
        if attr in names.typing:
            if typing_only:
                return True
            self.report(
                node,
                f"'{spelled}': '{attr}' is bound in module '{info.name}' only under "
                "TYPE_CHECKING, so it does not exist at run time",
                "use it only in annotations, or import it under 'if TYPE_CHECKING:'",
            )
            return False
        candidates = sorted(names.runtime | names.typing | set(self.resolver.submodules(info)))
        self.report(
            node,
            f"'{spelled}': module '{info.name}' has no attribute '{attr}'",
            _hint(attr, candidates, f"define '{attr}' in module '{info.name}' first"),
        )
        return False

    def walk(self, body: list[ast.stmt] | list[ast.AST], typing_only: bool) -> None:
        for node in body:
            self.visit(node, typing_only)

    def visit(self, node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            self.visit(node.test, typing_only)
            self.walk(node.body, True)
            self.walk(node.orelse, typing_only)
            return
        if isinstance(node, ast.Try) and _guards_imports(node):
            self.optional += 1
            self.walk(node.body, typing_only)
            self.optional -= 1
            self.walk([*node.handlers, *node.orelse, *node.finalbody], typing_only)
            return
        if isinstance(node, ast.Import):
            self.imports(node, typing_only)
        elif isinstance(node, ast.ImportFrom):
            self.import_from(node, typing_only)
        elif isinstance(node, ast.Attribute) and self.chain(node, typing_only):
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, typing_only)

    def imports(self, node: ast.Import, typing_only: bool) -> None:
        for alias in node.names:
            info = self.module(node, alias.name, typing_only)
            local = alias.asname or alias.name.split(".")[0]
            target = alias.name if alias.asname else alias.name.split(".")[0]
            if info is None and not self.ignored(alias.name) and not self.optional:
                self.missing[local] = target
            elif info is not None:
                self.modules[local] = target

    def import_from(self, node: ast.ImportFrom, typing_only: bool) -> None:
        name = ModuleResolver.absolute(self.current, self.package, node.level, node.module)
        if name is None:
            spelled = "." * node.level + (node.module or "")
            self.report(
                node,
                f"relative import '{spelled}' goes beyond the top-level package",
                "import the module by its absolute name",
            )
            return
        info = self.module(node, name, typing_only)
        if info is None:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            found = self.attribute(
                node, info, alias.name, typing_only, f"from {name} import {alias.name}"
            )
            if isinstance(found, ModuleInfo):
                self.modules[alias.asname or alias.name] = found.name

    def chain(self, node: ast.Attribute, typing_only: bool) -> bool:
        """Check ``name.a.b`` rooted at a module name; ``True`` when the chain was handled."""
        attrs: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            attrs.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return False
        attrs.reverse()
        spelled = ".".join([base.id, *attrs])
        if base.id in self.missing:
            self.report(
                node,
                f"'{spelled}': no module named '{self.missing[base.id]}' exists",
                _hint(
                    self.missing[base.id],
                    self.resolver.submodules(None),
                    "declare the module first, or install the distribution that provides it",
                ),
            )
            return True
        module = self.modules.get(base.id)
        if module is None:
            return False
        info = self.resolver.find(module)
        for attr in attrs:
            if info is None:
                break
            found = self.attribute(node, info, attr, typing_only, spelled)
            if not isinstance(found, ModuleInfo):
                break
            info = found
        return True


#: Exceptions whose handler makes the imports of a ``try`` optional.
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _guards_imports(node: ast.Try) -> bool:
    """``try: import x`` / ``except ImportError:``: the import may fail, on purpose."""
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if caught is None or any(
            isinstance(name, ast.Name) and name.id in _IMPORT_ERRORS for name in names
        ):
            return True
    return False


def _check_file(
    resolver: ModuleResolver, path: Path, relative: str, params: SymbolsParams
) -> _FileCheck:
    check = _FileCheck(resolver=resolver, relative=relative, ignore=params.ignore)
    named = resolver.module_name(path)
    if named is not None:
        check.current, check.package = named
    tree = parse_source(path)
    if tree is None:
        check.findings.append(
            Finding(
                rule="symbols.parse",
                location=Location(path=relative),
                message="not valid Python: its symbols cannot be checked",
                fix_hint="fix the syntax error (the files kind with parse: python shows where)",
            )
        )
        return check
    check.walk(tree.body, False)
    return check


@check_kind("symbols", params=SymbolsParams, idempotent=True)
def symbols(params: SymbolsParams, ctx: CheckContext) -> CheckResult:
    """Every imported module, imported name and module attribute resolves (no hallucinated API)."""
    expansion = expand_confined(ctx.rootdir, params.paths, params.exclude)
    findings = expansion_findings(
        expansion, "symbols", "correct the pattern, or remove it from the check"
    )
    resolver = ModuleResolver([ctx.resolve(root) for root in params.roots])
    checked = 0
    hallucinated = 0
    for relative, path in expansion.files:
        result = _check_file(resolver, path, relative, params)
        checked += result.checked
        hallucinated += sum(1 for f in result.findings if f.rule == RULE)
        findings += result.findings
    summary = (
        f"{plural(hallucinated, 'unresolved symbol')} in {plural(len(expansion.files), 'file')}"
        f" ({plural(checked, 'reference')} checked)"
    )
    if expansion.empty:
        summary += f"; {plural(len(expansion.empty), 'pattern')} matched nothing"
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={"files": len(expansion.files), "references": checked, "unresolved": hallucinated},
    )
