"""The ``http`` kind against a folder served on loopback by http.server in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.http import http

PUBLIC = "https://site.test"
PAGE = """\
<!DOCTYPE html><html><head>
<meta name="description" content="d">
<link rel="canonical" href="{public}/{name}">
</head><body><a href="/{link}">next</a></body></html>
"""
SITEMAP = """\
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://site.test/a.html</loc></url>
  <url><loc>https://site.test/b.html</loc></url>
</urlset>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder, and the loopback address that serves it."""
    folder = tmp_path / "live"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _site(folder: Path) -> None:
    (folder / "a.html").write_text(PAGE.format(public=PUBLIC, name="a.html", link="b.html"))
    (folder / "b.html").write_text(PAGE.format(public=PUBLIC, name="b.html", link="a.html"))
    (folder / "sitemap.xml").write_text(SITEMAP)


def _params(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": url,
        "pages": ["a.html", "b.html"],
        "headers": {"Content-Type": "text/html"},
        "tags": ["meta[name=description]"],
        "canonical_base": PUBLIC,
        "sitemap": "sitemap.xml",
        "links": True,
        "retries": 1,
        "backoff": 0,
        **extra,
    }


def test_a_live_site_that_answers_passes(run_check, served) -> None:
    folder, url = served
    _site(folder)
    result = run_check(http, _params(url))
    assert result.passed, result.findings
    assert result.summary == "0 of 2 live pages failed (4 requests)"
    assert result.details == {"pages": 2, "statuses": {"a.html": 200, "b.html": 200}}


def test_a_broken_live_page_is_retried_then_fails(run_check, served, where) -> None:
    folder, url = served
    _site(folder)
    (folder / "b.html").unlink()
    result = run_check(http, _params(url, retries=2))
    assert not result.passed
    assert [(f.rule, f.location.path, f.message) for f in result.findings] == [
        ("http.broken_link", "a.html", "link to '/b.html' answers status 404 on the live site"),
        ("http.status", "b.html", "live page answered status 404 after 3 attempts, expected 200"),
    ]


def test_headers_tags_canonical_and_sitemap(run_check, served) -> None:
    folder, url = served
    _site(folder)
    (folder / "a.html").write_text("<html><head></head><body>bare</body></html>")
    (folder / "sitemap.xml").write_text(SITEMAP.replace("/b.html", "/c.html"))
    params = _params(url, headers={"Content-Type": "text/plain", "X-Frame": ""}, links=False)
    result = run_check(http, params)
    assert sorted((f.location.path, f.rule, f.message) for f in result.findings) == [
        ("a.html", "http.canonical", f"canonical link is None, expected '{PUBLIC}/a.html'"),
        ("a.html", "http.header", "response header Content-Type is 'text/html', expected to "
         "contain 'text/plain'"),
        ("a.html", "http.header", "response header X-Frame is missing"),
        ("a.html", "http.tag", "live page has no 'meta[name=description]'"),
        ("b.html", "http.header", "response header Content-Type is 'text/html', expected to "
         "contain 'text/plain'"),
        ("b.html", "http.header", "response header X-Frame is missing"),
        ("b.html", "http.sitemap", f"the sitemap does not list '{PUBLIC}/b.html'"),
    ]  # fmt: skip


def test_the_address_comes_from_the_environment(check_ctx: CheckContext, served) -> None:
    folder, url = served
    _site(folder)
    params = http.parse({"url_env": "LIVE_URL", "pages": ["a.html"]})
    ctx = CheckContext(**{**check_ctx.__dict__, "environ": {"LIVE_URL": url}})
    assert http.run(params, ctx).passed
    missing = http.run(params, CheckContext(**{**check_ctx.__dict__, "environ": {}}))
    assert [(f.rule, f.message) for f in missing.findings] == [
        ("http.no_address", "the live site's address is not set: $LIVE_URL is empty")
    ]


def test_nothing_listening_is_a_finding(run_check) -> None:
    result = run_check(http, {"url": "http://127.0.0.1:9", "pages": ["a.html"], "retries": 0})
    assert [f.rule for f in result.findings] == ["http.status"]
    assert result.findings[0].message.startswith("live page answered ")


def test_an_address_is_required_and_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="expected url or url_env"):
        http.parse({"pages": ["a.html"]})
    with pytest.raises(ValidationError, match="retry"):
        http.parse({"url": "http://x", "pages": ["a.html"], "retry": 1})


def test_a_missing_or_malformed_sitemap(run_check, served) -> None:
    folder, url = served
    _site(folder)
    (folder / "sitemap.xml").unlink()
    params = _params(url, links=False, retries=0)
    assert [(f.location.path, f.message) for f in run_check(http, params).findings] == [
        ("sitemap.xml", "sitemap answered status 404")
    ]
    (folder / "sitemap.xml").write_text("<urlset><url>")
    found = run_check(http, params).findings
    assert [(f.rule, f.message.split(":")[0]) for f in found] == [
        ("http.sitemap", "sitemap is not XML")
    ]
