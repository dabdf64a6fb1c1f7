"""The pages of a built site, parsed with BeautifulSoup on Python's own ``html.parser``.

Why this parser: it is tolerant of malformed markup (an unclosed tag or a stray ``</div>`` is
parsed on, as a browser would, instead of raising), it needs no compiled extension, and with
``html.parser`` BeautifulSoup records each tag's source line and column, so every finding points
at a line. CSS selectors (soupsieve) express the template's structure.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Tag

from pytest_gates.checks.files import ParseFailed, decode_utf8, outside_findings
from pytest_gates.model.findings import Finding, Location
from pytest_gates.support.paths import Outside, expand_confined


@dataclass
class Page:
    """One HTML file of the site."""

    #: Path inside the site folder, posix (``en/posts/a.html``).
    name: str
    #: Path relative to the rootdir, for findings.
    relative: str
    path: Path
    soup: BeautifulSoup

    @property
    def url_path(self) -> str:
        return "/" + self.name


def parse_html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def read_page(path: Path, name: str, relative: str) -> Page:
    """Parse a page; :class:`ParseFailed` when it is not UTF-8."""
    return Page(
        name=name, relative=relative, path=path, soup=parse_html(decode_utf8(path.read_bytes()))
    )


@dataclass
class SiteRead:
    """What the page globs found in a site folder."""

    pages: list[Page]
    #: The globs that matched no page.
    empty: list[str]
    #: The pages that are not UTF-8 (rootdir-relative).
    unreadable: list[str]
    #: The matches that resolve outside the project (a symlink out of it): never read.
    outside: list[Outside]


def site_pages(rootdir: Path, site: str, patterns: list[str], exclude: list[str]) -> SiteRead:
    """The pages the globs (relative to ``site``) match: globbed from the rootdir, so a page
    that is a symlink out of the project is refused as every kind refuses one."""
    folder = posixpath.normpath(site)
    prefix = "" if folder == "." else folder + "/"
    expansion = expand_confined(
        rootdir, [prefix + p for p in patterns], [prefix + e for e in exclude]
    )
    pages: list[Page] = []
    unreadable: list[str] = []
    for name, path in expansion.files:
        try:
            pages.append(read_page(path, name.removeprefix(prefix), name))
        except ParseFailed:
            unreadable.append(name)
    empty = [match.pattern.removeprefix(prefix) for match in expansion.empty]
    return SiteRead(pages, empty, unreadable, expansion.outside)


def unread_pages(
    rule: str,
    empty: Iterable[tuple[str, str]],
    read: SiteRead,
    why: str,
) -> list[Finding]:
    """What keeps pages from being checked: ``path.outside_root`` for each match outside the
    project, ``<rule>.missing`` for each glob that matched no page (``empty``: its location and
    message) and ``<rule>.unreadable`` for each page that is not UTF-8 (``why``: what that
    costs)."""
    problems = [
        (f"{rule}.missing", location, message, "build the site first, or correct the pattern")
        for location, message in empty
    ]
    problems += [
        (f"{rule}.unreadable", name, why, "write the page as UTF-8") for name in read.unreadable
    ]
    return outside_findings(read.outside) + [
        Finding(rule=name, location=Location(path=path), message=message, fix_hint=hint)
        for name, path, message, hint in problems
    ]


def line(tag: Tag | None) -> int | None:
    return tag.sourceline if tag is not None else None


def column(tag: Tag | None) -> int | None:
    if tag is None or tag.sourcepos is None:
        return None
    return tag.sourcepos + 1


def attr(tag: Tag, name: str) -> str | None:
    """An attribute as one string (``class`` and ``rel`` are lists in BeautifulSoup)."""
    value = tag.get(name)
    if value is None:
        return None
    return " ".join(value) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class Target:
    """Where an internal link points: a path inside the site and an optional fragment."""

    name: str
    fragment: str


def internal_target(href: str, page_name: str, base_url: str | None) -> Target | str | None:
    """The site path a link points to; ``None`` for an external link; a string (the reason)
    for a link that leaves the site folder."""
    parts = urlsplit(href.strip())
    path = unquote(parts.path)
    if parts.scheme or parts.netloc:
        if base_url is None or not href.startswith(base_url.rstrip("/") + "/"):
            return None
        path = unquote(urlsplit(href[len(base_url.rstrip("/")) :]).path)
    if not path:
        return Target(page_name, parts.fragment)
    if path.startswith("/"):
        joined = posixpath.normpath(path.lstrip("/")) if path.strip("/") else "."
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(page_name), path))
    if joined == ".." or joined.startswith("../"):
        return "it leaves the site"
    if path.endswith("/") or joined == ".":
        joined = posixpath.join("" if joined == "." else joined, "index.html")
    return Target(joined, parts.fragment)


def anchors(soup: BeautifulSoup) -> set[str]:
    """The fragments a page can be linked to: element ids and ``<a name>``."""
    found = {attr(tag, "id") or "" for tag in soup.find_all(id=True)}
    found |= {attr(tag, "name") or "" for tag in soup.find_all("a", attrs={"name": True})}
    return found - {""}
