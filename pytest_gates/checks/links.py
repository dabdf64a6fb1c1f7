"""The ``links`` kind: every internal link of a built site resolves, and pages are linked enough.

An ``<a href>`` that stays inside the site (a relative link, a root-relative one, or an absolute
one under ``base_url``) must name a page of the site, and its ``#fragment`` an element of that
page: otherwise it is a ``hallucinated_link`` at the link's line, with the closest existing page
as the hint. ``min_outbound`` and ``min_inbound`` count the distinct other pages a page links to
and is linked from (for the ``new_pages``, or every page); a page no other page links to is an
orphan (the ``entry`` pages excepted).
"""

from __future__ import annotations

import difflib
from typing import Literal

from bs4 import Tag
from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.site.pages import (
    Page,
    Target,
    anchors,
    attr,
    column,
    internal_target,
    line,
    site_pages,
    unread_pages,
)
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import RelPath, matches, plural

RULE = "hallucinated_link"


class LinksParams(CheckParams):
    """Parameters of ``links``."""

    #: The built site's folder, relative to the rootdir.
    site: RelPath
    #: Globs of the pages inside ``site``.
    pages: list[RelPath] = Field(default_factory=lambda: ["**/*.html"], min_length=1)
    exclude: list[RelPath] = Field(default_factory=list)
    #: The site's public address: absolute links under it are internal.
    base_url: str | None = None
    #: Distinct other pages each (new) page links to, at least.
    min_outbound: int = Field(default=0, ge=0)
    #: Distinct other pages that link to each (new) page, at least.
    min_inbound: int = Field(default=0, ge=0)
    #: Globs (inside ``site``) of the pages the minimums apply to; empty: every page.
    new_pages: list[RelPath] = Field(default_factory=list)
    #: Pages that need no inbound link (home pages).
    entry: list[RelPath] = Field(default_factory=lambda: ["index.html", "*/index.html"])
    #: How an orphan page is reported.
    orphans: Literal["major", "minor", "off"] = "minor"


def _closest(name: str, names: list[str]) -> str | None:
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return found[0] if found else None


class _Links:
    def __init__(self, params: LinksParams, pages: list[Page]) -> None:
        self.params = params
        self.pages = {page.name: page for page in pages}
        self.findings: list[Finding] = []
        self.outbound: dict[str, set[str]] = {name: set() for name in self.pages}
        self.inbound: dict[str, set[str]] = {name: set() for name in self.pages}
        self.links = 0
        self._anchors: dict[str, set[str]] = {}

    def anchors_of(self, name: str) -> set[str]:
        if name not in self._anchors:
            self._anchors[name] = anchors(self.pages[name].soup)
        return self._anchors[name]

    def hallucinated(self, page: Page, tag: Tag, message: str, hint: str) -> None:
        self.findings.append(
            Finding(
                rule=RULE,
                location=Location(path=page.relative, line=line(tag), column=column(tag)),
                message=message,
                fix_hint=hint,
            )
        )

    def check_page(self, page: Page) -> None:
        for tag in page.soup.find_all("a", href=True):
            if not isinstance(tag, Tag):
                continue
            href = attr(tag, "href") or ""
            target = internal_target(href, page.name, self.params.base_url)
            if target is None:
                continue
            self.links += 1
            if isinstance(target, str):
                self.hallucinated(
                    page, tag, f"link to '{href}': {target}", "link to a page of the site"
                )
                continue
            self.resolve(page, tag, href, target)

    def resolve(self, page: Page, tag: Tag, href: str, target: Target) -> None:
        name = target.name
        if name not in self.pages and f"{name}/index.html" in self.pages:
            name = f"{name}/index.html"
        if name not in self.pages:
            closest = _closest("/" + name, sorted("/" + n for n in self.pages))
            hint = "remove the link, or link to an existing page of the site"
            self.hallucinated(
                page,
                tag,
                f"link to '{href}': no page '/{name}' exists in the site",
                f"did you mean '{closest}'? otherwise {hint}" if closest else hint,
            )
            return
        if target.fragment and target.fragment not in self.anchors_of(name):
            closest = _closest(target.fragment, sorted(self.anchors_of(name)))
            hint = f"link to an id that '/{name}' has"
            self.hallucinated(
                page,
                tag,
                f"link to '{href}': page '/{name}' has no element with id '{target.fragment}'",
                f"did you mean '#{closest}'? otherwise {hint}" if closest else hint,
            )
            return
        if name != page.name:
            self.outbound[page.name].add(name)
            self.inbound[name].add(page.name)

    def counts(self) -> None:
        params = self.params
        for name, page in self.pages.items():
            new = not params.new_pages or any(matches(name, p) for p in params.new_pages)
            out, into = len(self.outbound[name]), len(self.inbound[name])
            where = Location(path=page.relative, line=1)
            if new and out < params.min_outbound:
                self.findings.append(
                    Finding(
                        rule="links.min_outbound",
                        location=where,
                        message=f"links to {plural(out, 'other page')} of the site, "
                        f"fewer than the {params.min_outbound} required",
                        fix_hint="link to related pages of the site",
                    )
                )
            if new and into < params.min_inbound:
                self.findings.append(
                    Finding(
                        rule="links.min_inbound",
                        location=where,
                        message=f"linked from {plural(into, 'other page')} of the site, "
                        f"fewer than the {params.min_inbound} required",
                        fix_hint="link to it from related pages or an index",
                    )
                )
            entry = any(matches(name, p) for p in params.entry)
            if into == 0 and not entry and params.orphans != "off":
                self.findings.append(
                    Finding(
                        rule="links.orphan",
                        severity=params.orphans,
                        location=where,
                        message="an orphan: no other page of the site links to it",
                        fix_hint="link to it from an index or a related page, or remove it",
                    )
                )


@check_kind("links", params=LinksParams, idempotent=True)
def links(params: LinksParams, ctx: CheckContext) -> CheckResult:
    """Internal links resolve to pages and anchors of the site; pages are linked enough."""
    read = site_pages(ctx.rootdir, params.site, params.pages, params.exclude)
    pages = read.pages
    walk = _Links(params, pages)
    walk.findings += unread_pages(
        "links",
        ((f"{params.site}/{p}", f"no page matches '{p}' in '{params.site}'") for p in read.empty),
        read,
        "not UTF-8 text: its links cannot be read",
    )
    for page in pages:
        walk.check_page(page)
    walk.counts()
    errors = [f for f in walk.findings if f.severity != "minor"]
    broken = sum(1 for f in walk.findings if f.rule == RULE)
    orphans = sorted(page.relative for page in pages if not walk.inbound[page.name])
    return CheckResult(
        passed=not errors,
        summary=f"{plural(broken, 'broken link')} of {plural(walk.links, 'internal link')} "
        f"in {plural(len(pages), 'page')}",
        findings=sorted_findings(walk.findings),
        details={
            "pages": len(pages),
            "links": walk.links,
            "broken": broken,
            "orphans": [
                name
                for name in orphans
                if not any(matches(name[len(params.site) + 1 :], p) for p in params.entry)
            ],
        },
    )
