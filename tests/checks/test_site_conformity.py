from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pytest_gates.checks.api import CheckContext
from pytest_gates.checks.site_conformity import site_conformity
from pytest_gates.model.findings import Finding, Location

BASE = "https://site.test"
DESCRIPTION = "A description long enough for the search engines: " + "x" * 80
PARAMS = {
    "site": "site",
    "languages": ["en", "zh"],
    "base_url": BASE,
    "structure": ["nav.breadcrumb", "main article", "footer"],
    "defaults": {"og:image": f"{BASE}/og.png", "twitter:card": "summary"},
}


def jsonld(article: dict[str, object] | None = None) -> str:
    data = [
        article
        if article is not None
        else {
            "@type": "Article",
            "headline": "A",
            "datePublished": "2026-06-01",
            "dateModified": "2026-06-02",
            "author": {"name": "x"},
        },
        {
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{BASE}/"},
                {"@type": "ListItem", "position": 2, "name": "A"},
            ],
        },
    ]
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def page(lang: str, *, head: str | None = None, sections: str | None = None, ld: str = "") -> str:
    if head is None:
        head = (
            f'<link rel="alternate" hreflang="en" href="{BASE}/en/a.html">\n'
            f'<link rel="alternate" hreflang="zh" href="{BASE}/zh/a.html">\n'
            f'<link rel="canonical" href="{BASE}/{lang}/a.html">\n'
            f'<meta property="og:title" content="A">\n'
            f'<meta property="og:description" content="{DESCRIPTION}">\n'
            f'<meta property="og:image" content="{BASE}/og.png">\n'
            '<meta name="twitter:card" content="summary">'
        )
    if sections is None:
        sections = '<section id="one"><h2>1</h2></section>\n<section id="two"><h2>2</h2></section>'
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<title>A</title>\n'
        f'<meta name="description" content="{DESCRIPTION}">\n{head}\n{ld or jsonld()}\n</head>\n'
        '<body>\n<nav class="breadcrumb"><a href="/">Home</a></nav>\n'
        f"<main><article>\n{sections}\n</article></main>\n<footer></footer>\n</body>\n</html>\n"
    )


def test_conforming_pages_pass(run_check, write) -> None:
    write("site/en/a.html", page("en"))
    write("site/zh/a.html", page("zh"))
    result = run_check(site_conformity, PARAMS)
    assert result.passed, result.findings
    assert result.summary == "0 problems in 2 pages"
    assert result.details == {"pages": 2, "languages": ["en", "zh"], "fixable": 0, "fixed": []}


def test_a_one_way_hreflang_is_a_fixable_finding(run_check, write) -> None:
    write("site/en/a.html", page("en"))
    zh = page("zh").replace(f'<link rel="alternate" hreflang="en" href="{BASE}/en/a.html">\n', "")
    write("site/zh/a.html", zh.replace(f"{BASE}/zh/a.html\">\n<link rel=\"canonical",
                                        f"{BASE}/zh/a.htm\">\n<link rel=\"canonical"))  # fmt: skip
    result = run_check(site_conformity, PARAMS)
    assert not result.passed
    assert result.findings == [
        Finding(
            rule="hreflang.missing",
            location=Location(path="site/zh/a.html", line=3, column=1),
            message="hreflang one way: site/en/a.html declares this page as its 'zh' version, but "
            "this page has no hreflang 'en' link back",
            fix_hint="can be fixed automatically: run with --gates-fix, or add "
            f'<link rel="alternate" hreflang="en" href="{BASE}/en/a.html">',
        ),
        Finding(
            rule="hreflang.mismatch",
            location=Location(path="site/zh/a.html", line=6, column=1),
            message=f"hreflang 'zh' points to '{BASE}/zh/a.htm', expected exactly "
            f"'{BASE}/zh/a.html'",
            fix_hint="can be fixed automatically: run with --gates-fix, or set its href to "
            f"'{BASE}/zh/a.html'",
        ),
    ]
    assert result.details["fixable"] == 2


def test_gates_fix_applies_the_fixes_and_records_them(
    run_check, write, check_ctx: CheckContext
) -> None:
    write("site/en/a.html", page("en"))
    zh = page("zh", ld=jsonld({"@type": "Article", "headline": "A", "author": "x",
                                "datePublished": "2026-06-01"}))  # fmt: skip
    zh = zh.replace(f'<link rel="alternate" hreflang="en" href="{BASE}/en/a.html">\n', "")
    zh = zh.replace('<meta name="twitter:card" content="summary">', "")
    path = write("site/zh/a.html", zh)
    fixing = CheckContext(**{**check_ctx.__dict__, "fix": True})
    result = site_conformity.run(site_conformity.parse(PARAMS), fixing)
    assert result.passed, result.findings
    assert result.summary == "0 problems in 2 pages; 3 fixes applied"
    assert [(fix["rule"], fix["change"]) for fix in result.details["fixed"]] == [
        (
            "hreflang.missing",
            f'added <link href="{BASE}/en/a.html" hreflang="en" rel="alternate"/>',
        ),
        ("seo.tag", 'added <meta content="summary" name="twitter:card"/>'),
        ("jsonld.field", "dateModified set to datePublished (2026-06-01)"),
    ]
    assert run_check(site_conformity, PARAMS).passed  # the page on disk was fixed
    assert '"dateModified": "2026-06-01"' in path.read_text(encoding="utf-8")


def test_seo_tags_are_present_populated_and_of_the_right_length(run_check, write) -> None:
    write("site/en/a.html", page("en").replace(DESCRIPTION, "Too short.", 1))
    head = f'<link rel="canonical" href="{BASE}/elsewhere.html">\n<meta property="og:title" content="">'
    write("site/zh/a.html", page("zh", head=head).replace("<title>A</title>", "<title></title>"))
    result = run_check(site_conformity, {**PARAMS, "languages": ["zh", "en"], "defaults": {}})
    assert sorted(
        (f.location.path, f.rule, f.message, f.fix_hint.startswith("can be fixed"))
        for f in result.findings
        if f.rule.startswith("seo")
    ) == [
        ("site/en/a.html", "seo.description_length",
         "meta description is 10 characters, expected 120 to 160", False),
        ("site/zh/a.html", "seo.canonical",
         f"canonical link points to '{BASE}/elsewhere.html', expected '{BASE}/zh/a.html'", True),
        ("site/zh/a.html", "seo.tag", "meta og:description is missing or empty", True),
        ("site/zh/a.html", "seo.tag", "meta og:image is missing or empty", False),
        ("site/zh/a.html", "seo.tag", "meta og:title is missing or empty", False),
        ("site/zh/a.html", "seo.tag", "meta twitter:card is missing or empty", False),
        ("site/zh/a.html", "seo.title", "no <title>, or an empty one", False),
    ]  # fmt: skip


def test_a_page_with_no_json_ld_and_a_broken_breadcrumb(run_check, write) -> None:
    write("site/en/a.html", page("en", ld="<!-- none -->"))
    broken = '{"@type": "BreadcrumbList", "itemListElement": [{"@type": "Thing", "position": 3}]}'
    write("site/zh/a.html", page("zh", ld=f'<script type="application/ld+json">{broken}</script>'))
    result = run_check(site_conformity, PARAMS)
    assert [(f.location.path, f.rule, f.message) for f in result.findings] == [
        ("site/en/a.html", "jsonld.missing", "no JSON-LD at all"),
        ("site/en/a.html", "jsonld.missing", "no JSON-LD at all"),
        ("site/zh/a.html", "jsonld.breadcrumb",
         "BreadcrumbList: itemListElement[0] has @type 'Thing', expected 'ListItem'"),
        ("site/zh/a.html", "jsonld.breadcrumb",
         "BreadcrumbList: itemListElement[0] has no name"),
        ("site/zh/a.html", "jsonld.breadcrumb",
         "BreadcrumbList: itemListElement[0] has position 3, expected 1"),
        ("site/zh/a.html", "jsonld.missing", "no JSON-LD an Article"),
    ]  # fmt: skip


def test_invalid_json_ld_is_located(run_check, write, where) -> None:
    write("site/en/a.html", page("en", ld='<script type="application/ld+json">{"a": </script>'))
    write("site/zh/a.html", page("zh"))
    result = run_check(site_conformity, PARAMS)
    invalid = [f for f in result.findings if f.rule == "jsonld.invalid"]
    assert [(f.location.line, f.message) for f in invalid] == [
        (13, "JSON-LD is not valid JSON: Expecting value (line 1, column 7 of the script)")
    ]


def test_bilingual_parity_and_template_structure(run_check, write) -> None:
    write("site/en/a.html", page("en"))
    write("site/zh/a.html", page("zh", sections='<section id="one"><h2>1</h2></section>'))
    write("site/en/b.html", page("en").replace("a.html", "b.html"))
    zh_b = page(
        "zh",
        sections='<section id="two"><h2>2</h2></section>\n<section id="one"><h3>1</h3></section>',
    )
    write("site/zh/b.html", zh_b.replace("a.html", "b.html").replace("<footer></footer>", ""))
    write("site/en/c.html", page("en").replace("a.html", "c.html"))
    result = run_check(site_conformity, PARAMS)
    assert [(f.location.path, f.rule, f.message) for f in result.findings] == [
        ("site/en/c.html", "parity.missing_page", "no 'zh' version: site/zh/c.html does not exist"),
        ("site/zh/a.html", "parity.sections", "1 section, but the 'en' version has 2"),
        ("site/zh/b.html", "structure.missing", "the template's 'footer' is missing"),
        ("site/zh/b.html", "parity.structure",
         "section 1 is <section id='two'> (h2), the 'en' version's is <section id='one'> (h2)"),
        ("site/zh/b.html", "parity.structure",
         "section 2 is <section id='one'> (h3), the 'en' version's is <section id='two'> (h2)"),
    ]  # fmt: skip


def test_malformed_html_is_parsed_on(run_check, write) -> None:
    write("site/en/a.html", page("en").replace("</nav>", "</span>").replace("</main>", ""))
    write("site/zh/a.html", page("zh").replace("<footer></footer>", "<footer><div></footer>"))
    assert run_check(site_conformity, PARAMS).passed


def test_a_language_with_no_pages_fails(run_check, write, where) -> None:
    write("site/en/a.html", page("en"))
    result = run_check(site_conformity, {**PARAMS, "languages": ["en", "zh"]})
    assert ("site.missing", "site/zh", None, None) in where(result)


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="language"):
        site_conformity.parse({"site": "s", "language": ["en"], "base_url": BASE})


def test_a_missing_description_an_incomplete_article_and_an_unreadable_page(
    run_check, write, where
) -> None:
    en = page("en", ld=jsonld({"@type": "BlogPosting", "headline": " ", "author": "x"}))
    write("site/en/a.html", en.replace(f'<meta name="description" content="{DESCRIPTION}">\n', ""))
    write("site/zh/a.html", page("zh"))
    write("site/zh/b.html", b"\xff not utf-8")
    result = run_check(site_conformity, {**PARAMS, "sections": None})
    assert [(f.location.path, f.rule, f.message, f.fix_hint) for f in result.findings] == [
        ("site/en/a.html", "seo.description", "no meta description, or an empty one",
         "write a description of 120-160 characters"),
        ("site/en/a.html", "jsonld.field", "Article has no dateModified",
         "add dateModified to the Article"),
        ("site/en/a.html", "jsonld.field", "Article has no datePublished",
         "add datePublished to the Article"),
        ("site/en/a.html", "jsonld.field", "Article has no headline", "add headline to the Article"),
        ("site/zh/b.html", "site.unreadable", "not UTF-8 text", "write the page as UTF-8"),
    ]  # fmt: skip


MANIFEST = f"""\
version: 1
project: site
gates:
  - id: conformity
    class: structural
    checks:
      - {{id: site, kind: site_conformity, site: site, languages: [en, zh], base_url: "{BASE}"}}
"""


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_gates_fix_switch_repairs_and_records(project, how: str) -> None:
    project.manifest(MANIFEST)
    (project.root / "site/en").mkdir(parents=True)
    (project.root / "site/zh").mkdir(parents=True)
    (project.root / "site/en/a.html").write_text(page("en"), encoding="utf-8")
    one_way = page("zh").replace(
        f'<link rel="alternate" hreflang="en" href="{BASE}/en/a.html">', ""
    )
    (project.root / "site/zh/a.html").write_text(one_way, encoding="utf-8")
    failed = project.run("--gates")
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(
        ["*hreflang.missing*can be fixed automatically: run with --gates-fix*"]
    )
    if how == "ini":
        project.pytester.makeini("[pytest]\ngates_fix = true\n")
    fixed = project.run("--gates", *(["--gates-fix"] if how == "option" else []))
    assert fixed.ret == pytest.ExitCode.OK
    details = project.evidence("conformity")["body"]["items"][0]["details"]
    assert [(f["path"], f["rule"]) for f in details["fixed"]] == [
        ("site/zh/a.html", "hreflang.missing")
    ]
    # The switch is the session's: the next session without it fixes nothing.
    (project.root / "site/zh/a.html").write_text(one_way, encoding="utf-8")
    if how == "ini":
        project.pytester.makeini("[pytest]\n")
    assert project.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    assert (project.root / "site/zh/a.html").read_text(encoding="utf-8") == one_way
