"""The ``http`` kind: a live check of a deployed site.

Each page of ``pages`` is fetched from ``url`` (or the address in the environment variable
``url_env``, for a server whose port is known only at run time) and must answer ``status``, carry
the ``headers`` (name -> a text its value contains; empty: only present) and match every CSS
selector of ``tags``. With ``canonical_base`` its canonical link must be exactly
``<canonical_base>/<page>``; with ``sitemap`` the sitemap must list that public URL; with
``links`` every internal link of the page must answer 200 too. A failed request is retried
``retries`` times, ``backoff`` seconds apart, doubling (a CDN that is still propagating).

Findings are located at the page's path on the site (the live address varies from run to run).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.message import Message

from bs4 import BeautifulSoup, Tag
from pydantic import Field, model_validator

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.site.pages import attr, internal_target, parse_html
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import plural

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class HttpParams(CheckParams):
    """Parameters of ``http``."""

    #: The live site's address.
    url: str | None = Field(default=None, pattern=r"^https?://")
    #: An environment variable holding the live site's address (wins over ``url``).
    url_env: str | None = None
    #: Paths of the pages under the address (``en/index.html``).
    pages: list[str] = Field(min_length=1)
    status: int = Field(default=200, ge=100, le=599)
    #: Response headers each page must have: name -> a text the value contains ("" = present).
    headers: dict[str, str] = Field(default_factory=dict)
    #: CSS selectors each page must match (``meta[name=description]``).
    tags: list[str] = Field(default_factory=list)
    #: The public address canonical links point to.
    canonical_base: str | None = Field(default=None, pattern=r"^https?://")
    #: The sitemap's path under the address; it must list every page's public URL.
    sitemap: str | None = None
    #: Also fetch every internal link of each page; each must answer 200.
    links: bool = False
    retries: int = Field(default=2, ge=0, le=10)
    backoff: float = Field(default=0.5, ge=0, le=60)
    request_timeout: float = Field(default=10, gt=0, le=300)

    @model_validator(mode="after")
    def _has_address(self) -> HttpParams:
        if self.url is None and self.url_env is None:
            raise ValueError("expected url or url_env (the live site's address)")
        return self


@dataclass
class Response:
    """What one request got: a status (0 when nothing answered), headers, body, attempts."""

    status: int
    headers: Message | None
    body: str
    attempts: int
    error: str = ""


def fetch(url: str, expected: int, params: HttpParams) -> Response:
    """GET ``url``; retried while it fails to answer ``expected``, at most ``retries`` times."""
    response = Response(0, None, "", 0)
    for attempt in range(params.retries + 1):
        if attempt:
            time.sleep(params.backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(url, headers={"User-Agent": "pytest-gates http check"})
        try:
            with urllib.request.urlopen(request, timeout=params.request_timeout) as answer:
                charset = answer.headers.get_content_charset() or "utf-8"
                body = answer.read().decode(charset, errors="replace")
                response = Response(answer.status, answer.headers, body, attempt + 1)
        except urllib.error.HTTPError as exc:
            response = Response(exc.code, exc.headers, "", attempt + 1)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            response = Response(0, None, "", attempt + 1, error=str(reason))
        if response.status == expected:
            break
    return response


@dataclass
class _Live:
    params: HttpParams
    base: str
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, page: str, rule: str, message: str, hint: str) -> None:
        self.findings.append(
            Finding(rule=rule, location=Location(path=page), message=message, fix_hint=hint)
        )

    def get(self, path: str, expected: int) -> Response:
        response = fetch(f"{self.base}/{path.lstrip('/')}", expected, self.params)
        self.requests += response.attempts
        return response

    def page(self, page: str) -> None:
        params = self.params
        response = self.get(page, params.status)
        self.statuses[page] = response.status
        if response.status != params.status:
            got = f"status {response.status}" if response.status else response.error
            self.add(
                page,
                "http.status",
                f"live page answered {got} after "
                f"{plural(response.attempts, 'attempt')}, expected {params.status}",
                "check the deployment and the CDN; the deploy gate can roll back",
            )
            return
        for name, text in params.headers.items():
            value = response.headers.get(name) if response.headers is not None else None
            if value is None or text not in value:
                what = "missing" if value is None else f"'{value}', expected to contain '{text}'"
                self.add(
                    page,
                    "http.header",
                    f"response header {name} is {what}",
                    "configure the server or the CDN to send it",
                )
        soup = parse_html(response.body)
        for selector in params.tags:
            if soup.select_one(selector) is None:
                self.add(
                    page,
                    "http.tag",
                    f"live page has no '{selector}'",
                    "deploy the page as built; check the build's template",
                )
        if params.canonical_base is not None:
            self.canonical(page, soup, params.canonical_base)
        if params.links:
            self.links(page, soup)

    def canonical(self, page: str, soup: BeautifulSoup, base: str) -> None:
        expected = f"{base.rstrip('/')}/{page.lstrip('/')}"
        tag = soup.find("link", rel="canonical")
        found = attr(tag, "href") if isinstance(tag, Tag) else None
        if found != expected:
            self.add(
                page,
                "http.canonical",
                f"canonical link is {found!r}, expected '{expected}'",
                "deploy the page as built by the site's template",
            )

    def links(self, page: str, soup: BeautifulSoup) -> None:
        for tag in soup.find_all("a", href=True):
            if not isinstance(tag, Tag):
                continue
            target = internal_target(
                attr(tag, "href") or "", page.lstrip("/"), self.params.canonical_base
            )
            if target is None or isinstance(target, str) or target.name == page.lstrip("/"):
                continue
            if target.name not in self.statuses:
                self.statuses[target.name] = self.get(target.name, 200).status
            if self.statuses[target.name] != 200:
                self.add(
                    page,
                    "http.broken_link",
                    f"link to '/{target.name}' answers status "
                    f"{self.statuses[target.name]} on the live site",
                    "deploy the linked page, or remove the link",
                )

    def sitemap(self, path: str) -> None:
        response = self.get(path, 200)
        if response.status != 200:
            self.add(
                path,
                "http.sitemap",
                f"sitemap answered status {response.status}",
                "deploy the sitemap",
            )
            return
        try:
            root = ET.fromstring(response.body)
        except ET.ParseError as exc:
            self.add(path, "http.sitemap", f"sitemap is not XML: {exc}", "deploy a valid sitemap")
            return
        listed = {(loc.text or "").strip() for loc in root.iter(f"{_SITEMAP_NS}loc")}
        public = (self.params.canonical_base or self.base).rstrip("/")
        for page in self.params.pages:
            if f"{public}/{page.lstrip('/')}" not in listed:
                self.add(
                    page,
                    "http.sitemap",
                    f"the sitemap does not list '{public}/{page.lstrip('/')}'",
                    "rebuild and deploy the sitemap",
                )


@check_kind("http", params=HttpParams, idempotent=True)
def http(params: HttpParams, ctx: CheckContext) -> CheckResult:
    """Live pages answer, carry their headers and tags, and are listed in the sitemap."""
    base = ctx.environ.get(params.url_env) if params.url_env else None
    base = base or params.url
    if not base:
        missing = Finding(
            rule="http.no_address",
            message=f"the live site's address is not set: ${params.url_env} is empty",
            fix_hint=f"set {params.url_env} to the deployed site's address, or give url",
        )
        return CheckResult(passed=False, summary="no live address", findings=[missing])
    live = _Live(params, base.rstrip("/"))
    for page in params.pages:
        live.page(page)
    if params.sitemap is not None:
        live.sitemap(params.sitemap)
    failed = len({f.location.path for f in live.findings})
    return CheckResult(
        passed=not live.findings,
        summary=f"{failed} of {plural(len(params.pages), 'live page')} failed "
        f"({plural(live.requests, 'request')})",
        findings=sorted_findings(live.findings),
        details={"pages": len(params.pages), "statuses": dict(sorted(live.statuses.items()))},
    )
