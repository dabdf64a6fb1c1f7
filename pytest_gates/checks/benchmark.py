"""The ``benchmark`` kind: measure, instead of trusting a committed number.

The command runs ``warmup`` times unmeasured, then ``repeat`` times measured (wall clock); the
median must be at most ``max`` seconds, and at most ``max_regression`` (a fraction) slower than
the ``baseline`` result's median. The measurement is written to ``result``::

    {"median": 0.31, "samples": [...], "unit": "s", "command": [...],
     "inputs_sha256": "sha256:...", "digest": "sha256:..."}

bound to the digest of its ``inputs`` (the files the measured code depends on) and sealed by
``digest``, the sha256 of the canonical JSON of everything else in the file. A result file (the
previous ``result`` or the ``baseline``) whose digest does not match its content was edited by
hand, and is a finding: editing a committed median to ``1e-05`` no longer passes anything.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.process import output_tail, reproducible, run_process
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.atomic import atomic_write
from pytest_gates.support.digest import json_digest, tree_digest
from pytest_gates.support.paths import RelPath


class BenchmarkParams(CheckParams):
    """Parameters of ``benchmark``."""

    #: The command to measure, as an argument list.
    run: list[str] = Field(min_length=1)
    cwd: RelPath | None = None
    env: dict[str, str] = Field(default_factory=dict)
    #: The files the measurement depends on (globs or folders): their digest binds the result.
    inputs: list[RelPath] = Field(min_length=1)
    #: Where the measurement is written (JSON).
    result: RelPath
    repeat: int = Field(default=5, ge=1, le=1000)
    warmup: int = Field(default=1, ge=0, le=100)
    #: The most the median may take, in seconds.
    max: float | None = Field(default=None, gt=0)
    #: A committed result to compare with.
    baseline: RelPath | None = None
    #: How much slower than the baseline's median the median may be (0.2: 20 %).
    max_regression: float | None = Field(default=None, ge=0)


def seal(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with its ``digest``: the sha256 of the canonical JSON of the rest."""
    body = {key: value for key, value in result.items() if key != "digest"}
    return {**body, "digest": json_digest(body)}


def read_sealed(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A result file's data, or why it cannot be trusted."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"not a readable JSON result ({exc})"
    if not isinstance(data, dict) or not isinstance(data.get("median"), int | float):
        return None, "not a benchmark result (no median)"
    if seal(data).get("digest") != data.get("digest"):
        return None, "edited by hand: its digest does not match its content"
    return data, None


def _finding(rule: str, path: str | None, message: str, hint: str) -> Finding:
    return Finding(rule=rule, location=Location(path=path), message=message, fix_hint=hint)


def _measure(params: BenchmarkParams, ctx: CheckContext) -> list[float]:
    cwd = ctx.resolve(params.cwd) if params.cwd is not None else ctx.rootdir
    samples: list[float] = []
    for n in range(params.warmup + params.repeat):
        start = time.perf_counter()
        try:
            proc = run_process(
                params.run, cwd=cwd, env={**ctx.environ, **params.env}, timeout=ctx.timeout
            )
        except FileNotFoundError:
            raise CheckError(f"command not found: '{params.run[0]}'") from None
        except subprocess.TimeoutExpired as exc:
            raise CheckError(f"benchmark command timed out after {exc.timeout:g} s") from None
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            tail = reproducible(output_tail(proc.stdout, proc.stderr), ctx.rootdir, ctx.tmp_path)
            raise CheckError(f"benchmark command exited {proc.returncode} on run {n + 1}:\n{tail}")
        if n >= params.warmup:
            samples.append(elapsed)
    return samples


@check_kind("benchmark", params=BenchmarkParams, idempotent=True)
def benchmark(params: BenchmarkParams, ctx: CheckContext) -> CheckResult:
    """A command's median time over repeated runs is within absolute and relative limits."""
    inputs = tree_digest(ctx.rootdir, params.inputs)
    findings = [
        _finding(
            "benchmark.inputs",
            pattern,
            f"no input matches '{pattern}'",
            "correct the benchmark's inputs",
        )
        for pattern in inputs.missing
    ]
    result_path = ctx.resolve(params.result)
    if result_path.exists():
        _, problem = read_sealed(result_path)
        if problem is not None:
            findings.append(
                _finding(
                    "benchmark.edited",
                    params.result,
                    f"the committed result is {problem}",
                    "never edit a result; this run measured and rewrote it",
                )
            )
    baseline: dict[str, Any] | None = None
    if params.baseline is not None:
        baseline, problem = read_sealed(ctx.resolve(params.baseline))
        if problem is not None:
            findings.append(
                _finding(
                    "benchmark.baseline",
                    params.baseline,
                    f"the baseline is {problem}",
                    "restore the baseline from a measured result",
                )
            )
    samples = _measure(params, ctx)
    median = statistics.median(samples)
    if params.max is not None and median > params.max:
        findings.append(
            _finding(
                "benchmark.max",
                params.result,
                f"median {median:.3f} s over {params.repeat} runs, above the "
                f"limit of {params.max:g} s",
                "make it faster, or raise max",
            )
        )
    if baseline is not None and params.max_regression is not None:
        limit = float(baseline["median"]) * (1 + params.max_regression)
        if median > limit:
            findings.append(
                _finding(
                    "benchmark.regression",
                    params.result,
                    f"median {median:.3f} s is more than "
                    f"{params.max_regression:.0%} slower than the baseline's "
                    f"{float(baseline['median']):.3f} s",
                    "find the regression, or re-measure the baseline",
                )
            )
    result = seal(
        {
            "median": median,
            "samples": samples,
            "unit": "s",
            "command": params.run,
            "inputs_sha256": inputs.digest,
        }
    )
    atomic_write(result_path, (json.dumps(result, indent=2) + "\n").encode())
    return CheckResult(
        passed=not findings,
        summary=f"median of {params.repeat} runs (after {params.warmup} warm-up)"
        + ("" if not findings else f"; {len(findings)} problems"),
        findings=sorted_findings(findings),
        details={
            "inputs_sha256": inputs.digest,
            "repeat": params.repeat,
            "within_limits": not findings,
        },
        # The times themselves are in the result file: the evidence body must not vary by run.
        output=reproducible(f"median {median:.4f} s", ctx.rootdir),
    )
