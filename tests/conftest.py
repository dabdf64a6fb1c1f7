"""Fixtures every test module may use."""

from __future__ import annotations

import pytest

from tests.helpers import GatesProject


@pytest.fixture(autouse=True)
def _not_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run gate sessions of their own, also when this suite itself runs inside the
    coverage gate of pytest-gates' own release (which marks its test run as nested)."""
    monkeypatch.delenv("PYTEST_GATES_NESTED", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> GatesProject:
    return GatesProject(pytester)
