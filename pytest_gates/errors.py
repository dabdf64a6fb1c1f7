"""The exceptions and warnings pytest-gates raises: one tree.

Errors for a user's input derive from :class:`GatesError`; those about one input file derive from
:class:`InputFileError` and carry the file and every problem found in it. Leaf classes are final
and carry the object at fault, as pluggy's ``PluginValidationError`` carries the plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import final

import pytest


class GatesError(Exception):
    """Base class of every error pytest-gates raises for a user's input."""


class InputFileError(GatesError):
    """An input file is invalid: base of the errors that name one file and its problems.

    Carries every problem found, each already formatted as
    ``<file>[:<line>]: <breadcrumb>: <what was expected>, found <what was there>``.
    """

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        #: The file at fault, as it is named in the problems.
        self.path = str(path)
        #: One formatted line per problem, in document order.
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@final
class ManifestError(InputFileError):
    """The gate manifest is invalid (``path``: the manifest)."""


@final
class SourceError(InputFileError):
    """A project's sources are invalid or incomplete (``path``: the source file, or the
    generation config when the problems span several files)."""


@final
class DurationsError(InputFileError):
    """The recorded durations file is unreadable or not in a known format (``path``: the file)."""


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


@final
class WorkersLost(Exception):
    """xdist gave up on its crashed workers before the gates ``gate`` needs could finish.

    Not a user's mistake: the items that waited for those gates are ``ERROR``.
    """

    def __init__(self, gate: str, needs: Sequence[str]) -> None:
        #: The gate whose items cannot start.
        self.gate = gate
        #: The gates it needs, which will not finish.
        self.needs = tuple(needs)
        super().__init__(
            f"the gates {', '.join(self.needs)} that {gate} needs cannot finish: "
            "xdist gave up on crashed workers"
        )


class GatesWarning(pytest.PytestWarning):
    """Base class of the warnings pytest-gates issues."""


@final
class DegradedGateWarning(GatesWarning):
    """An advisory gate (or one whose strategy is ``degrade``) failed and was allowed to pass."""
