from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_gates.checks.symbols import symbols
from pytest_gates.model.findings import Finding, Location

DECLARE = "declare the module first, or install the distribution that provides it"


def _messages(result) -> list[tuple[int | None, str, str | None]]:
    return [(f.location.line, f.message, f.fix_hint) for f in result.findings]


def test_resolvable_imports_pass(run_check, write) -> None:
    write("src/shop/__init__.py", "from shop.registry import list_tasks\n")
    write(
        "src/shop/registry.py",
        """\
        import json
        import os.path
        from collections import OrderedDict

        def list_tasks() -> list[str]:
            return [json.dumps(OrderedDict()), os.path.join("a", "b")]
        """,
    )
    write(
        "src/shop/app.py",
        """\
        from . import registry
        from .registry import list_tasks
        import shop.registry as reg

        def main() -> None:
            registry.list_tasks()
            reg.list_tasks()
            list_tasks()
        """,
    )
    result = run_check(symbols, {"paths": ["src/**/*.py"], "roots": ["src"]})
    assert result.passed, result.findings
    assert result.summary.startswith("0 unresolved symbols in 3 files (")


def test_a_fabricated_module_is_a_hallucinated_symbol_at_its_lines(run_check, write) -> None:
    write("src/task_registry.py", "def list_tasks() -> list[str]:\n    return []\n")
    write(
        "src/dashboard.py",
        """\
        import agent_registry

        def active():
            return agent_registry.get_active_agents()
        """,
    )
    result = run_check(symbols, {"paths": ["src/dashboard.py"], "roots": ["src"]})
    assert not result.passed
    assert result.summary == "2 unresolved symbols in 1 file (1 reference checked)"
    hint = f"did you mean 'task_registry'? otherwise {DECLARE}"
    assert result.findings == [
        Finding(
            rule="hallucinated_symbol",
            severity="critical",
            location=Location(path="src/dashboard.py", line=1, column=1),
            message="no module named 'agent_registry' exists in the repository or in the "
            "installed distributions",
            fix_hint=hint,
        ),
        Finding(
            rule="hallucinated_symbol",
            severity="critical",
            location=Location(path="src/dashboard.py", line=4, column=12),
            message="'agent_registry.get_active_agents': no module named 'agent_registry' exists",
            fix_hint=hint,
        ),
    ]


def test_a_missing_attribute_and_name_get_the_closest_real_one(run_check, write) -> None:
    write("src/task_registry.py", "def list_tasks() -> list[str]:\n    return []\n")
    write(
        "src/app.py",
        """\
        import task_registry
        from task_registry import list_task

        task_registry.list_tasks()
        task_registry.get_active_agents()
        """,
    )
    result = run_check(symbols, {"paths": ["src/app.py"], "roots": ["src"]})
    assert _messages(result) == [
        (
            2,
            "'from task_registry import list_task': module 'task_registry' has no attribute "
            "'list_task'",
            "did you mean 'list_tasks'? otherwise define 'list_task' in module 'task_registry' "
            "first",
        ),
        (
            5,
            "'task_registry.get_active_agents': module 'task_registry' has no attribute "
            "'get_active_agents'",
            "define 'get_active_agents' in module 'task_registry' first",
        ),
    ]


def test_a_symbol_of_an_installed_distribution_resolves(run_check, write) -> None:
    write(
        "app.py",
        """\
        import yaml
        from pydantic import BaseModel

        yaml.safe_load("a: 1")
        yaml.safe_loads("a: 1")
        """,
    )
    result = run_check(symbols, {"paths": ["app.py"]})
    assert _messages(result) == [
        (
            5,
            "'yaml.safe_loads': module 'yaml' has no attribute 'safe_loads'",
            "did you mean 'safe_load'? otherwise define 'safe_loads' in module 'yaml' first",
        )
    ]


def test_a_missing_submodule_is_named_with_its_package(run_check, write) -> None:
    write("src/pkg/__init__.py", "")
    write("src/pkg/models.py", "")
    write("src/app.py", "import pkg.model\n")
    result = run_check(symbols, {"paths": ["src/app.py"], "roots": ["src"]})
    assert _messages(result) == [
        (
            1,
            "no module named 'pkg.model' exists in package 'pkg' or in the installed distributions",
            f"did you mean 'models'? otherwise {DECLARE}",
        )
    ]


def test_a_module_that_exists_only_for_type_checkers(run_check, write) -> None:
    write("src/lib.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    Alias = int\n")
    write(
        "src/app.py",
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from _typeshed import SupportsRead
            from lib import Alias
        """,
    )
    write("src/runtime.py", "import _typeshed\nfrom lib import Alias\n")
    result = run_check(symbols, {"paths": ["src/*.py"], "roots": ["src"]})
    assert [
        (f.location.path, *m) for f, m in zip(result.findings, _messages(result), strict=True)
    ] == [
        (
            "src/runtime.py",
            1,
            "module '_typeshed' exists only for type checkers; it cannot be imported at run time",
            "import it under 'if TYPE_CHECKING:'",
        ),
        (
            "src/runtime.py",
            2,
            "'from lib import Alias': 'Alias' is bound in module 'lib' only under TYPE_CHECKING, "
            "so it does not exist at run time",
            "use it only in annotations, or import it under 'if TYPE_CHECKING:'",
        ),
    ]


def test_dynamic_modules_and_ignored_names_accept_any_attribute(run_check, write) -> None:
    write("src/dyn.py", "def __getattr__(name):\n    return name\n")
    write("src/app.py", "import dyn\nimport re\nimport vendored.x\ndyn.anything\nre.MULTILINE\n")
    result = run_check(symbols, {"paths": ["src/app.py"], "roots": ["src"], "ignore": ["vendored"]})
    assert result.passed, result.findings


def test_an_import_guarded_by_except_import_error_is_optional(run_check, write) -> None:
    write(
        "app.py",
        """\
        try:
            import ujson_fast as json
        except ImportError:
            import json
        try:
            import nowhere_module
        finally:
            pass
        try:
            from json import fast_dumps
        except ImportError:
            fast_dumps = None
        json.dumps({})
        """,
    )
    result = run_check(symbols, {"paths": ["app.py"]})
    assert [(line, message) for line, message, _ in _messages(result)] == [
        (6, "no module named 'nowhere_module' exists in the repository or in the installed "
         "distributions"),
    ]  # fmt: skip


def test_star_imports_and_relative_imports_beyond_the_top(run_check, write) -> None:
    write("src/pkg/__init__.py", "from pkg.base import *\n")
    write("src/pkg/base.py", "def helper() -> None: ...\n")
    write("src/app.py", "import pkg\nfrom .. import nothing\npkg.helper()\npkg.helpr()\n")
    result = run_check(symbols, {"paths": ["src/app.py"], "roots": ["src"]})
    assert [(line, message) for line, message, _ in _messages(result)] == [
        (2, "relative import '..' goes beyond the top-level package"),
        (4, "'pkg.helpr': module 'pkg' has no attribute 'helpr'"),
    ]


def test_unparsable_files_and_unmatched_patterns_are_findings(run_check, write, where) -> None:
    write("src/broken.py", "def f(:\n")
    result = run_check(symbols, {"paths": ["src/*.py", "lib/*.py"]})
    assert where(result) == [
        ("symbols.missing", "lib/*.py", None, None),
        ("symbols.parse", "src/broken.py", None, None),
    ]
    assert "1 pattern matched nothing" in result.summary


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="root"):
        symbols.parse({"paths": ["a.py"], "root": ["src"]})
