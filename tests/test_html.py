"""report.html as a browser shows it: headless Chromium, scripts off (the page has none).

The DOM test asserts what a reader sees: the decision, the chain picture with the failed and blocked
gates, the gate and check tables, the findings with their Markdown rendered; the screenshot test
asserts the decision heading's colour. Both skip only when no Chromium is installed.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.outputs.render.chain_svg import load_svg
from pytest_gates.outputs.render.html import render_html

from .render_data import sample

CHROMIUM = next(
    (
        path
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (path := shutil.which(name))
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-javascript"]


def _chromium(*args: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *_FLAGS, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


class _Dom(HTMLParser):
    """Each element's tag, attributes and text (its own and its descendants')."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, text))
        if tag not in {"meta", "br", "img", "link", "input", "path", "rect", "line"}:
            self.open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self.open and tag not in {"meta", "br", "img", "link", "input", "path", "rect", "line"}:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for text in self.open:
            text.append(data)

    def find(self, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
        return [
            (a, "".join(t))
            for name, a, t in self.elements
            if name == tag and all(v in a.get(k, "").split() for k, v in attrs.items())
        ]


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(*sample()), encoding="utf-8")
    return path


@needs_chromium
def test_the_decision_the_failed_gates_and_their_findings_are_visible(page: Path) -> None:
    dom = _Dom()
    dom.feed(_chromium("--dump-dom", page.as_uri()))
    ((h1, heading),) = dom.find("h1")
    assert heading == "Release decision: NO_GO"
    assert "NO_GO" in h1["class"].split()
    # The chain: a box per gate, coloured by verdict, the blocked one naming its blockers.
    boxes = {a["data-gate"]: (a["class"], text) for a, text in dom.find("g", **{"class": "gate"})}
    assert set(boxes) == {
        "author.files",
        "qa.lint",
        "qa.size",
        "qa.tests",
        "qa.review",
        "release.ok",
    }
    assert boxes["qa.lint"][0] == "gate FAIL"
    assert boxes["qa.tests"][0] == "gate ERROR"
    assert "blocked by qa.lint, qa.tests" in boxes["release.ok"][1]
    assert len(dom.find("path", **{"class": "need"})) == 3
    # The tables of report.md: gates and checks.
    tables = dom.find("table")
    assert len(tables) == 2
    assert "ruff failed: 2 findings | see below" in tables[0][1]
    assert "exit 1 | 2 findings <b>x</b>" in tables[1][1]
    # The findings: Markdown rendered (no backticks or asterisks shown), messages as text.
    items = [text for _, text in dom.find("li")]
    (ruff,) = [t for t in items if "F401" in t]
    assert ruff.startswith("src/my app/broken.py:1:12 F401 (major) os imported but unused <b>bold")
    assert "`" not in ruff
    assert "**" not in ruff
    assert [t for t in items if "size.lines" in t] == [
        "src/big.py:1 size.lines (major) too long: 900 lines"
    ]
    codes = [text for _, text in dom.find("code")]
    assert {"os", "code"} <= set(codes)
    # HTML in a finding stays text; nothing is loaded from anywhere.
    assert not [tag for tag, _, _ in dom.elements if tag in {"img", "details", "script"}]
    assert not [a for _, a, _ in dom.elements if {"src", "href"} & set(a)]


def _png_pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    """One pixel of an 8-bit RGB(A) PNG, decoded with zlib (no imaging library needed)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, chunk = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            data += chunk
        pos += 12 + length
    width, _, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) in {(8, 2), (8, 6)}
    size = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(data), width * size
    previous = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        previous = line
    r, g, b = previous[x * size : x * size + 3]
    return r, g, b


@needs_chromium
def test_the_decision_heading_is_coloured(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    _chromium("--hide-scrollbars", "--window-size=1200,900", f"--screenshot={shot}", page.as_uri())
    # Inside the heading's band, left of its text (the page margin is 2rem, its padding 1rem).
    r, g, b = _png_pixel(shot.read_bytes(), 40, 40)
    # #b00020, the NO_GO red.
    assert (r > 150, g < 60, b < 60) == (True, True, True), (r, g, b)


def test_the_shard_load_is_drawn_when_the_report_has_it() -> None:
    run: dict[str, Any] = {
        "shards": [{"index": 1, "duration": 10.0, "predicted": 9.0}, {"index": 2, "duration": 4.0}]
    }
    svg = load_svg({**run, "lower_bound": 7.0})
    assert svg is not None
    assert len(re.findall(r'class="actual"', svg)) == 2
    assert len(re.findall(r'class="predicted"', svg)) == 1
    assert 'class="bound"' in svg
    assert load_svg({}) is None
    workers = load_svg(
        {"workers": [{"id": "gw0", "duration": 3.0}, {"id": "gw1", "duration": 2.5}]}
    )
    assert workers is not None
    assert "worker gw1" in workers
    report, evidence = sample(run=run)
    assert "<h2>Shard load</h2>" in render_html(report, evidence)
    assert "<h2>Shard load</h2>" not in render_html(*sample())
