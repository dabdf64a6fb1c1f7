from __future__ import annotations

import json
import sys

import pytest
from pydantic import ValidationError

from pytest_gates.checks.benchmark import benchmark, read_sealed, seal
from pytest_gates.errors import CheckError
from pytest_gates.support.digest import tree_digest

#: A command that counts its runs in runs.txt and takes no measurable time.
COUNT = [
    sys.executable,
    "-c",
    "import pathlib; p = pathlib.Path('runs.txt'); "
    "p.write_text(str(int(p.read_text()) + 1 if p.exists() else 1))",
]


def _params(**extra: object) -> dict[str, object]:
    return {"run": COUNT, "inputs": ["src"], "result": "bench/result.json", **extra}


def test_it_measures_after_warm_up_and_writes_a_sealed_result(run_check, write, check_ctx) -> None:
    write("src/code.py", "x = 1\n")
    result = run_check(benchmark, _params(repeat=3, warmup=2, max=60))
    assert result.passed, result.findings
    assert result.summary == "median of 3 runs (after 2 warm-up)"
    assert (check_ctx.rootdir / "runs.txt").read_text() == "5"
    written = json.loads((check_ctx.rootdir / "bench/result.json").read_text())
    assert len(written["samples"]) == 3
    assert written["inputs_sha256"] == tree_digest(check_ctx.rootdir, ["src"]).digest
    assert read_sealed(check_ctx.rootdir / "bench/result.json") == (written, None)
    assert result.details["inputs_sha256"] == written["inputs_sha256"]


def test_an_edited_committed_result_is_detected(run_check, write, check_ctx) -> None:
    write("src/code.py", "x = 1\n")
    run_check(benchmark, _params(repeat=1, warmup=0))
    path = check_ctx.rootdir / "bench/result.json"
    edited = json.loads(path.read_text())
    edited["median"] = 1e-05
    path.write_text(json.dumps(edited))
    result = run_check(benchmark, _params(repeat=1, warmup=0))
    assert not result.passed
    assert [(f.rule, f.location.path, f.message) for f in result.findings] == [
        (
            "benchmark.edited",
            "bench/result.json",
            "the committed result is edited by hand: its digest does not match its content",
        )
    ]
    assert read_sealed(path)[1] is None  # measured again and rewritten


def test_absolute_and_relative_limits(run_check, write, check_ctx) -> None:
    write("src/code.py", "x = 1\n")
    write("base.json", json.dumps(seal({"median": 1e-09, "samples": [1e-09]})))
    result = run_check(
        benchmark, _params(repeat=1, warmup=0, max=1e-09, baseline="base.json", max_regression=0.5)
    )
    assert [f.rule for f in result.findings] == ["benchmark.max", "benchmark.regression"]
    assert result.findings[0].message.endswith("over 1 runs, above the limit of 1e-09 s")
    assert "more than 50% slower than the baseline's 0.000 s" in result.findings[1].message


def test_a_bad_baseline_and_missing_inputs_are_findings(run_check, write) -> None:
    write("base.json", '{"median": 0.1}')
    result = run_check(benchmark, _params(repeat=1, warmup=0, baseline="base.json"))
    assert [(f.rule, f.message) for f in result.findings] == [
        ("benchmark.baseline", "the baseline is edited by hand: its digest does not match its content"),
        ("benchmark.inputs", "no input matches 'src'"),
    ]  # fmt: skip


def test_a_failing_command_is_an_error(run_check, write) -> None:
    write("src/code.py", "x = 1\n")
    with pytest.raises(CheckError, match="benchmark command exited 3 on run 1"):
        run_check(benchmark, _params(run=[sys.executable, "-c", "raise SystemExit(3)"]))


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="repeats"):
        benchmark.parse(_params(repeats=3))
