"""``pytest-gates validate`` checks what collection checks, through the same code, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.cli.main import main

BAD = """\
version: 1
project: p
gates:
  - id: a
    class: structural
    timeout: 1e100
    needs: [qa.test]
    retyr: 2
    checks:
      - {id: x, kind: files, exist: 5}
      - {id: y, kind: covrage}
      - {id: z, kind: command, run: "ls -l"}
      - {id: w, kind: command, run: "ls -l", shell: false}
"""

KNOWN = (
    "artifacts, benchmark, command, coverage, differential, file_size, files, http, ledger, "
    "links, manifest_fresh, obligations, ready, release_report, research, schema, "
    "site_conformity, symbols, sync"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_mistake_is_reported_at_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "gates.yaml").write_text(BAD)
    assert main(["validate", "gates.yaml"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "gates.yaml:6: gates[id='a'].timeout: expected less than or equal to 86400, found '1e100'",
        "gates.yaml:8: gates[id='a']: unexpected key 'retyr'; expected one of: approval, "
        "blocking, checks, class, coverage, degrade, description, executor, expected_duration, id, "
        "needs, on_failure, override_window, retry, reviews, rollback, rollback_on, sequential, "
        "suites, "
        "timeout, together (did you mean 'retry'?)",
        "gates.yaml:7: gates[id='a'].needs[0]: expected the id of a gate in this manifest (a), "
        "found 'qa.test'",
        "gates.yaml:10: gates[id='a'].checks[id='x'].exist: expected a valid list, found 5",
        f"gates.yaml:11: gates[id='a'].checks[id='y'].kind: unknown check kind 'covrage' (known "
        f"kinds: {KNOWN}) (did you mean 'coverage'?); a plugin or the rootdir conftest.py "
        "registers kinds with pytest_gates_register_checks",
        "gates.yaml:12: gates[id='a'].checks[id='z'].run: expected a list of arguments "
        "(or shell: true)",
        "gates.yaml:13: gates[id='a'].checks[id='w'].run: expected a list of arguments "
        "(or shell: true)",
    ]


def test_a_kind_registered_by_the_rootdir_conftest_is_known(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "conftest.py").write_text(
        "from pytest_gates.checks.api import CheckParams, CheckResult, check_kind\n"
        "class P(CheckParams):\n"
        "    size: int\n"
        "@check_kind('mine', params=P)\n"
        "def mine(params, ctx):\n"
        "    return CheckResult(passed=True)\n"
        "def pytest_gates_register_checks(registry):\n"
        "    registry.register(mine)\n"
    )
    (project / "gates.yaml").write_text(
        "version: 1\nproject: p\ngates:\n"
        "  - {id: b, class: semantic, needs: [a], checks: [{id: x, kind: mine, size: 1}]}\n"
        "  - {id: a, class: structural, checks: [{id: x, kind: mine, size: big}]}\n"
    )
    assert main(["validate", "gates.yaml"]) == 1
    assert capsys.readouterr().err == (
        "gates.yaml:5: gates[id='a'].checks[id='x'].size: expected a valid integer, unable to "
        "parse string as an integer, found 'big'\n"
    )
    (project / "gates.yaml").write_text(
        (project / "gates.yaml").read_text().replace("size: big", "size: 2")
    )
    assert main(["validate", "gates.yaml"]) == 0
    assert capsys.readouterr().out == "gates.yaml: valid; 2 gates in order: a, b\n"


def test_a_conftest_that_fails_to_import_leaves_unknown_kinds_unreported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "conftest.py").write_text("raise RuntimeError('boom')\n")
    (project / "gates.yaml").write_text(
        "version: 1\nproject: p\ngates:\n  - {id: a, class: structural, checks: [{id: x, kind: mine}]}\n"
    )
    assert main(["validate", "gates.yaml"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "note: conftest.py not loaded: RuntimeError: boom; kinds it registers are not known here\n"
    )
    assert captured.out == "gates.yaml: valid; 1 gates in order: a\n"


def test_collection_refuses_the_parameters_validate_refuses(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        **{
            "manifests/gates": "version: 1\nproject: p\ngates:\n  - id: a\n    class: structural\n"
            "    checks:\n      - {id: x, kind: files, exist: 5}\n"
            '      - {id: z, kind: command, run: "ls -l"}\n'
        },
    )
    result = pytester.runpytest("--gates", "--collect-only", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: invalid gate manifest",
            "manifests/gates.yaml:7: gates[[]id='a'[]].checks[[]id='x'[]].exist: expected a valid "
            "list, found 5",
            "manifests/gates.yaml:8: gates[[]id='a'[]].checks[[]id='z'[]].run: expected a list of "
            "arguments (or shell: true)",
        ]
    )
