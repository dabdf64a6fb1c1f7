"""What a report format is: a renderer function and the file it is written to.

A new format is one new module that defines a :class:`ReportFormat`, and one line in
:mod:`pytest_gates.outputs.render.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument


class Renderer(Protocol):
    """Renders the report, given the evidence of its gates (by gate id), as text."""

    def __call__(
        self, report: ReportDocument, evidence: Mapping[str, EvidenceDocument], /
    ) -> str: ...


@dataclass(frozen=True)
class ReportFormat:
    """An output format of the report."""

    #: The format's name (``markdown``, ``sarif``).
    name: str
    #: The file it is written to in the output folder; ``None``: shown, not written (terminal).
    filename: str | None
    render: Renderer
