"""The ``coverage`` kind: a test selection, run under coverage, covers at least a minimum.

pytest runs in a subprocess (``python -m coverage run -m pytest ...``) with a clean environment;
the measurement is then read in this process through coverage's API, and the failing tests through
the small plugin the subprocess loads (:mod:`pytest_gates.checks.testfailures`).

For a gate whose tests should be items of the gate session itself (spread over xdist workers and
shards), give the gate ``suites`` and a ``coverage`` block instead (:mod:`pytest_gates.session.suitecov`).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import coverage as coverage_py
from coverage.exceptions import CoverageException
from pydantic import Field, JsonValue

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.process import output_tail, reproducible, run_process
from pytest_gates.checks.testfailures import FAILURES_ENV, PLUGIN, read_failures
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, sorted_findings
from pytest_gates.model.names import NESTED_ENV
from pytest_gates.outputs.coverdata import below_min, percent_text, reaches
from pytest_gates.support.paths import RelPath, plural

#: Variables that would let an outer pytest, xdist worker or coverage run leak into ours.
_LEAKY_PREFIXES: Final = ("PYTEST_XDIST_", "COV_CORE_")
_LEAKY_NAMES: Final = frozenset(
    {"PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"}
)
_PYTEST_CRASHES: Final = {2: "interrupted", 3: "internal error", 4: "usage error"}


class CoverageParams(CheckParams):
    """Parameters of ``coverage``."""

    #: Arguments for pytest: test paths, ``-m``, ``-n 2``, ...
    run: list[str] = Field(default_factory=list)
    #: The least total coverage that passes, as a fraction (0.85 is 85 %).
    min: float = Field(gt=0, le=1)
    #: What to measure (``--source``); empty lets the project's coverage configuration decide.
    source: list[RelPath] = Field(default_factory=list)
    #: How many of the least covered files to name.
    worst: int = Field(default=5, ge=0)
    #: A coverage configuration file; by default coverage finds one in the rootdir.
    config: RelPath | None = None


@dataclass(frozen=True)
class FileCoverage:
    path: str
    percent: float
    missing_lines: str


@dataclass(frozen=True)
class Measurement:
    #: Percent, as coverage reports it (statements, and branches when measured).
    total: float
    files: list[FileCoverage]


def clean_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without what an outer pytest, xdist or coverage process set for itself."""
    clean = {
        name: value
        for name, value in environ.items()
        if name not in _LEAKY_NAMES and not name.startswith(_LEAKY_PREFIXES)
    }
    # A project with --gates in its addopts would otherwise run the gates again, forever.
    clean[NESTED_ENV] = "1"
    return clean


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    # coverage resolves relative paths in its configuration and data against the cwd.
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def measure(ctx: CheckContext, data_file: Path, config: Path | None) -> Measurement | None:
    """The coverage recorded in ``data_file`` (combining parallel files); None if there is none."""
    with warnings.catch_warnings(), _working_directory(ctx.rootdir):
        # Coverage warns about "no data" and the like; our caller decides what that means.
        warnings.simplefilter("ignore")
        try:
            cov = coverage_py.Coverage(
                data_file=str(data_file),
                config_file=str(config) if config is not None else True,
                messages=False,
            )
            cov.load()
            if any(data_file.parent.glob(data_file.name + ".*")):
                cov.combine(data_paths=[str(data_file.parent)], keep=False)
            measured = sorted(cov.get_data().measured_files())
        except CoverageException as exc:
            problem = reproducible(str(exc), ctx.rootdir, ctx.tmp_path)
            raise CheckError(
                f"coverage could not read its configuration or data: {problem}"
            ) from None
        if not measured:
            return None
        try:
            total = cov.report(file=io.StringIO())
        except CoverageException:
            return None
        files = []
        for filename in measured:
            try:
                # Per-file report: honours include/omit and counts branches like the total.
                percent = cov.report(morfs=[filename], file=io.StringIO())
                missing = cov.analysis2(filename)[4]
            except CoverageException:
                continue  # omitted from the report, or not Python source
            files.append(FileCoverage(ctx.relative(Path(filename)), percent, missing))
    return Measurement(total=total, files=files)


@check_kind("coverage", params=CoverageParams, idempotent=False)
def coverage(params: CoverageParams, ctx: CheckContext) -> CheckResult:
    """The tests cover at least ``min`` of the code."""
    config = ctx.resolve(params.config) if params.config is not None else None
    if config is not None and not config.is_file():
        raise CheckError(f"coverage configuration file not found: '{params.config}'")
    data_file = ctx.tmp_path / ".coverage"
    argv = [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}"]
    if params.source:
        argv.append(f"--source={','.join(params.source)}")
    if config is not None:
        argv.append(f"--rcfile={config}")
    argv += ["-m", "pytest", "-p", PLUGIN, *params.run]
    failures_file = ctx.tmp_path / "failures.json"
    env = clean_environ(ctx.environ)
    env[FAILURES_ENV] = str(failures_file)
    try:
        proc = run_process(
            argv,
            cwd=ctx.rootdir,
            env=env,
            timeout=ctx.timeout,
            merge_stderr=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckError(f"the test run under coverage timed out after {exc.timeout:g} s") from None
    # What enters the evidence body must not depend on where or when the tests ran.
    output = reproducible(proc.stdout, ctx.rootdir, ctx.tmp_path)
    code = proc.returncode
    if code not in (0, 1, 5):
        what = _PYTEST_CRASHES.get(code, f"killed by signal {-code}" if code < 0 else "crashed")
        raise CheckError(
            f"pytest under coverage exited with code {code} ({what}): {_reason(output)}"
        )

    details: dict[str, JsonValue] = {"pytest_exit_code": code, "min": params.min}
    if code == 5:
        finding = Finding(
            rule="coverage.no_tests",
            message=f"pytest collected no tests from: {' '.join(params.run) or '(rootdir)'}",
            fix_hint="check the test paths and the -m/-k selection in run",
        )
        return _result(False, "no tests collected (pytest exit code 5)", [finding], details, output)
    measurement = measure(ctx, data_file, config)
    if measurement is None:
        raise CheckError(
            "coverage collected no data (check source and the coverage configuration): "
            + _coverage_warnings(output)
        )
    worst = sorted(
        (f for f in measurement.files if f.percent < 100.0), key=lambda f: (f.percent, f.path)
    )[: params.worst]
    details.update(
        total=round(measurement.total / 100.0, 4),
        worst=[
            {"path": f.path, "percent": round(f.percent, 2), "missing_lines": f.missing_lines}
            for f in worst
        ],
    )
    total_text = f"total {percent_text(measurement.total)}"
    if code == 1:
        findings = _failed_tests(failures_file)
        failed = plural(len(findings), "test") if findings[0].location.path else "tests"
        summary = f"{failed} failed; {total_text}"
        return _result(False, summary, findings, details, output)
    minimum = f"minimum {params.min * 100:.1f}%"
    if reaches(measurement.total, params.min):
        return _result(True, f"{total_text} >= {minimum}", [], details, output)
    finding = below_min(measurement.total, params.min, [(f.path, f.percent) for f in worst])
    return _result(False, f"{total_text} < {minimum}", [finding], details, output)


def _result(
    passed: bool, summary: str, findings: list[Finding], details: dict[str, JsonValue], output: str
) -> CheckResult:
    return CheckResult(
        passed=passed,
        summary=summary,
        findings=sorted_findings(findings),
        details=details,
        output=output_tail(output),
    )


def _failed_tests(failures_file: Path) -> list[Finding]:
    """One finding per failing test: its node id, file, line and full (bounded) message."""
    findings = [f.finding("coverage.tests_failed") for f in read_failures(failures_file)]
    if not findings:
        findings.append(
            Finding(
                rule="coverage.tests_failed",
                message="pytest reported failures (exit code 1); see the output",
            )
        )
    return findings


def _reason(output: str) -> str:
    """The line of pytest's output that best says why it stopped."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    usage = [line for line in lines if ": error: " in line]
    if usage:
        return usage[-1].strip()
    # The last exception pytest printed ("E   ModuleNotFoundError: ..."), then its summary lines.
    for prefix in ("E   ", "INTERNALERROR> ", "ERROR "):
        found = [line for line in lines if line.startswith(prefix)]
        if found:
            return found[-1].removeprefix("E   ").strip()
    return lines[-1].strip() if lines else "(no output)"


def _coverage_warnings(output: str) -> str:
    found = re.findall(r"CoverageWarning: (.*?)(?: \([a-z-]+\); see .*)?$", output, re.MULTILINE)
    return "; ".join(dict.fromkeys(found)) or _reason(output)
