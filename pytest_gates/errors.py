"""The exceptions and warnings pytest-gates raises."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import final

import pytest


class GatesError(Exception):
    """Base class of every error pytest-gates raises for a user's input."""


@final
class ManifestError(GatesError):
    """A manifest (or another input file) is invalid.

    Carries every problem found, each already formatted as
    ``<file>[:<line>]: <breadcrumb>: <what was expected>, found <what was there>``.
    """

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = str(path)
        #: One formatted line per problem, in document order.
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@final
class EvidenceError(GatesError):
    """Written evidence, a transition log or a report is missing, unreadable or tampered with."""


@final
class CheckError(GatesError):
    """A check could not run (a missing tool, a broken schema, a crashed subprocess).

    The message is one line that says what and where; the check's verdict is ``ERROR``.
    """


@final
class CheckFailed(Exception):
    """Raised by a check item whose check ran to completion and did not pass.

    Anything else a check raises is a crash, and a crash is ``ERROR``.
    """

    def __init__(self, summary: str) -> None:
        self.summary = summary
        super().__init__(summary)


class GatesWarning(pytest.PytestWarning):
    """Base class of the warnings pytest-gates issues."""


@final
class DegradedGateWarning(GatesWarning):
    """An advisory gate (or one whose strategy is ``degrade``) failed and was allowed to pass."""
