"""Every output format of the report, by name: the one table a new format is added to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pytest_gates.outputs.render import html, markdown, sarif, terminal
from pytest_gates.outputs.render.api import Renderer, ReportFormat

#: Formats by name, in the order their files are written.
FORMATS: Final[Mapping[str, ReportFormat]] = {
    fmt.name: fmt for fmt in (markdown.FORMAT, html.FORMAT, sarif.FORMAT, terminal.FORMAT)
}
#: Renderers by format name.
RENDERERS: Final[Mapping[str, Renderer]] = {name: fmt.render for name, fmt in FORMATS.items()}


def written_files() -> list[tuple[str, Renderer]]:
    """The file of each format that is written to the output folder, and its renderer, in
    writing order."""
    return [(fmt.filename, fmt.render) for fmt in FORMATS.values() if fmt.filename is not None]
