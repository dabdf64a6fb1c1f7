from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_gates.checks.links import links
from pytest_gates.model.findings import Finding, Location

PAGE = """\
<!DOCTYPE html>
<html><body>
{body}
</body></html>
"""


def page(body: str) -> str:
    return PAGE.format(body=body)


def test_links_to_pages_and_anchors_that_exist_pass(run_check, write) -> None:
    write("site/index.html", page('<a href="/en/a.html">a</a> <a href="en/b.html#part">b</a>'))
    write("site/en/a.html", page('<a href="b.html">b</a> <a href="../index.html">home</a>'))
    write(
        "site/en/b.html",
        page('<h2 id="part">x</h2><a href="https://site.test/en/a.html">a</a>'
             '<a href="https://elsewhere.test/x">out</a><a href="mailto:a@b.c">m</a>'),
    )  # fmt: skip
    result = run_check(links, {"site": "site", "base_url": "https://site.test"})
    assert result.passed, result.findings
    assert result.summary == "0 broken links of 5 internal links in 3 pages"
    assert result.details == {"pages": 3, "links": 5, "broken": 0, "orphans": []}


def test_a_link_to_a_missing_page_is_hallucinated_at_its_line(run_check, write) -> None:
    write("site/en/agent-release-gate-design.html", page("ok"))
    write(
        "site/en/post.html",
        page('<p>see\n<a href="/en/agent-release-gate-desing.html">this</a></p>\n'
             '<a href="/en/agent-release-gate-design.html#nope">anchor</a>'),
    )  # fmt: skip
    result = run_check(links, {"site": "site", "orphans": "off"})
    assert not result.passed
    assert result.summary == "2 broken links of 2 internal links in 2 pages"
    assert result.findings == [
        Finding(
            rule="hallucinated_link",
            location=Location(path="site/en/post.html", line=4, column=1),
            message="link to '/en/agent-release-gate-desing.html': no page "
            "'/en/agent-release-gate-desing.html' exists in the site",
            fix_hint="did you mean '/en/agent-release-gate-design.html'? otherwise remove the "
            "link, or link to an existing page of the site",
        ),
        Finding(
            rule="hallucinated_link",
            location=Location(path="site/en/post.html", line=5, column=1),
            message="link to '/en/agent-release-gate-design.html#nope': page "
            "'/en/agent-release-gate-design.html' has no element with id 'nope'",
            fix_hint="link to an id that '/en/agent-release-gate-design.html' has",
        ),
    ]


def test_a_link_out_of_the_site_folder_is_hallucinated(run_check, write, where) -> None:
    write("site/a.html", page('<a href="../../etc/passwd">x</a>'))
    result = run_check(links, {"site": "site", "orphans": "off"})
    assert [f.message for f in result.findings] == [
        "link to '../../etc/passwd': it leaves the site"
    ]


def test_minimum_links_and_orphans(run_check, write, where) -> None:
    write("site/index.html", page('<a href="posts/a.html">a</a>'))
    write("site/posts/a.html", page('<a href="b.html">b</a><a href="/index.html">home</a>'))
    write("site/posts/b.html", page("<p>no links</p>"))
    write("site/posts/lost.html", page('<a href="a.html">a</a>'))
    result = run_check(
        links,
        {"site": "site", "min_outbound": 2, "min_inbound": 1, "new_pages": ["posts/*.html"]},
    )
    assert where(result) == [
        ("links.min_outbound", "site/posts/b.html", 1, None),
        ("links.min_inbound", "site/posts/lost.html", 1, None),
        ("links.min_outbound", "site/posts/lost.html", 1, None),
        ("links.orphan", "site/posts/lost.html", 1, None),
    ]
    messages = {(f.rule, f.location.path): (f.message, f.severity) for f in result.findings}
    assert messages[("links.min_outbound", "site/posts/b.html")] == (
        "links to 0 other pages of the site, fewer than the 2 required",
        "major",
    )
    assert messages[("links.orphan", "site/posts/lost.html")] == (
        "an orphan: no other page of the site links to it",
        "minor",
    )
    assert result.details["orphans"] == ["site/posts/lost.html"]


def test_orphans_alone_are_minor_unless_asked(run_check, write) -> None:
    write("site/index.html", page("home"))
    write("site/lost.html", page("lost"))
    assert run_check(links, {"site": "site"}).passed
    assert not run_check(links, {"site": "site", "orphans": "major"}).passed


def test_malformed_html_is_read_on_and_a_pattern_that_matches_nothing_fails(
    run_check, write, where
) -> None:
    write("site/a.html", '<div><p><a href="b.html">unclosed <b>tags</div></span>')
    write("site/b.html", b"\xff\xfe not utf-8")
    result = run_check(
        links, {"site": "site", "pages": ["*.html", "none/*.html"], "orphans": "off"}
    )
    assert where(result) == [
        ("hallucinated_link", "site/a.html", 1, 9),
        ("links.unreadable", "site/b.html", None, None),
        ("links.missing", "site/none/*.html", None, None),
    ]


def test_a_page_symlinked_out_of_the_project_is_refused_and_one_inside_is_read(
    run_check, write, where, check_ctx, tmp_path
) -> None:
    write("site/index.html", page('<a href="shared.html">s</a> <a href="secret.html">x</a>'))
    write("pages/shared.html", page('<a href="index.html">home</a>'))
    (check_ctx.rootdir / "site" / "shared.html").symlink_to(check_ctx.rootdir / "pages/shared.html")
    outside = tmp_path / "secret.html"
    outside.write_text(page("outside the project"))
    (check_ctx.rootdir / "site" / "secret.html").symlink_to(outside)
    result = run_check(links, {"site": "site", "orphans": "off"})
    # The page that leaves the project is never read: a finding, and a link to it is broken.
    assert where(result) == [
        ("hallucinated_link", "site/index.html", 3, 29),
        ("path.outside_root", "site/secret.html", None, None),
    ]
    assert result.details["pages"] == 2  # index.html and the symlink inside the project


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ValidationError, match="min_outbond"):
        links.parse({"site": "s", "min_outbond": 3})
