from __future__ import annotations

import dataclasses
import shlex
import sys
import time

import pytest
from pydantic import ValidationError

from pytest_gates.checks.command import command
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location

PY = sys.executable


def _script(code: str) -> list[str]:
    return [PY, "-c", code]


def test_exit_code_zero_passes(run_check) -> None:
    result = run_check(command, {"run": _script("print('hello')")})
    assert result.passed
    assert result.summary == "exit code 0 (expected 0)"
    assert result.findings == []
    assert result.details == {"exit_code": 0, "expected": [0], "findings": 0}
    assert result.output == "hello"


def test_another_exit_code_fails_with_a_finding(run_check) -> None:
    run = _script("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)")
    result = run_check(command, {"run": run})
    assert not result.passed
    assert result.summary == "exit code 3 (expected 0)"
    assert result.findings == [
        Finding(
            rule="command.exit_code",
            message=f"{shlex.join(run)} exit code 3 (expected 0)",
            fix_hint="run the command locally and read its output",
        )
    ]
    assert result.details["exit_code"] == 3
    assert result.output == "out\nerr"


def test_expect_lists_the_passing_exit_codes(run_check) -> None:
    result = run_check(command, {"run": _script("raise SystemExit(1)"), "expect": [0, 1]})
    assert result.passed
    assert result.summary == "exit code 1 (expected 0 or 1)"
    result = run_check(command, {"run": _script("pass"), "expect": [1]})
    assert not result.passed
    assert result.summary == "exit code 0 (expected 1)"


def test_cwd_and_env(run_check, write, check_ctx) -> None:
    write("sub/marker.txt", "x")
    code = "import os; print(os.listdir('.'), os.environ['GATE_VAR'], 'PATH' in os.environ)"
    result = run_check(command, {"run": _script(code), "cwd": "sub", "env": {"GATE_VAR": "v1"}})
    assert result.output == "['marker.txt'] v1 True"


def test_a_string_needs_shell(run_check) -> None:
    with pytest.raises(ValidationError) as info:
        command.parse({"run": "ruff check ."})
    (error,) = info.value.errors()
    assert error["loc"] == ("run",)
    assert error["msg"] == "Value error, expected a list of arguments (or shell: true)"
    with pytest.raises(ValidationError, match="at least 1 item"):
        command.parse({"run": []})


def test_shell_runs_a_string_or_a_quoted_list(run_check, write) -> None:
    result = run_check(command, {"run": "echo one && echo two; exit 4", "shell": True})
    assert not result.passed
    assert result.summary == "exit code 4 (expected 0)"
    assert result.output == "one\ntwo"
    result = run_check(command, {"run": ["echo", "a b", "$HOME"], "shell": True})
    # The list is quoted for the shell: no word splitting, no expansion.
    assert result.output == "a b $HOME"


def test_no_shell_means_no_shell(run_check) -> None:
    result = run_check(command, {"run": ["echo", "$HOME", "&&", "false"]})
    assert result.passed
    assert result.output == "$HOME && false"


def test_a_missing_executable_raises(run_check) -> None:
    with pytest.raises(CheckError) as info:
        run_check(command, {"run": ["no-such-tool-4821", "--version"]})
    assert str(info.value) == (
        "command not found: 'no-such-tool-4821' (is it installed in this environment?)"
    )


def test_a_missing_command_in_the_shell_raises(run_check) -> None:
    with pytest.raises(
        CheckError,
        match=r"^the shell could not run the command \(command not found, exit code 127\): no-such-tool-4821$",
    ):
        run_check(command, {"run": "no-such-tool-4821", "shell": True})


def test_a_missing_working_directory_raises(run_check) -> None:
    with pytest.raises(CheckError, match=r"^working directory not found: 'nowhere'$"):
        run_check(command, {"run": ["true"], "cwd": "nowhere"})


def test_the_timeout_is_a_backstop(check_ctx) -> None:
    ctx = dataclasses.replace(check_ctx, timeout=0.5)
    params = command.parse({"run": _script("import time; time.sleep(30)")})
    with pytest.raises(CheckError, match=r"^command timed out after 0.5 s: "):
        command.run(params, ctx)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_signal_is_a_failure(run_check) -> None:
    result = run_check(
        command, {"run": _script("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")}
    )
    assert not result.passed
    assert result.summary == "killed by signal 9 (expected exit code 0)"


def test_ruff_findings_from_a_real_run(run_check, write) -> None:
    write("src/a.py", "import os\n")
    write("src/ok.py", "X = 1\n")
    run = [
        PY,
        "-m",
        "ruff",
        "check",
        "--output-format=json",
        "--no-cache",
        "--isolated",
        "--select=F",
        ".",
    ]
    result = run_check(command, {"run": run, "findings": "ruff"})
    assert not result.passed
    assert result.summary == "exit code 1 (expected 0); 1 finding"
    assert result.findings == [
        Finding(
            rule="F401",
            location=Location(path="src/a.py", line=1, column=8),
            message="`os` imported but unused",
            fix_hint="Remove unused import: `os`",
        )
    ]
    assert result.details == {"exit_code": 1, "expected": [0], "findings": 1}


def test_ruff_clean_run_passes(run_check, write) -> None:
    write("src/ok.py", "X = 1\n")
    run = [PY, "-m", "ruff", "check", "--output-format=json", "--no-cache", "--isolated", "."]
    result = run_check(command, {"run": run, "findings": "ruff"})
    assert result.passed
    assert result.summary == "exit code 0 (expected 0); 0 findings"
    assert result.findings == []


def test_mypy_findings_from_a_real_run_in_a_subdirectory(run_check, write) -> None:
    write("pkg/mod.py", "def f(a: int) -> str:\n    return a\n")
    run = [
        PY,
        "-m",
        "mypy",
        "--no-incremental",
        "--cache-dir=/dev/null",
        "--show-column-numbers",
        "mod.py",
    ]
    result = run_check(command, {"run": run, "cwd": "pkg", "findings": "mypy"})
    assert not result.passed
    assert result.summary == "exit code 1 (expected 0); 1 finding"
    # mypy printed "mod.py"; relative to the rootdir it is pkg/mod.py.
    assert result.findings == [
        Finding(
            rule="return-value",
            location=Location(path="pkg/mod.py", line=2, column=12),
            message='Incompatible return value type (got "int", expected "str")',
        )
    ]


def test_output_that_is_not_in_the_format_does_not_crash(run_check) -> None:
    run = _script("import sys; print('ruff: error: unexpected argument'); sys.exit(2)")
    result = run_check(command, {"run": run, "findings": "ruff"})
    assert not result.passed
    assert result.summary == "exit code 2 (expected 0); 1 finding"
    (finding,) = result.findings
    assert finding.rule == "ruff.unparsed"
    assert "output starts: ruff: error: unexpected argument" in finding.message


def test_generic_findings_with_absolute_paths(run_check, check_ctx) -> None:
    root = check_ctx.rootdir
    code = (
        "import sys\n"
        f"print({str(root / 'docs' / 'b.md')!r} + ':7: bad link', file=sys.stderr)\n"
        "print('docs/a.md:3:5: trailing space')\n"
        "sys.exit(1)\n"
    )
    result = run_check(command, {"run": _script(code), "findings": "generic"})
    assert [
        (f.rule, f.location.path, f.location.line, f.location.column, f.message)
        for f in result.findings
    ] == [
        ("generic", "docs/a.md", 3, 5, "trailing space"),
        ("generic", "docs/b.md", 7, None, "bad link"),
    ]
    assert str(root) not in result.model_dump_json(exclude={"output"})


def test_a_failing_command_with_a_parser_but_no_findings_still_has_one(run_check) -> None:
    result = run_check(command, {"run": _script("raise SystemExit(1)"), "findings": "generic"})
    assert [f.rule for f in result.findings] == ["command.exit_code"]


def test_same_files_same_result(run_check, write) -> None:
    write("src/a.py", "import os\nimport sys\n")
    run = [PY, "-m", "ruff", "check", "--output-format=json", "--no-cache", "--isolated", "."]
    first = run_check(command, {"run": run, "findings": "ruff"})
    second = run_check(command, {"run": run, "findings": "ruff"})
    assert first == second


def test_a_file_that_is_not_executable_raises(run_check, write) -> None:
    write("tool.sh", "#!/bin/sh\necho hi\n")
    with pytest.raises(CheckError, match=r"^command is not executable: './tool.sh'$"):
        run_check(command, {"run": ["./tool.sh"]})


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_the_timeout_ends_the_commands_children_too(check_ctx) -> None:
    # The background sleep keeps stdout open: unless it is killed too, reading would block.
    ctx = dataclasses.replace(check_ctx, timeout=0.5)
    params = command.parse({"run": "sleep 30 & sleep 30", "shell": True})
    start = time.monotonic()
    with pytest.raises(CheckError, match=r"^command timed out after 0.5 s: sleep 30 & sleep 30$"):
        command.run(params, ctx)
    assert time.monotonic() - start < 10


def test_the_output_in_the_evidence_depends_only_on_the_inputs(run_check, check_ctx) -> None:
    # Durations, the rootdir, the scratch folder, a pid and an address vary from run to run.
    code = (
        "import os, sys; "
        "print('3 passed in 3.46s; 1 failed in 61.20s (0:01:01); took 12ms; 0.5 seconds'); "
        f"print(os.getcwd() + '/src/a.py:1: pid ' + str(os.getpid()) + ' at 0x7f3a2b1c9d00'); "
        f"print({str(check_ctx.tmp_path)!r} + '/.coverage', file=sys.stderr); "
        "sys.exit(1)"
    )
    result = run_check(command, {"run": _script(code)})
    assert result.output == (
        "3 passed in <duration>; 1 failed in <duration>; took <duration>; <duration>\n"
        "<rootdir>/src/a.py:1: pid <pid> at 0x<address>\n"
        "<tmp>/.coverage"
    )


def test_finding_messages_are_normalised_too(run_check) -> None:
    code = "print('src/a.py:1: error: slow call took 1.25s  [misc]'); raise SystemExit(1)"
    result = run_check(command, {"run": _script(code), "findings": "mypy"})
    assert [f.message for f in result.findings] == ["slow call took <duration>"]


def test_mypy_json_findings_from_a_real_run(run_check, write) -> None:
    write("pkg/mod.py", "def f(a: int) -> str:\n    return a\n\n\nimport nosuchmod\n")
    run = [PY, "-m", "mypy", "--no-incremental", "--cache-dir=/dev/null", "-O", "json", "mod.py"]
    result = run_check(command, {"run": run, "cwd": "pkg", "findings": "mypy"})
    assert not result.passed
    assert result.summary == "exit code 1 (expected 0); 2 findings"
    assert [(f.rule, f.severity, f.location, f.fix_hint is not None) for f in result.findings] == [
        ("return-value", "major", Location(path="pkg/mod.py", line=2, column=12), False),
        ("import-not-found", "major", Location(path="pkg/mod.py", line=5, column=1), True),
    ]
    assert result.findings[1].fix_hint == (
        "See https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports"
    )
