"""The eight-gate chain of seed 002 end to end (fixtures/site-release): it says GO, and every
failure path of the seed is caught by the gate that owns it, on a copy of the example."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.cli.main import main as gates_cli
from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject
from tests.signing_helpers import git

FIXTURE = Path(__file__).parent.parent / "fixtures" / "site-release"
GATES = ("research", "author", "qa", "review", "conformity", "ready", "deploy", "verified")
ALL_PASS = dict.fromkeys(GATES, "PASS")
#: Who is who in the example's trust file: the writer authors the commits.
IDENTITIES = {
    "writer": ([], "writer@example.test"),
    "reviewer": (["reviewer"], None),
    "approver": (["approver"], None),
    "operator": (["operator"], None),
}
#: A fixed clock for approvals and the runs that check them.
EPOCH = 1_780_000_000


class SiteRelease:
    """A copy of the example in a git work tree, with keys, a trust file and approvals."""

    def __init__(self, project: GatesProject) -> None:
        self.project = project
        self.root = project.root

    def path(self, name: str) -> Path:
        return self.root / name

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.path(name)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def commit(self) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", "a change")
        return git(self.root, "rev-parse", "HEAD")

    def approve(self, signer: str, gate: str, *flags: str, expires: str = "1h") -> None:
        args = ["approve", "--gate", gate, "--subject", "HEAD", "--reason", f"{signer} agrees"]
        args += ["--expires", expires, "--key", f"keys/{signer}.key", *flags]
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            assert gates_cli(args) == 0
        finally:
            os.chdir(cwd)

    def release(self) -> None:
        """Commit the work tree; the reviewer reviews, the approver approves the deployment."""
        self.commit()
        self.approve("reviewer", "review", "--review")
        self.approve("approver", "deploy")

    def run(self, *args: str) -> pytest.RunResult:
        return self.project.run("--gates", *args)

    def verdicts(self) -> dict[str, str]:
        return self.project.verdicts()

    def findings(self, gate: str) -> list[dict[str, Any]]:
        items = self.project.evidence(gate)["body"]["items"]
        return [finding for item in items for finding in item["findings"]]

    def deploy_step(self, step: str) -> None:
        subprocess.run([sys.executable, "deploy.py", step], cwd=self.root, check=True,
                       capture_output=True, timeout=120)  # fmt: skip


def _trust(root: Path) -> None:
    lines = ["version: 1", "identities:"]
    for name, (roles, email) in IDENTITIES.items():
        assert gates_cli(["keygen", "--out", str(root / "keys"), "--name", name]) == 0
        lines += [f"  - id: {name}", f"    roles: [{', '.join(roles)}]",
                  f"    keys: [{{path: keys/{name}.pub}}]"]  # fmt: skip
        if email:
            lines.append(f"    emails: [{email}]")
    (root / "manifests" / "trust.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def site(project: GatesProject, monkeypatch: pytest.MonkeyPatch) -> SiteRelease:
    shutil.copytree(
        FIXTURE,
        project.root,
        dirs_exist_ok=True,  # the example's conftest.py replaces the scripted kinds' one
        ignore=shutil.ignore_patterns(
            "__pycache__", ".gates", "build", "deploy", "benchmarks", ".ruff_cache", "approvals"
        ),
    )
    monkeypatch.delenv("SITE_RELEASE_LIVE_URL", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    _trust(project.root)
    git(project.root, "init", "-q")
    git(project.root, "config", "user.email", "writer@example.test")
    git(project.root, "config", "user.name", "writer")
    with (project.root / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("keys/*.key\napprovals/\n")
    return SiteRelease(project)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_example_says_go(site: SiteRelease) -> None:
    site.release()
    result = site.run()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["decision: GO: every gate passed"])
    assert site.verdicts() == ALL_PASS
    assert verify_outputs(site.path(".gates")) == []
    deployed = json.loads(site.path("deploy/live.json").read_text(encoding="utf-8"))["files"]
    assert sorted(deployed)[:3] == ["en/index.html", "en/posts/hallucination.html",
                                    "en/posts/release-gates.html"]  # fmt: skip
    assert all(digest.startswith("sha256:") for digest in deployed.values())
    # The deploy gate's evidence records what it deployed: every path with its sha256.
    sync = next(i for i in site.project.evidence("deploy")["body"]["items"] if i["check"] == "sync")
    assert f"  {deployed['en/index.html']}  en/index.html" in sync["output"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_call_to_a_fabricated_module_fails_review_at_its_line(site: SiteRelease) -> None:
    site.path("src/site_release/dashboard.py").write_text(
        textwrap.dedent(
            '''\
            """The read-only task dashboard."""

            import agent_registry


            def active() -> list[str]:
                return agent_registry.get_active_agents()
            '''
        ),
        encoding="utf-8",
    )
    site.release()
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts() == {
        **ALL_PASS,
        "review": "FAIL",
        **dict.fromkeys(("conformity", "ready", "deploy", "verified"), "BLOCKED"),
    }
    hint = "declare the module first, or install the distribution that provides it"
    assert [
        (f["rule"], f["severity"], f["location"]["path"], f["location"]["line"], f["message"])
        for f in site.findings("review")
        if f["rule"] == "hallucinated_symbol"
    ] == [
        ("hallucinated_symbol", "critical", "src/site_release/dashboard.py", 3,
         "no module named 'agent_registry' exists in the repository or in the installed "
         "distributions"),
        ("hallucinated_symbol", "critical", "src/site_release/dashboard.py", 7,
         "'agent_registry.get_active_agents': no module named 'agent_registry' exists"),
    ]  # fmt: skip
    assert all(hint in f["fix_hint"] for f in site.findings("review") if f["rule"] != "approval")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_one_way_hreflang_fails_conformity(site: SiteRelease) -> None:
    # The template's zh pages stop declaring their English version.
    site.edit(
        "src/site_release/render.py",
        "        if lang in available\n    )\n    return (",
        '        if lang in available and not (page.lang == "zh" and lang == "en")\n    )\n'
        "    return (",
    )
    site.release()
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts() == {
        **ALL_PASS,
        "conformity": "FAIL",
        **dict.fromkeys(("ready", "deploy", "verified"), "BLOCKED"),
    }
    found = [
        f for f in site.findings("conformity") if f["location"]["path"].endswith("rollback.html")
    ]
    assert [(f["rule"], f["location"]["path"], f["message"]) for f in found] == [
        ("hreflang.missing", "build/zh/posts/rollback.html",
         "hreflang one way: build/en/posts/rollback.html declares this page as its 'zh' version, "
         "but this page has no hreflang 'en' link back"),
    ]  # fmt: skip
    assert found[0]["fix_hint"].startswith("can be fixed automatically: run with --gates-fix")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_link_to_a_missing_page_fails_review(site: SiteRelease) -> None:
    site.edit(
        "content/en/posts/rollback.md",
        "VERIFIED checks the live site after every deployment.",
        "VERIFIED checks the live site after every deployment ([notes](/en/posts/nonexistent-page.html)).",
    )
    site.release()
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts() == {
        **ALL_PASS,
        "review": "FAIL",
        **dict.fromkeys(("conformity", "ready", "deploy", "verified"), "BLOCKED"),
    }
    links = [f for f in site.findings("review") if f["rule"] == "hallucinated_link"]
    assert [(f["location"]["path"], f["message"]) for f in links] == [
        ("build/en/posts/rollback.html",
         "link to '/en/posts/nonexistent-page.html': no page '/en/posts/nonexistent-page.html' "
         "exists in the site"),
    ]  # fmt: skip
    assert links[0]["location"]["line"] is not None


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_chinese_page_with_a_section_less_fails_parity(site: SiteRelease) -> None:
    source = site.path("content/zh/posts/rollback.md")
    text = source.read_text(encoding="utf-8")
    source.write_text(text[: text.index("## 下一步 {#next}")], encoding="utf-8")  # the last one
    site.release()
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts()["conformity"] == "FAIL"
    assert [
        (f["rule"], f["location"]["path"], f["message"])
        for f in site.findings("conformity")
        if f["rule"].startswith("parity")
    ] == [
        ("parity.sections", "build/zh/posts/rollback.html",
         "2 sections, but the 'en' version has 3"),
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_expired_deploy_approval_fails_deploy(
    site: SiteRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.commit()
    site.approve("reviewer", "review", "--review", expires="2h")
    site.approve("approver", "deploy", expires="30m")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts() == {**ALL_PASS, "deploy": "FAIL", "verified": "BLOCKED"}
    assert [f["rule"] for f in site.findings("deploy")] == ["approval.expired"]
    assert not site.path("deploy/live").exists()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_broken_live_page_fails_verified_and_rolls_back(site: SiteRelease) -> None:
    site.commit()
    site.deploy_step("build")
    site.deploy_step("sync")  # the release that is live before this change
    previous = site.path("deploy/live.json").read_text(encoding="utf-8")
    site.edit("content/en/posts/rollback.md", "after every deployment.", "after each deployment.")
    site.release()
    site.path("deploy/faults.json").write_text('{"/en/posts/rollback.html": 404}', encoding="utf-8")
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    verdicts = site.verdicts()
    assert verdicts["verified"] == "FAIL"
    found = [(f["rule"], f["location"]["path"]) for f in site.findings("verified")]
    assert ("http.status", "en/posts/rollback.html") in found
    assert ("http.broken_link", "en/index.html") in found  # it links to the broken page
    # The deploy gate's rollback put the previous release back, and verified it.
    log = [
        json.loads(line) for line in site.path(".gates/transitions.jsonl").read_text().splitlines()
    ]
    rollbacks = [line for line in log if line.get("event") == "rollback"]
    assert [(r["gate"], r["rollback"]["outcome"]) for r in rollbacks] == [("deploy", "ok")]
    assert site.path("deploy/live.json").read_text(encoding="utf-8") == previous
    rollback = site.project.evidence("deploy")["body"]["rollback"]
    assert (rollback["trigger"], rollback["outcome"]) == (
        "gate verified is FAIL (rollback_on of gate deploy)",
        "ok",
    )
    assert rollback["verify"]["output"] == "verified: 9 live files match deploy/live.json\n"
    assert "after every deployment." in site.path("deploy/live/en/posts/rollback.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_emergency_bypass_of_conformity_is_go_with_bypass(site: SiteRelease) -> None:
    site.edit(
        "src/site_release/render.py",
        "        if lang in available\n    )\n    return (",
        '        if lang in available and not (page.lang == "zh" and lang == "en")\n    )\n'
        "    return (",
    )
    site.edit("manifests/gates.yaml", "defaults:", "policy: {allow_bypass: true}\ndefaults:")
    site.release()
    site.approve("operator", "conformity", "--emergency")
    result = site.run()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert site.project.report()["body"]["decision"] == "GO_WITH_BYPASS"
    assert site.verdicts() == {**ALL_PASS, "conformity": "BYPASSED"}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_research_with_two_sources_fails(site: SiteRelease) -> None:
    site.path("research/research.yaml").write_text(
        textwrap.dedent(
            """\
            topic: releasing a bilingual site through gates
            required_terms: [release gate, hallucination, rollback, hreflang, evidence]
            sources:
              - title: Release gates, hallucination and rollback
                url: https://example.com/release-gates
                excerpt: Each release gate leaves evidence; a hallucination is caught; rollback.
              - title: Multilingual sites and hreflang
                url: https://example.com/hreflang/
            faq_candidates: [{question: "What is a gate?"}, {question: "Who approves?"}]
            internal_link_suggestions: [/en/posts/release-gates.html, /en/posts/rollback.html]
            """
        ),
        encoding="utf-8",
    )
    site.release()
    assert site.run().ret == pytest.ExitCode.TESTS_FAILED
    assert site.verdicts() == {"research": "FAIL", **dict.fromkeys(GATES[1:], "BLOCKED")}
    assert [
        (f["rule"], f["location"]["line"], f["message"]) for f in site.findings("research")
    ] == [
        ("research.sources", 3, "2 distinct sources cited, at least 3 required"),
    ]
