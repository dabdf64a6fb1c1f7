"""The package's shape holds: no import cycle (``TYPE_CHECKING`` imports count), small classes
and modules, and the layers of ``pyproject.toml``'s import-linter contract."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "pytest_gates"
MAX_CLASS_LINES = 250
MAX_MODULE_LINES = 500


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("pytest_gates", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic import a\n"
    )
    (package / "c.py").write_text("from cyclic import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic", cache_dir=None)
    assert _cycles(graph) == [["cyclic.a", "cyclic.b"]]


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules: dict[str, int] = {}
    classes: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                classes[f"{name}::{node.name}"] = node.end_lineno - node.lineno + 1
    return modules, classes


def test_no_module_is_longer_than_500_lines() -> None:
    modules, _ = _sizes()
    assert {name: n for name, n in modules.items() if n > MAX_MODULE_LINES} == {}


def test_no_class_is_longer_than_250_lines() -> None:
    _, classes = _sizes()
    assert {name: n for name, n in classes.items() if n > MAX_CLASS_LINES} == {}


def test_the_import_layers_hold() -> None:
    # import-linter is a test dependency; its command sits beside the interpreter.
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command is not None, "import-linter is not installed: pip install -e '.[dev]'"
    done = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "0 broken" in done.stdout


SESSION_IMPORTS = (
    "import pytest_gates.plugin, pytest_gates.session.suitecov, pytest_gates.session.runtime\n"
    "import pytest_gates.session.controller, pytest_gates.session.collect\n"
)


def python_prints(code: str) -> tuple[int, str, str]:
    """Exit status, output and the end of the error output of ``code`` in a fresh Python."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr[-2000:]


def test_a_gate_session_needs_no_xdist() -> None:
    """xdist is an extra: everything a gate session imports without ``-n`` works without it
    (the installed wheel's demo run in CI found an import of the scheduler through a key)."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'xdist' or name.startswith('xdist.'):\n"
        "            raise ImportError('xdist is not installed')\n"
        "sys.meta_path.insert(0, Block())\n" + SESSION_IMPORTS + "import pytest_gates.cli.main\n"
        "print('ok')\n"
    )
    assert python_prints(code) == (0, "ok\n", "")


def test_a_session_that_measures_nothing_imports_no_coverage() -> None:
    """coverage (0.1 s of start-up) is imported by the sessions and merges that cover only.
    (Only what our imports add counts: under a covered run, coverage's start-up hook imports it
    into every Python it starts.)"""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n" + SESSION_IMPORTS + "import pytest_gates.outputs.merge\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] == 'coverage'))\n"
    )
    assert python_prints(code) == (0, "[]\n", "")
