"""Fixtures every test module may use."""

from __future__ import annotations

import pytest

# pytester's in-process runs unload, after each run, every module the run imported first. PyYAML's
# C module (yaml._yaml) does not survive that: imported again, it keeps the first import's node
# and resolver classes, and the C loader then builds nodes without tags ("could not determine a
# constructor for the tag None"). The outer session loads PyYAML once, for every inner run.
import yaml  # noqa: F401

from tests.helpers import GatesProject


@pytest.fixture(autouse=True)
def _not_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run gate sessions of their own, also when this suite itself runs inside the
    coverage gate of pytest-gates' own release (which marks its test run as nested)."""
    monkeypatch.delenv("PYTEST_GATES_NESTED", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> GatesProject:
    return GatesProject(pytester)
