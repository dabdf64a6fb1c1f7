"""The ``artifacts`` kind: corpus, coverage and benchmark freshness."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_gates.checks.api import CheckContext, CheckResult
from pytest_gates.checks.freshness import artifacts
from pytest_gates.sources.models import Benchmark
from pytest_gates.support.digest import tree_digest
from tests.checks.conftest import RunCheck, Write


def found(result: CheckResult) -> list[tuple[str, str | None, str]]:
    return [(f.rule, f.location.path, f.message) for f in result.findings]


@pytest.fixture
def corpus(write: Write, check_ctx: CheckContext) -> dict[str, Any]:
    for name in ("a", "b", "c"):
        write(f"corpus/{name}.txt", f"case {name}\n")
    digest = tree_digest(check_ctx.rootdir, ["corpus"]).digest
    return {"id": "cases", "paths": ["corpus"], "sha256": digest, "min_cases": 3}


def test_nothing_declared_passes_and_says_so(run_check: RunCheck) -> None:
    result = run_check(artifacts, {})
    assert result.passed
    assert result.summary == "no corpus or benchmark is declared"
    assert result.details["closure"] == {"stale_artifacts": 0, "benchmarks_out_of_bounds": 0}


def test_an_intact_corpus_passes(corpus: dict[str, Any], run_check: RunCheck) -> None:
    result = run_check(artifacts, {"source": "gates/corpora.yaml", "corpora": [corpus]})
    assert result.passed
    assert result.summary == "1 artifact fresh and within bounds"


def test_a_changed_corpus_names_both_digests(
    corpus: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    write("corpus/b.txt", "case b, edited\n")
    now = tree_digest(check_ctx.rootdir, ["corpus"]).digest
    result = run_check(artifacts, {"source": "gates/corpora.yaml", "corpora": [corpus]})
    assert found(result) == [
        (
            "corpus.changed",
            "gates/corpora.yaml",
            f"corpus 'cases' changed: its cases have {now}, the corpus records {corpus['sha256']}",
        )
    ]
    assert result.findings[0].fix_hint == (
        "review the change; then record it in gates/corpora.yaml and regenerate "
        "(pytest-gates digest corpus)"
    )
    assert result.details["closure"] == {"stale_artifacts": 1, "benchmarks_out_of_bounds": 0}


def test_a_corpus_below_its_minimum_size(
    corpus: dict[str, Any], run_check: RunCheck, check_ctx: CheckContext
) -> None:
    (check_ctx.rootdir / "corpus" / "c.txt").unlink()
    corpus["sha256"] = tree_digest(check_ctx.rootdir, ["corpus"]).digest
    result = run_check(artifacts, {"corpora": [corpus]})
    assert found(result) == [
        ("corpus.too_small", None, "corpus 'cases' has 2 cases, fewer than its minimum of 3")
    ]


def test_a_corpus_path_that_matches_nothing(corpus: dict[str, Any], run_check: RunCheck) -> None:
    corpus["paths"] = ["corpus", "more/*.txt"]
    result = run_check(artifacts, {"corpora": [corpus]})
    assert found(result)[0] == (
        "corpus.missing",
        "more/*.txt",
        "corpus 'cases': 'more/*.txt' matches no case",
    )


BENCH = {
    "id": "speed",
    "command": ["python", "bench.py"],
    "metric": "seconds",
    "unit": "s",
    "direction": "lower",
    "threshold": {"absolute": 0.5, "relative": "<=+10%"},
    "baseline": 0.4,
    "result": "results/speed.json",
    "inputs": ["src"],
}


@pytest.fixture
def bench(write: Write, check_ctx: CheckContext) -> dict[str, Any]:
    write("src/code.py", "x = 1\n")
    return dict(BENCH)


def _result(write: Write, ctx: CheckContext, value: object, **extra: object) -> None:
    data = {"value": value, "inputs_sha256": tree_digest(ctx.rootdir, ["src"]).digest, **extra}
    write("results/speed.json", json.dumps(data))


def test_a_current_result_within_both_bounds_passes(
    bench: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    _result(write, check_ctx, 0.42, metric="seconds")
    result = run_check(artifacts, {"benchmarks": [bench]})
    assert result.passed, result.findings
    assert result.details["measured"] == {
        "speed": {
            "value": 0.42,
            "bounds": {"absolute bound": 0.5, "relative bound (baseline 0.4 +10%)": 0.44},
        }
    }


def test_over_the_relative_bound_names_the_value_and_the_bound(
    bench: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    _result(write, check_ctx, 0.47)
    result = run_check(artifacts, {"source": "gates/benchmarks.yaml", "benchmarks": [bench]})
    assert found(result) == [
        (
            "benchmark.threshold",
            "results/speed.json",
            "benchmark 'speed': seconds 0.47 s is above its relative bound (baseline 0.4 +10%) "
            "0.44 s (lower is better)",
        )
    ]
    assert result.details["closure"] == {"stale_artifacts": 0, "benchmarks_out_of_bounds": 1}


def test_over_both_bounds_is_two_findings(
    bench: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    _result(write, check_ctx, 0.6)
    result = run_check(artifacts, {"benchmarks": [bench]})
    assert [f.message for f in result.findings] == [
        "benchmark 'speed': seconds 0.6 s is above its absolute bound 0.5 s (lower is better)",
        "benchmark 'speed': seconds 0.6 s is above its relative bound (baseline 0.4 +10%) 0.44 s "
        "(lower is better)",
    ]


def test_higher_is_better_checks_the_lower_bounds(
    bench: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    bench.update(
        metric="ops",
        unit="",
        direction="higher",
        threshold={"absolute": 100, "relative": ">=-5%"},
        baseline=1000,
    )
    _result(write, check_ctx, 940)
    result = run_check(artifacts, {"benchmarks": [bench]})
    assert [f.message for f in result.findings] == [
        "benchmark 'speed': ops 940 is below its relative bound (baseline 1000 -5%) 950 "
        "(higher is better)"
    ]


def test_a_result_measured_on_other_inputs_is_stale(
    bench: dict[str, Any], write: Write, run_check: RunCheck, check_ctx: CheckContext
) -> None:
    _result(write, check_ctx, 0.42)
    recorded = tree_digest(check_ctx.rootdir, ["src"]).digest
    write("src/code.py", "x = 2\n")
    now = tree_digest(check_ctx.rootdir, ["src"]).digest
    result = run_check(artifacts, {"benchmarks": [bench]})
    assert found(result) == [
        (
            "benchmark.stale",
            "results/speed.json",
            f"benchmark 'speed': measured on inputs {recorded}, they are now {now}",
        )
    ]
    assert result.findings[0].fix_hint == "run the benchmark again: python bench.py"
    assert result.details["stale"] == ["benchmark.speed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "benchmark 'speed': no result file 'results/speed.json'"),
        (
            "{",
            "benchmark 'speed': the result is not JSON: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
        ),
        (
            '{"value": "fast", "inputs_sha256": "x"}',
            "benchmark 'speed': expected a number under 'value'",
        ),
        ('{"value": 1}', "benchmark 'speed': expected the inputs' digest under 'inputs_sha256'"),
        (
            '{"value": 1, "inputs_sha256": "x", "metric": "ms"}',
            "benchmark 'speed': expected metric 'seconds', found 'ms'",
        ),
    ],
)
def test_a_missing_or_unusable_result(
    bench: dict[str, Any], write: Write, run_check: RunCheck, content: str | None, message: str
) -> None:
    if content is not None:
        write("results/speed.json", content)
    result = run_check(artifacts, {"benchmarks": [bench]})
    assert [f.message for f in result.findings] == [message]
    assert result.details["closure"] == {"stale_artifacts": 1, "benchmarks_out_of_bounds": 0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"baseline": None}, "a relative threshold needs a baseline"),
        (
            {"threshold": {"relative": ">=+10%"}},
            "lower is better, so the relative threshold is a <= bound, found '>=+10%'",
        ),
        ({"threshold": {}}, "a threshold needs absolute, relative or both"),
    ],
)
def test_a_threshold_must_be_measurable(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match="Value error, " + message.replace("+", r"\+")):
        Benchmark.model_validate({**BENCH, **change})
