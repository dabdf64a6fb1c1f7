"""Findings of a page check that may repair what it finds (``site_conformity``)."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import Tag
from pydantic import JsonValue

from pytest_gates.checks.site.pages import Page, attr, column, line
from pytest_gates.model.findings import Finding, Location

#: An auto-fix: applies the repair to the parsed page and says what it changed.
Fix = Callable[[], str]


class Reporter:
    """Collects a check's findings; a problem that has a fix is repaired instead when ``fix``
    is on, and recorded in ``fixed`` (the evidence's ``details.fixed``)."""

    def __init__(self, fix: bool) -> None:
        self.fix = fix
        self.findings: list[Finding] = []
        self.fixed: list[dict[str, JsonValue]] = []
        #: The pages a fix changed, to be written back.
        self.modified: dict[str, Page] = {}

    def problem(
        self, page: Page, tag: Tag | None, rule: str, message: str, hint: str, fix: Fix | None
    ) -> None:
        if fix is not None and self.fix:
            self.fixed.append(
                {"path": page.relative, "rule": rule, "problem": message, "change": fix()}
            )
            self.modified[page.relative] = page
            return
        if fix is not None:
            hint = f"can be fixed automatically: run with --gates-fix, or {hint}"
        where = tag if tag is not None else page.soup.head
        self.findings.append(
            Finding(
                rule=rule,
                location=Location(path=page.relative, line=line(where) or 1, column=column(where)),
                message=message,
                fix_hint=hint,
            )
        )

    @staticmethod
    def add_to_head(page: Page, name: str, attrs: dict[str, str]) -> Fix | None:
        head = page.soup.head
        if head is None:
            return None

        def fix() -> str:
            tag = page.soup.new_tag(name, attrs=attrs)
            head.append(tag)
            head.append("\n")
            return f"added {tag}"

        return fix

    @staticmethod
    def set_attr(tag: Tag, name: str, value: str) -> Fix:
        def fix() -> str:
            before = attr(tag, name)
            tag[name] = value
            return f"{name} {before!r} -> {value!r}"

        return fix
