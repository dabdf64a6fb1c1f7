"""report.md as GitHub renders a job summary: GFM with raw HTML on; nothing from a check renders."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

from pytest_gates.outputs.render.markdown import render_markdown
from pytest_gates.outputs.render.terminal import render_terminal

from .render_data import sample


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _gfm(markdown: str) -> _Tags:
    # GitHub's job summaries: GFM (tables, strikethrough) with raw HTML passed through.
    html = MarkdownIt("gfm-like", options_update={"linkify": False}).render(markdown)
    parser = _Tags()
    parser.feed(html)
    return parser


def test_no_html_from_a_finding_renders_in_a_job_summary() -> None:
    parsed = _gfm(render_markdown(*sample()))
    assert not {"img", "details", "em", "b", "a"} & set(parsed.tags), parsed.tags
    text = "".join(parsed.text)
    # Shown as written, as text.
    assert "<b>bold</b> <img src=x onerror=alert(1)> <details open>d</details>" in text
    assert "`code` *em* [click](https://evil.example)" in text
    assert "qa.review <img src=x>" in text


def test_a_pipe_outside_a_table_shows_no_backslash() -> None:
    parsed = _gfm(render_markdown(*sample()))
    text = "".join(parsed.text)
    assert "\\" not in text
    assert "blocking gates failed: qa.lint | qa.review" in text
    assert " a | b " in text
    # In a table a "|" stays inside its cell.
    assert "ruff failed: 2 findings | see below" in text
    assert parsed.tags.count("table") == 2


def test_an_advisory_gates_finding_shows_its_severity_everywhere() -> None:
    report, evidence = sample()
    markdown = render_markdown(report, evidence)
    assert "| `qa.size` | structural | advisory | **DEGRADED** | 0/1 | 1 major |" in markdown
    assert "**size.lines** (major) too long" in markdown
    (row,) = [line for line in render_terminal(report, evidence).splitlines() if "qa.size" in line]
    assert "1 major" in row
    assert "error" not in row
