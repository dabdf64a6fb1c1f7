"""JSON-LD in a page: its ``Article`` and ``BreadcrumbList`` and their required fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from bs4 import BeautifulSoup, Tag

from pytest_gates.checks.site.pages import Page
from pytest_gates.checks.site.report import Fix, Reporter

#: ``@type`` values that are an Article (schema.org's subtypes search engines read as one).
ARTICLE_TYPES: Final = frozenset({"Article", "BlogPosting", "NewsArticle", "TechArticle"})

#: Fields an Article must have, populated.
ARTICLE_FIELDS: Final = ("headline", "datePublished", "dateModified", "author")


@dataclass
class JsonLdScript:
    """One ``<script type="application/ld+json">`` and what it holds."""

    tag: Tag
    data: Any = None
    error: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)


def _objects(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [obj for item in data for obj in _objects(item)]
    if not isinstance(data, dict):
        return []
    graph = data.get("@graph")
    return [data, *_objects(graph)] if isinstance(graph, list) else [data]


def scripts(soup: BeautifulSoup) -> list[JsonLdScript]:
    found: list[JsonLdScript] = []
    for tag in soup.find_all("script", attrs={"type": "application/ld+json"}):
        if not isinstance(tag, Tag):
            continue
        script = JsonLdScript(tag)
        try:
            script.data = json.loads(tag.get_text())
        except json.JSONDecodeError as exc:
            script.error = f"{exc.msg} (line {exc.lineno}, column {exc.colno} of the script)"
        else:
            script.objects = _objects(script.data)
        found.append(script)
    return found


def types_of(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, list):
        return {str(k) for k in kind}
    return {str(kind)} if kind is not None else set()


def populated(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def breadcrumb_problems(obj: dict[str, Any]) -> list[str]:
    """What is wrong with a BreadcrumbList's ``itemListElement`` (empty when well-formed)."""
    items = obj.get("itemListElement")
    if not isinstance(items, list) or not items:
        return ["itemListElement is missing or empty (expected a list of ListItem)"]
    problems: list[str] = []
    for n, item in enumerate(items):
        where = f"itemListElement[{n}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        if "ListItem" not in types_of(item):
            problems.append(f"{where} has @type {item.get('@type')!r}, expected 'ListItem'")
        if item.get("position") != n + 1 or isinstance(item.get("position"), bool):
            problems.append(f"{where} has position {item.get('position')!r}, expected {n + 1}")
        if not populated(item.get("name")):
            problems.append(f"{where} has no name")
        target = item.get("item")
        if isinstance(target, dict):
            target = target.get("@id")
        if n < len(items) - 1 and not populated(target):
            problems.append(f"{where} has no item URL (only the last crumb may omit it)")
    return problems


def check_jsonld(report: Reporter, page: Page) -> None:
    """The page's JSON-LD has an Article and a BreadcrumbList, each complete."""
    found = scripts(page.soup)
    for script in found:
        if script.error is not None:
            report.problem(
                page,
                script.tag,
                "jsonld.invalid",
                f"JSON-LD is not valid JSON: {script.error}",
                "fix the JSON",
                None,
            )
    objects = [(script, obj) for script in found for obj in script.objects]
    article = next(((s, o) for s, o in objects if types_of(o) & ARTICLE_TYPES), None)
    crumbs = next(((s, o) for s, o in objects if "BreadcrumbList" in types_of(o)), None)
    for wanted, present in (("an Article", article), ("a BreadcrumbList", crumbs)):
        if present is None:
            report.problem(
                page,
                found[0].tag if found else None,
                "jsonld.missing",
                f"no JSON-LD {wanted}" if found else "no JSON-LD at all",
                f'add {wanted} in <script type="application/ld+json">',
                None,
            )
    if article is not None:
        _article(report, page, *article)
    if crumbs is not None:
        for problem in breadcrumb_problems(crumbs[1]):
            report.problem(
                page,
                crumbs[0].tag,
                "jsonld.breadcrumb",
                f"BreadcrumbList: {problem}",
                "list each crumb as a ListItem with position, name and item",
                None,
            )


def _article(report: Reporter, page: Page, script: JsonLdScript, obj: dict[str, Any]) -> None:
    for name in ARTICLE_FIELDS:
        if populated(obj.get(name)):
            continue
        fix: Fix | None = None
        if name == "dateModified" and populated(obj.get("datePublished")):

            def fix(obj: dict[str, Any] = obj) -> str:
                obj["dateModified"] = obj["datePublished"]
                script.tag.string = json.dumps(script.data, ensure_ascii=False, indent=2)
                return f"dateModified set to datePublished ({obj['datePublished']})"

        report.problem(
            page,
            script.tag,
            "jsonld.field",
            f"Article has no {name}",
            f"add {name} to the Article",
            fix,
        )
