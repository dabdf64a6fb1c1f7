"""Hostile manifests (issue 15): refused quickly, located, never a traceback; loading stays linear.

Alias bombs, deep nesting, oversize files and numbers out of range are each refused as a
manifest error with the file and the line, in well under a second. A property-based test
mutates a valid manifest and asserts that loading (as ``validate`` and collection do) always ends
quickly in a located error or a valid manifest; a few of the mutants run through real
``pytest --gates --collect-only`` and ``pytest-gates validate`` processes.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_gates.checks.api import CheckRegistry
from pytest_gates.checks.lazy import pytest_gates_register_checks
from pytest_gates.errors import ManifestError
from pytest_gates.model.graph import find_cycle, topological_order
from pytest_gates.model.load import load_manifest
from pytest_gates.model.parse import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH

#: A hang guard, not a measurement: how fast hostile input is refused is measured in
#: benchmarks/bench_overhead.py; here a test that does not end is a failure, not a wait.
pytestmark = pytest.mark.timeout(60)

HEAD = "version: 1\nproject: demo\n"
GOOD = (
    HEAD
    + "gates:\n"
    + "  - id: author.files\n"
    + "    class: structural\n"
    + "    timeout: 60\n"
    + "    checks:\n"
    + "      - {id: one, kind: files, exist: [gates.yaml]}\n"
    + "  - id: qa.lint\n"
    + "    class: structural\n"
    + "    needs: [author.files]\n"
    + "    on_failure: retry\n"
    + "    retry: {attempts: 2, backoff: [1]}\n"
    + "    checks:\n"
    + "      - {id: ruff, kind: command, run: [ruff, check, .]}\n"
)
#: A located problem: ``file:line: ...`` (or ``file:line:column: invalid YAML``), or one about
#: the whole file (``file: ...``).
LOCATED = re.compile(r"^gates\.yaml(:\d+(:\d+)?)?: \S")


def kinds() -> CheckRegistry:
    registry = CheckRegistry()
    pytest_gates_register_checks(registry)
    return registry


def load(tmp_path: Path, text: str | bytes) -> list[str]:
    """The problems of ``text`` as a manifest ([] when valid)."""
    path = tmp_path / "gates.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_manifest(path, "gates.yaml", tmp_path, kinds(), unknown_kinds=True)
    except ManifestError as exc:
        problems = exc.problems
    else:
        problems = []
    return problems


def billion_laughs(levels: int = 9) -> str:
    lines = [HEAD.rstrip("\n"), "lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]")
    lines.append(f"gates: [*lol{levels}]")
    return "\n".join(lines) + "\n"


def test_the_good_manifest_loads(tmp_path: Path) -> None:
    assert load(tmp_path, GOOD) == []


def test_an_alias_bomb_is_refused_at_the_alias_that_expands_too_far(tmp_path: Path) -> None:
    text = billion_laughs()
    assert len(text) < 1000
    assert load(tmp_path, text) == [
        f"gates.yaml:8: lol5[0]: expected aliases to add at most {MAX_ALIAS_NODES} nodes in all, "
        "found 8335593937 (an alias bomb)"
    ]


def test_an_alias_to_a_node_that_contains_it_is_refused(tmp_path: Path) -> None:
    text = HEAD + "gates: &g\n  - id: a\n    class: structural\n    checks: *g\n"
    assert load(tmp_path, text) == [
        "gates.yaml:6: gates[id='a'].checks: expected an alias to a finished node, "
        "found one to a node that contains it"
    ]


def test_honest_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    text = (
        HEAD
        + "gates:\n"
        + "  - id: a\n"
        + "    class: structural\n"
        + "    checks:\n"
        + "      - &files {id: x, kind: files, exist: [gates.yaml]}\n"
        + "      - {<<: *files, id: y}\n"
        + "  - {id: b, class: structural, checks: [*files]}\n"
    )
    assert load(tmp_path, text) == []
    loaded = load_manifest(tmp_path / "gates.yaml", "gates.yaml", tmp_path)
    assert [c.id for c in loaded.manifest.gate("a").checks] == ["x", "y"]
    # the lines still come from the document as written (merge keys included)
    assert loaded.document.root is not None


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_nesting_past_the_limit_is_refused_where_it_goes_too_deep(
    tmp_path: Path, flow: bool
) -> None:
    depth = MAX_DEPTH + 5
    if flow:
        text = HEAD + "gates:\n  - " + "[" * depth + "]" * depth + "\n"
    else:
        text = HEAD + "gates:\n" + "".join("  " * (i + 1) + f"- k{i}:\n" for i in range(depth))
    (problem,) = load(tmp_path, text)
    assert problem.startswith("gates.yaml:")
    assert problem.endswith(f": expected at most {MAX_DEPTH} levels of nesting, found more")


def test_five_thousand_levels_are_a_yaml_error_not_a_recursion_error(tmp_path: Path) -> None:
    text = HEAD + "gates:\n  - " + "[" * 5000 + "]" * 5000 + "\n"
    (problem,) = load(tmp_path, text)
    assert re.fullmatch(
        r"gates\.yaml:4:\d+: invalid YAML: (exceeded maximum nesting depth|.*)", problem
    )


def test_an_oversize_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    assert load(tmp_path, b"#" * (MAX_BYTES + 1)) == [
        f"gates.yaml: expected a file of at most {MAX_BYTES} bytes, found a larger one"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1e100", "expected less than or equal to 86400, found '1e100'"),
        ("1.0e+308", "expected less than or equal to 86400, found 1e+308"),
        ("1e-308", "expected greater than or equal to 0.1, found '1e-308'"),
        ("-1", "expected greater than or equal to 0.1, found -1"),
        (".nan", "expected a finite number, found nan"),
        (".inf", "expected a finite number, found inf"),
    ],
)
def test_every_time_limit_is_bounded(tmp_path: Path, value: str, expected: str) -> None:
    text = GOOD.replace("timeout: 60", f"timeout: {value}")
    assert load(tmp_path, text) == [f"gates.yaml:6: gates[id='author.files'].timeout: {expected}"]
    text = GOOD.replace("    timeout: 60\n", "").replace(
        "version: 1\n", "version: 1\ndefaults:\n  timeout: " + value + "\n"
    )
    assert load(tmp_path, text) == [f"gates.yaml:3: defaults.timeout: {expected}"]


def test_retry_attempts_backoff_and_durations_are_bounded(tmp_path: Path) -> None:
    text = GOOD.replace("attempts: 2, backoff: [1]", "attempts: 1000000, backoff: [.inf, 1e9]")
    text = text.replace("timeout: 60", "timeout: 60\n    expected_duration: 1e300")
    assert load(tmp_path, text) == [
        "gates.yaml:7: gates[id='author.files'].expected_duration: expected less than or equal "
        "to 86400, found '1e300'",
        "gates.yaml:14: gates[id='qa.lint'].retry.attempts: expected less than or equal to 20, "
        "found 1000000",
        "gates.yaml:14: gates[id='qa.lint'].retry.backoff[0]: expected a finite number, found inf",
        "gates.yaml:14: gates[id='qa.lint'].retry.backoff[1]: expected less than or equal to 3600, "
        "found '1e9'",
    ]


def test_a_long_chain_of_needs_loads_in_linear_time(tmp_path: Path) -> None:
    gates = 5000
    lines = [HEAD + "gates:"]
    for g in range(gates):
        needs = f", needs: [g{g - 1}]" if g else ""
        lines.append(f"  - {{id: g{g}, class: structural{needs}, checks: [{{id: c, kind: k}}]}}")
    path = tmp_path / "gates.yaml"
    path.write_text("\n".join(lines) + "\n")
    loaded = load_manifest(path, "gates.yaml", tmp_path)
    assert loaded.order[:2] == ("g0", "g1")
    assert len(loaded.order) == gates
    needs = loaded.manifest.needs()
    assert find_cycle(needs) is None
    assert topological_order(needs) == [f"g{g}" for g in range(gates)]


# --- property-based: mutants of a valid manifest -------------------------------------------

BASE: dict[str, Any] = yaml.safe_load(GOOD)
HUGE = st.sampled_from(
    [1e100, 1e308, -1e308, 1e-308, math.inf, -math.inf, math.nan, 10**400, -1, 0]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), HUGE, st.floats())


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutants(draw: st.DrawFn) -> str:
    """A valid manifest with a few mutations: keys deleted, duplicated, retyped, nested, huge
    numbers, aliases (as YAML text)."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "retype", "nest", "huge", "duplicate", "rename"]))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(st.one_of(SCALARS, st.just([]), st.just({})))
        elif action == "nest":
            parent[key] = {"x": [parent[key]]} if draw(st.booleans()) else [[parent[key]]]
        elif action == "huge":
            parent[key] = draw(HUGE)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "rename" and isinstance(parent, dict):
            parent[f"{key}x"] = parent.pop(key)
    text = yaml.safe_dump(data, sort_keys=False)
    tail = draw(
        st.sampled_from(
            [
                "",
                "a: &a [1, 2]\nb: [*a, *a]\n",
                "project: twice\n",
                billion_laughs(6),
                "x: " + "[" * 70 + "]" * 70 + "\n",
            ]
        )
    )
    return text + tail.replace(HEAD, "")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutants())
def test_a_mutated_manifest_loads_or_gives_located_problems(tmp_path: Path, text: str) -> None:
    problems = load(tmp_path, text)  # raises nothing but ManifestError, in under a second
    assert all(LOCATED.match(problem) for problem in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(),
        HEAD + "gates:\n  - " + "[" * 5000 + "]" * 5000 + "\n",
        GOOD.replace("timeout: 60", "timeout: 1e100"),
        GOOD.replace("timeout: 60", "timeout: 1e-308"),
        GOOD.replace("run: [ruff, check, .]", "run: ruff check ."),
    ],
    ids=["alias-bomb", "deep", "timeout-huge", "timeout-tiny", "run-string"],
)
def test_collection_and_validate_refuse_without_a_traceback(tmp_path: Path, text: str) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "gates.yaml").write_text(text)
    (tmp_path / "gates.yaml").write_text("")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    for argv, status in [
        (
            [sys.executable, "-m", "pytest", "--gates", "--collect-only", "-p", "no:cacheprovider"],
            4,
        ),
        ([sys.executable, "-m", "pytest_gates", "validate", "manifests/gates.yaml"], 1),
    ]:
        done = subprocess.run(
            argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        output = done.stdout + done.stderr
        assert done.returncode == status, output
        assert "Traceback" not in output, output
        assert "INTERNALERROR" not in output, output
        assert "manifests/gates.yaml:" in output, output


def test_without_libyaml_deep_nesting_is_still_a_located_yaml_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_gates.model import parse

    monkeypatch.setattr(parse, "LOADER", parse._PyLoader)
    assert load(tmp_path, GOOD) == []
    (problem,) = load(tmp_path, HEAD + "gates:\n  - " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem == "gates.yaml:4:203: invalid YAML: exceeded maximum nesting depth"
    assert load(tmp_path, billion_laughs())[0].endswith("(an alias bomb)")
