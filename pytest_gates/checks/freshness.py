"""The ``artifacts`` kind: corpus, coverage and benchmark freshness (required gate family 3).

A corpus is bound to the digest of its cases and has at least its minimum number of them. A
benchmark result (coverage is one too: a measured value with a threshold) is a JSON file
``{"value": <number>, "inputs_sha256": "sha256:..."}`` written by the benchmark's command: it is
bound to the digest of the inputs it was measured on, and its value is within the threshold,
absolute and relative to the baseline. Digests follow ``pytest_gates.support.digest``.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pydantic import Field, JsonValue

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.sources.models import Benchmark, Corpus
from pytest_gates.support.digest import tree_digest
from pytest_gates.support.paths import RelPath, plural


class ArtifactsParams(CheckParams):
    """Parameters of ``artifacts``."""

    #: Where the artifacts are declared (named in messages), relative to the rootdir.
    source: RelPath | None = None
    corpora: list[Corpus] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)


def _value(number: float, unit: str) -> str:
    return f"{number:g} {unit}".rstrip()


class _Artifacts:
    def __init__(self, params: ArtifactsParams, ctx: CheckContext) -> None:
        self.params = params
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.stale: list[str] = []
        self.out_of_bounds: list[str] = []
        self.measured: dict[str, Any] = {}
        self.record = (
            f"record it in {params.source} and regenerate" if params.source else "record it"
        )

    def corpus(self, corpus: Corpus) -> None:
        found = tree_digest(self.ctx.rootdir, corpus.paths)
        name = f"corpus '{corpus.id}'"
        problems = [
            Finding(
                rule="corpus.missing",
                location=Location(path=pattern),
                message=f"{name}: '{pattern}' matches no case",
                fix_hint="restore the cases, or correct the corpus's paths",
            )
            for pattern in found.missing
        ]
        cases = len(found.files)
        if cases < corpus.min_cases:
            problems.append(
                Finding(
                    rule="corpus.too_small",
                    location=Location(path=self.params.source),
                    message=f"{name} has {plural(cases, 'case')}, fewer than its minimum of "
                    f"{corpus.min_cases}",
                    fix_hint="restore the missing cases",
                )
            )
        if found.digest != corpus.sha256:
            problems.append(
                Finding(
                    rule="corpus.changed",
                    location=Location(path=self.params.source),
                    message=f"{name} changed: its cases have {found.digest}, the corpus records "
                    f"{corpus.sha256}",
                    fix_hint=f"review the change; then {self.record} "
                    f"(pytest-gates digest {' '.join(corpus.paths)})",
                )
            )
        if problems:
            self.stale.append(f"corpus.{corpus.id}")
        self.findings += problems

    def _result(self, bench: Benchmark) -> tuple[float, str] | Finding:
        """The result's value and inputs digest, or why the result cannot be used."""
        name = f"benchmark '{bench.id}'"
        rerun = f"run the benchmark: {shlex.join(bench.command)}"
        where = Location(path=bench.result)
        path = self.ctx.resolve(bench.result)
        if not path.is_file():
            return Finding(
                rule="benchmark.missing_result",
                location=where,
                message=f"{name}: no result file '{bench.result}'",
                fix_hint=rerun,
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Finding(
                rule="benchmark.invalid_result",
                location=where,
                message=f"{name}: the result is not JSON: {exc}",
                fix_hint=rerun,
            )
        value = data.get("value") if isinstance(data, dict) else None
        inputs = data.get("inputs_sha256") if isinstance(data, dict) else None
        metric = data.get("metric", bench.metric) if isinstance(data, dict) else None
        problem = None
        if not isinstance(value, int | float) or isinstance(value, bool):
            problem = "expected a number under 'value'"
        elif not isinstance(inputs, str):
            problem = "expected the inputs' digest under 'inputs_sha256'"
        elif metric != bench.metric:
            problem = f"expected metric '{bench.metric}', found '{metric}'"
        if problem is not None or not isinstance(value, int | float) or not isinstance(inputs, str):
            return Finding(
                rule="benchmark.invalid_result",
                location=where,
                message=f"{name}: {problem}",
                fix_hint=rerun,
            )
        return float(value), inputs

    def benchmark(self, bench: Benchmark) -> None:
        name = f"benchmark '{bench.id}'"
        result = self._result(bench)
        if isinstance(result, Finding):
            self.findings.append(result)
            self.stale.append(f"benchmark.{bench.id}")
            return
        value, recorded = result
        inputs = tree_digest(self.ctx.rootdir, bench.inputs)
        # Rounded: 0.4 * 1.1 is 0.44000000000000006 in binary floating point.
        bounds = {what: round(bound, 9) for what, bound in bench.bounds()}
        self.measured[bench.id] = {"value": value, "bounds": bounds}
        if inputs.missing or inputs.digest != recorded:
            missing = f" ({', '.join(inputs.missing)} match no file)" if inputs.missing else ""
            self.findings.append(
                Finding(
                    rule="benchmark.stale",
                    location=Location(path=bench.result),
                    message=f"{name}: measured on inputs {recorded}, they are now "
                    f"{inputs.digest}{missing}",
                    fix_hint=f"run the benchmark again: {shlex.join(bench.command)}",
                )
            )
            self.stale.append(f"benchmark.{bench.id}")
        worse = "above" if bench.direction == "lower" else "below"
        failed = False
        for what, bound in bench.bounds():
            beyond = value > bound if bench.direction == "lower" else value < bound
            if beyond:
                failed = True
                self.findings.append(
                    Finding(
                        rule="benchmark.threshold",
                        location=Location(path=bench.result),
                        message=f"{name}: {bench.metric} {_value(value, bench.unit)} is {worse} "
                        f"its {what} {_value(round(bound, 9), bench.unit)} "
                        f"({bench.direction} is better)",
                        fix_hint="find and fix the regression, or change the threshold in "
                        f"{self.params.source or 'the benchmark manifest'}",
                    )
                )
        if failed:
            self.out_of_bounds.append(f"benchmark.{bench.id}")


@check_kind("artifacts", params=ArtifactsParams, idempotent=True)
def artifacts(params: ArtifactsParams, ctx: CheckContext) -> CheckResult:
    """Corpora match their digests and sizes; benchmark results are current and within bounds."""
    run = _Artifacts(params, ctx)
    for corpus in params.corpora:
        run.corpus(corpus)
    for bench in params.benchmarks:
        run.benchmark(bench)
    count = len(params.corpora) + len(params.benchmarks)
    if not count:
        summary = "no corpus or benchmark is declared"
    elif run.findings:
        summary = (
            f"{len(run.stale)} of {plural(count, 'artifact')} stale, "
            f"{plural(len(run.out_of_bounds), 'benchmark')} out of bounds"
        )
    else:
        summary = f"{plural(count, 'artifact')} fresh and within bounds"
    return CheckResult(
        passed=not run.findings,
        summary=summary,
        findings=sorted_findings(run.findings),
        details={
            "stale": list[JsonValue](run.stale),
            "out_of_bounds": list[JsonValue](run.out_of_bounds),
            "measured": run.measured,
            "closure": {
                "stale_artifacts": len(run.stale),
                "benchmarks_out_of_bounds": len(run.out_of_bounds),
            },
        },
    )
