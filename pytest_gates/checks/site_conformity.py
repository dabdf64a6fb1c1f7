"""The ``site_conformity`` kind: a multilingual site follows its project's standards.

For every page of every language (``<site>/<lang>/<page>``), read with a real HTML parser
(BeautifulSoup on ``html.parser``, see :mod:`pytest_gates.checks.site.pages`):

* hreflang both ways: each page links ``rel=alternate hreflang=<lang>`` to each language's
  version, with exactly ``<base_url>/<lang>/<page>``; a missing version of a page is a finding;
* JSON-LD: an ``Article`` with ``headline``, ``datePublished``, ``dateModified``, ``author``,
  and a ``BreadcrumbList`` whose ``itemListElement`` is well-formed;
* SEO tags present and populated: ``<title>``, a meta description of ``description_min`` to
  ``description_max`` characters, ``og:title``, ``og:description``, ``og:image``,
  ``twitter:card``, and a canonical link to the page's own URL;
* the template's structure: each CSS selector of ``structure`` matches;
* bilingual parity: every language's version has the same sections (``sections`` selector), in
  the same order, with the same ids and heading levels.

What a template can repair (a missing or wrong hreflang or canonical link, a missing og/twitter
tag whose value is known, ``dateModified`` copied from ``datePublished``) is a finding that says
so; with ``--gates-fix`` (or ``fix: true``) it is repaired in place and recorded in the evidence
(``details.fixed``) instead.
"""

from __future__ import annotations

from bs4 import Tag
from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.site import jsonld
from pytest_gates.checks.site.pages import Page, attr, site_pages, unread_pages
from pytest_gates.checks.site.report import Fix, Reporter
from pytest_gates.model.findings import sorted_findings
from pytest_gates.support.paths import RelPath, plural

#: Meta tags every page has, by property (Open Graph) or name (Twitter, description).
SOCIAL_TAGS = ("og:title", "og:description", "og:image", "twitter:card")


class SiteConformityParams(CheckParams):
    """Parameters of ``site_conformity``."""

    #: The built site's folder; each language is a folder in it.
    site: RelPath
    #: The site's languages, as hreflang codes and folder names (``[en, zh]``).
    languages: list[str] = Field(min_length=1)
    #: The site's public address; a page's URL is ``<base_url>/<lang>/<page>``.
    base_url: str = Field(pattern=r"^https?://")
    #: Globs of the pages inside each language's folder.
    pages: list[RelPath] = Field(default_factory=lambda: ["**/*.html"], min_length=1)
    exclude: list[RelPath] = Field(default_factory=list)
    description_min: int = Field(default=120, ge=0)
    description_max: int = Field(default=160, ge=1)
    #: CSS selectors that each must match in every page (the template's structure).
    structure: list[str] = Field(default_factory=list)
    #: CSS selector of a page's sections, compared across languages; ``null``: no parity check.
    sections: str | None = "article section"
    #: Values the template gives meta tags, for auto-fix (``og:image``, ``twitter:card``).
    defaults: dict[str, str] = Field(default_factory=dict)
    #: Check the JSON-LD.
    jsonld: bool = True
    #: Apply the auto-fixes even without ``--gates-fix``.
    fix: bool = False


class _Conformity(Reporter):
    def __init__(self, params: SiteConformityParams, fix: bool) -> None:
        super().__init__(fix)
        self.params = params
        self.base = params.base_url.rstrip("/")

    def url(self, lang: str, name: str) -> str:
        return f"{self.base}/{lang}/{name}"

    def hreflang(self, lang: str, page: Page, group: dict[str, Page]) -> None:
        links: dict[str, Tag] = {}
        for tag in page.soup.find_all("link", hreflang=True):
            if isinstance(tag, Tag) and "alternate" in (attr(tag, "rel") or "").split():
                links.setdefault(attr(tag, "hreflang") or "", tag)
        for other in self.params.languages:
            expected = self.url(other, page.name)
            declared = links.get(other)
            if other not in group:
                continue
            if declared is None:
                back = group[other] if other != lang else None
                declares_us = back is not None and any(
                    isinstance(t, Tag) and attr(t, "href") == self.url(lang, page.name)
                    for t in back.soup.find_all("link", hreflang=lang)
                )
                message = (
                    f"hreflang one way: {back.relative} declares this page as its '{lang}' "
                    f"version, but this page has no hreflang '{other}' link back"
                    if back is not None and declares_us
                    else f"no hreflang '{other}' link (expected href '{expected}')"
                )
                self.problem(
                    page,
                    None,
                    "hreflang.missing",
                    message,
                    f'add <link rel="alternate" hreflang="{other}" href="{expected}">',
                    self.add_to_head(
                        page, "link", {"rel": "alternate", "hreflang": other, "href": expected}
                    ),
                )
            elif attr(declared, "href") != expected:
                self.problem(
                    page,
                    declared,
                    "hreflang.mismatch",
                    f"hreflang '{other}' points to '{attr(declared, 'href')}', expected exactly "
                    f"'{expected}'",
                    f"set its href to '{expected}'",
                    self.set_attr(declared, "href", expected),
                )

    def seo(self, lang: str, page: Page) -> None:
        soup, params = page.soup, self.params
        title = soup.title.get_text().strip() if soup.title is not None else ""
        if not title:
            self.problem(
                page,
                soup.title,
                "seo.title",
                "no <title>, or an empty one",
                "give the page a descriptive <title>",
                None,
            )
        described = _meta(page, "description")
        description = (attr(described, "content") or "").strip() if described else ""
        if not description:
            self.problem(
                page,
                described,
                "seo.description",
                "no meta description, or an empty one",
                f"write a description of {params.description_min}-"
                f"{params.description_max} characters",
                None,
            )
        elif not params.description_min <= len(description) <= params.description_max:
            self.problem(
                page,
                described,
                "seo.description_length",
                f"meta description is {len(description)} characters, expected "
                f"{params.description_min} to {params.description_max}",
                "rewrite the description to fit",
                None,
            )
        known = {"og:title": title, "og:description": description, **params.defaults}
        for prop in SOCIAL_TAGS:
            tag = _meta(page, prop)
            value = known.get(prop, "")
            if tag is not None and (attr(tag, "content") or "").strip():
                continue
            key = "property" if prop.startswith("og:") else "name"
            fix: Fix | None = None
            if value and tag is not None:
                fix = self.set_attr(tag, "content", value)
            elif value:
                fix = self.add_to_head(page, "meta", {key: prop, "content": value})
            self.problem(
                page,
                tag,
                "seo.tag",
                f"meta {prop} is missing or empty",
                f'add <meta {key}="{prop}" content="...">',
                fix,
            )
        self.canonical(lang, page)

    def canonical(self, lang: str, page: Page) -> None:
        expected = self.url(lang, page.name)
        tag = page.soup.find("link", rel="canonical")
        if not isinstance(tag, Tag):
            self.problem(
                page,
                None,
                "seo.canonical",
                "no canonical link",
                f'add <link rel="canonical" href="{expected}">',
                self.add_to_head(page, "link", {"rel": "canonical", "href": expected}),
            )
        elif attr(tag, "href") != expected:
            self.problem(
                page,
                tag,
                "seo.canonical",
                f"canonical link points to '{attr(tag, 'href')}', expected '{expected}'",
                f"set its href to '{expected}'",
                self.set_attr(tag, "href", expected),
            )

    def structure(self, page: Page) -> None:
        for selector in self.params.structure:
            if page.soup.select_one(selector) is None:
                self.problem(
                    page,
                    page.soup.body,
                    "structure.missing",
                    f"the template's '{selector}' is missing",
                    "build the page from the site's template",
                    None,
                )

    def parity(self, group: dict[str, Page]) -> None:
        selector = self.params.sections
        if selector is None:
            return
        first_lang, *others = [lang for lang in self.params.languages if lang in group]
        reference = [_signature(tag) for tag in group[first_lang].soup.select(selector)]
        for lang in others:
            page = group[lang]
            tags = page.soup.select(selector)
            found = [_signature(tag) for tag in tags]
            if len(found) != len(reference):
                self.problem(
                    page,
                    tags[-1] if tags else page.soup.body,
                    "parity.sections",
                    f"{plural(len(found), 'section')}, but the '{first_lang}' version "
                    f"has {len(reference)}",
                    f"translate every section of {group[first_lang].relative}",
                    None,
                )
                continue
            for n, (mine, theirs) in enumerate(zip(found, reference, strict=True)):
                if mine != theirs:
                    self.problem(
                        page,
                        tags[n],
                        "parity.structure",
                        f"section {n + 1} is {mine}, the '{first_lang}' version's is {theirs}",
                        "keep the sections in the same order with the "
                        "same ids and headings in every language",
                        None,
                    )

    def missing_versions(self, group: dict[str, Page]) -> None:
        present = [lang for lang in self.params.languages if lang in group]
        for lang in self.params.languages:
            if lang not in group:
                source = group[present[0]]
                self.problem(
                    source,
                    None,
                    "parity.missing_page",
                    f"no '{lang}' version: {self.params.site}/{lang}/{source.name} does not exist",
                    f"translate the page into '{lang}'",
                    None,
                )


def _meta(page: Page, key: str) -> Tag | None:
    for attribute in ("property", "name"):
        tag = page.soup.find("meta", attrs={attribute: key})
        if isinstance(tag, Tag):
            return tag
    return None


def _signature(tag: Tag) -> str:
    heading = tag.find(["h1", "h2", "h3", "h4", "h5", "h6"])
    level = heading.name if isinstance(heading, Tag) else "no heading"
    ident = attr(tag, "id")
    return f"<{tag.name}{f' id={ident!r}' if ident else ''}> ({level})"


@check_kind("site_conformity", params=SiteConformityParams, idempotent=True)
def site_conformity(params: SiteConformityParams, ctx: CheckContext) -> CheckResult:
    """A multilingual site's hreflang, JSON-LD, SEO tags, template and language parity conform."""
    walk = _Conformity(params, params.fix or ctx.fix)
    groups: dict[str, dict[str, Page]] = {}
    for lang in params.languages:
        read = site_pages(ctx.rootdir, f"{params.site}/{lang}", params.pages, params.exclude)
        walk.findings += unread_pages(
            "site",
            ((f"{params.site}/{lang}", f"no '{lang}' page matches '{p}'") for p in read.empty),
            read,
            "not UTF-8 text",
        )
        for page in read.pages:
            groups.setdefault(page.name, {})[lang] = page
    for name in sorted(groups):
        group = groups[name]
        walk.missing_versions(group)
        for lang, page in group.items():
            walk.hreflang(lang, page, group)
            walk.seo(lang, page)
            if params.jsonld:
                jsonld.check_jsonld(walk, page)
            walk.structure(page)
        walk.parity(group)
    for page in walk.modified.values():
        page.path.write_text(str(page.soup), encoding="utf-8")
    total = sum(len(group) for group in groups.values())
    summary = f"{plural(len(walk.findings), 'problem')} in {plural(total, 'page')}"
    if walk.fixed:
        summary += f"; {len(walk.fixed)} {'fix' if len(walk.fixed) == 1 else 'fixes'} applied"
    fixable = sum(1 for f in walk.findings if (f.fix_hint or "").startswith("can be fixed"))
    return CheckResult(
        passed=not walk.findings,
        summary=summary,
        findings=sorted_findings(walk.findings),
        details={
            "pages": total,
            "languages": list(params.languages),
            "fixable": fixable,
            "fixed": list(walk.fixed),
        },
    )
