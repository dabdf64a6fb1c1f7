"""Canonical JSON is RFC 8785 (JCS): a verifier in another language reproduces every digest."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gates.support.digest import canonical_bytes, canonical_json, json_digest


def test_one_number_in_two_spellings_has_one_digest() -> None:
    assert canonical_json({"x": 1e-06}) == '{"x":0.000001}'
    assert canonical_json({"x": 1e-06}) == canonical_json(json.loads('{"x": 0.000001}'))
    assert json_digest([1e-06]) == json_digest([0.000001])
    assert canonical_json([1.0, 1e21, 1e-7, 123.456]) == "[1,1e+21,1e-7,123.456]"


def test_keys_sort_by_utf16_code_units_and_text_is_not_escaped() -> None:
    # U+1F600 is a surrogate pair (0xD83D...) in UTF-16: it sorts before U+FB33 there, after it
    # in code points (RFC 8785 section 3.2.3).
    data = {"\ufb33": 1, "\U0001f600": 2, "é": 3, "a": 4}
    assert canonical_json(data) == '{"a":4,"é":3,"\U0001f600":2,"\ufb33":1}'


def test_the_rfc_8785_example_is_reproduced() -> None:
    data = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(data) == expected


def test_a_number_json_cannot_hold_exactly_is_refused() -> None:
    with pytest.raises(Exception, match=r"(?i)nan|finite|domain"):
        canonical_json({"x": float("nan")})


_TEXT = st.text(max_size=8)  # every code point, lone surrogates and astral characters included
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()
    | _TEXT
)
_DATA = st.recursive(
    _LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4)
)


def _outcome(call: Callable[[], bytes]) -> bytes | type[BaseException]:
    try:
        return call()
    except Exception as exc:  # the refusal: which error it is
        return type(exc)


@settings(max_examples=1000, deadline=None)
@given(_DATA)
def test_the_fast_path_writes_what_rfc8785_writes(data: Any) -> None:
    # Most data is written by the C JSON encoder, the rest by rfc8785. Both must give
    # rfc8785's bytes, or its refusal (a lone surrogate, an integer past 2**53, NaN).
    assert _outcome(lambda: canonical_bytes(data)) == _outcome(lambda: rfc8785.dumps(data))
