"""The ``differential`` kind: a reference and a candidate agree on every case."""

from __future__ import annotations

import hashlib
import sys

import pytest

from pytest_gates.checks.differential import (
    differential,
    first_json_difference,
    first_text_difference,
)
from pytest_gates.errors import CheckError
from tests.checks.conftest import RunCheck, Write

PY = sys.executable
#: Prints the file named by its argument, upper-cased: the reference.
UPPER = [PY, "-c", "import sys; print(open(sys.argv[1]).read().upper(), end='')", "{case}"]
#: The same from standard input: the candidate.
UPPER_STDIN = [PY, "-c", "import sys; print(sys.stdin.read().upper(), end='')"]


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def cases(write: Write) -> None:
    write("cases/one.txt", "alpha\nbeta\n")
    write("cases/two.txt", "gamma\n")


def test_agreeing_implementations_pass(cases: None, run_check: RunCheck) -> None:
    result = run_check(
        differential, {"cases": ["cases"], "reference": UPPER, "candidate": UPPER_STDIN}
    )
    assert result.passed, result.findings
    assert result.summary == "2 cases agree (exact)"
    assert result.details == {"cases": 2, "differing": 0, "compare": "exact"}


def test_a_differing_case_names_both_digests_and_the_first_difference(
    cases: None, run_check: RunCheck
) -> None:
    candidate = [
        PY,
        "-c",
        "import sys; print(sys.stdin.read().upper().replace('ET', 'ED'), end='')",
    ]
    result = run_check(
        differential, {"cases": ["cases/*.txt"], "reference": UPPER, "candidate": candidate}
    )
    reference, changed = sha("ALPHA\nBETA\n"), sha("ALPHA\nBEDA\n")
    assert [(f.rule, f.location.path, f.message) for f in result.findings] == [
        (
            "differential.mismatch",
            "cases/one.txt",
            f"outputs differ: reference {reference}, candidate {changed}; "
            "first difference line 2, column 3: reference 'BETA', candidate 'BEDA'",
        )
    ]
    assert result.summary == "1 of 2 cases differ (exact)"


def test_json_comparison_ignores_formatting_but_not_values(
    write: Write, run_check: RunCheck
) -> None:
    write("cases/a.json", '{"b": [1, 2], "a": true}')
    reference = [PY, "-c", "import json,sys; print(json.dumps(json.load(sys.stdin)))"]
    same = [
        PY,
        "-c",
        "import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, sort_keys=True))",
    ]
    params = {"cases": ["cases"], "reference": reference, "candidate": same, "compare": "json"}
    assert run_check(differential, params).passed
    changed = [PY, "-c", 'print(\'{"a": true, "b": [1, 3]}\')']
    result = run_check(differential, {**params, "candidate": changed})
    assert result.findings[0].message.endswith("first difference at /b/1: reference 2, candidate 3")
    broken = [PY, "-c", "print('not json')"]
    result = run_check(differential, {**params, "candidate": broken})
    assert result.findings[0].rule == "differential.invalid_json"
    assert result.findings[0].message.startswith(
        "the candidate's output is not JSON (Expecting value: line 1 column 1 (char 0)); "
    )


def test_a_failing_command_and_missing_cases(cases: None, run_check: RunCheck) -> None:
    failing = [PY, "-c", "import sys; sys.exit('crashed on input')"]
    result = run_check(
        differential,
        {
            "cases": ["cases/one.txt", "nope/*.txt"],
            "reference": UPPER,
            "candidate": failing,
            "min_cases": 2,
        },
    )
    assert [(f.rule, f.location.path, f.message) for f in result.findings] == [
        ("differential.too_few_cases", None, "1 case, fewer than the minimum of 2"),
        (
            "differential.failed",
            "cases/one.txt",
            "the candidate failed on this case (exit code 1): crashed on input",
        ),
        ("differential.missing_cases", "nope/*.txt", "'nope/*.txt' matches no case"),
    ]


def test_a_command_that_does_not_exist_cannot_be_checked(cases: None, run_check: RunCheck) -> None:
    with pytest.raises(CheckError, match="command not found: 'no-such-ref'"):
        run_check(
            differential, {"cases": ["cases"], "reference": ["no-such-ref"], "candidate": UPPER}
        )


def test_the_first_text_difference() -> None:
    assert first_text_difference(b"a\nb\n", b"a\nc\n") == (
        "line 2, column 1: reference 'b', candidate 'c'"
    )
    assert first_text_difference(b"a\n", b"a\nmore\n") == (
        "line 2, column 1: reference '', candidate 'more'"
    )
    assert (
        first_text_difference(b"a\nb", b"a") == "line 2: the candidate ends, the reference goes on"
    )
    assert (
        first_text_difference(b"abc", b"ab") == "line 1, column 3: reference 'abc', candidate 'ab'"
    )


def test_the_first_json_difference_is_type_strict() -> None:
    assert first_json_difference({"a": 1}, {"a": 1.0}) is None
    assert first_json_difference({"a": 1}, {"a": True}) == (
        "at /a: reference is a number 1, candidate a boolean true"
    )
    assert first_json_difference({"a": 1}, {"b": 1}) == "at /a: missing in the candidate"
    assert first_json_difference([1], [1, 2]) == "at /: reference has 1 items, candidate 2"
    assert first_json_difference({"x/y": "p"}, {"x/y": "q"}) == (
        'at /x~1y: reference "p", candidate "q"'
    )
