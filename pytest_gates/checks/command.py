"""The ``command`` kind: run a tool, pass on its exit code, read findings from its output."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path, PurePath
from typing import Annotated, Final

from pydantic import Field, ValidationInfo, field_validator

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.parsers import PARSERS, PathMapper, ToolFormat
from pytest_gates.checks.process import output_tail, reproducible, run_process
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, sorted_findings
from pytest_gates.support.paths import RelPath, plural

#: Exit codes by which a POSIX shell says it could not run the command at all.
_SHELL_FAILURES: Final = {126: "not executable", 127: "command not found"}


class CommandParams(CheckParams):
    """Parameters of ``command``."""

    #: Run ``run`` through the shell; only then may ``run`` be a single string.
    shell: bool = False
    run: Annotated[list[str], Field(min_length=1)] | Annotated[str, Field(min_length=1)]
    #: Working directory, relative to the rootdir (default: the rootdir).
    cwd: RelPath | None = None
    #: Variables set on top of the session's environment.
    env: dict[str, str] = Field(default_factory=dict)
    #: Exit codes that mean "passed".
    expect: list[int] = Field(default_factory=lambda: [0], min_length=1)
    #: The format of the tool's output to read findings from.
    findings: ToolFormat | None = None

    @field_validator("run")
    @classmethod
    def _string_needs_shell(cls, value: list[str] | str, info: ValidationInfo) -> list[str] | str:
        if isinstance(value, str) and not info.data.get("shell", False):
            raise ValueError("expected a list of arguments (or shell: true)")
        return value

    def argv(self) -> list[str] | str:
        """What to hand to subprocess: the argument list, or one string for the shell."""
        if not self.shell:
            return list(self.run)
        return self.run if isinstance(self.run, str) else shlex.join(self.run)

    def display(self) -> str:
        return self.run if isinstance(self.run, str) else shlex.join(self.run)


def path_mapper(ctx: CheckContext, cwd: Path) -> PathMapper:
    """Map a path a tool printed (absolute, or relative to ``cwd``) to a rootdir-relative one."""
    roots = {os.path.normpath(ctx.rootdir), os.path.normpath(ctx.rootdir.resolve())}

    def relative(printed: str) -> str:
        path = PurePath(printed)
        full = os.path.normpath(path if path.is_absolute() else cwd / path)
        for root in sorted(roots):
            if full == root or full.startswith(root + os.sep):
                return PurePath(os.path.relpath(full, root)).as_posix()
        return printed

    return relative


@check_kind("command", params=CommandParams, idempotent=True)
def command(params: CommandParams, ctx: CheckContext) -> CheckResult:
    """Run a command; it passes when its exit code is one of ``expect``."""
    cwd = ctx.resolve(params.cwd) if params.cwd is not None else ctx.rootdir
    if not cwd.is_dir():
        raise CheckError(f"working directory not found: '{params.cwd}'")
    program = params.run if isinstance(params.run, str) else params.run[0]
    try:
        proc = run_process(
            params.argv(),
            shell=params.shell,
            cwd=cwd,
            env={**ctx.environ, **params.env},
            timeout=ctx.timeout,
        )
    except FileNotFoundError:
        raise CheckError(
            f"command not found: '{program}' (is it installed in this environment?)"
        ) from None
    except PermissionError:
        raise CheckError(f"command is not executable: '{program}'") from None
    except subprocess.TimeoutExpired as exc:
        raise CheckError(f"command timed out after {exc.timeout:g} s: {params.display()}") from None
    if params.shell and proc.returncode in _SHELL_FAILURES and proc.returncode not in params.expect:
        raise CheckError(
            f"the shell could not run the command ({_SHELL_FAILURES[proc.returncode]}, exit code "
            f"{proc.returncode}): {params.display()}"
        )
    stdout, stderr = proc.stdout, proc.stderr
    # What enters the evidence body must not depend on where or when the tool ran.
    folders = (ctx.rootdir, ctx.tmp_path)
    passed = proc.returncode in params.expect

    findings: list[Finding] = []
    if params.findings is not None:
        # JSON reports go to stdout; line formats may use either stream.
        text = stdout if params.findings in ("ruff", "bandit") else f"{stdout}\n{stderr}"
        findings = [
            finding.model_copy(update={"message": reproducible(finding.message, *folders)})
            for finding in PARSERS[params.findings](text, path_mapper(ctx, cwd))
        ]
    if not passed and not findings:
        findings = [_exit_code_finding(params, proc.returncode)]

    summary = _exit_summary(proc.returncode, params.expect)
    if params.findings is not None:
        summary += f"; {plural(len(findings), 'finding')}"
    return CheckResult(
        passed=passed,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "exit_code": proc.returncode,
            "expected": list(params.expect),
            "findings": len(findings),
        },
        output=reproducible(output_tail(stdout, stderr), *folders),
    )


def _exit_summary(code: int, expect: list[int]) -> str:
    if code < 0:
        return f"killed by signal {-code} (expected exit code {_codes(expect)})"
    return f"exit code {code} (expected {_codes(expect)})"


def _codes(expect: list[int]) -> str:
    return " or ".join(str(code) for code in expect)


def _exit_code_finding(params: CommandParams, code: int) -> Finding:
    return Finding(
        rule="command.exit_code",
        message=f"{params.display()} {_exit_summary(code, params.expect)}",
        fix_hint="run the command locally and read its output",
    )
