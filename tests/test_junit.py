"""JUnit XML of a gate session passes the xunit2 schema pytest tests its own JUnit XML against
(``junit-10.xsd``, beside this file), and says what each gate item is."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from pytest_gates.session.runtime import JUNIT_TEXT_LIMIT, bounded

from .helpers import GatesProject

XSD = Path(__file__).parent / "schemas" / "junit-10.xsd"

MANIFEST = """
version: 1
project: junit
gates:
  - id: author.files
    class: structural
    checks:
      - {id: exist, kind: scripted}
  - id: qa.lint
    class: structural
    checks:
      - {id: ruff, kind: scripted, outcome: fail}
  - id: tool.crash
    class: semantic
    checks:
      - {id: boom, kind: scripted, outcome: raise}
  - id: perf.budget
    class: benchmark
    timeout: 1
    checks:
      - {id: slow, kind: scripted, outcome: sleep, seconds: 30}
  - id: release.ok
    class: freshness
    needs: [qa.lint]
    checks:
      - {id: fresh, kind: scripted}
  - id: review.suite
    class: semantic
    suites: [gate_suites/review]
"""


def _run(project: GatesProject, *args: str) -> ET.Element:
    project.manifest(MANIFEST)
    project.suite(
        "gate_suites/review",
        {
            "test_review.py": """
            import pytest


            @pytest.fixture
            def broken():
                yield
                raise RuntimeError("teardown broke")


            def test_reviewed():
                assert 1 == 2


            def test_approved():
                pass


            def test_torn(broken):
                assert 1 == 2
            """
        },
    )
    project.run("--gates", "--junitxml=out.xml", *args)
    return ET.parse(project.root / "out.xml").getroot()


@pytest.fixture
def junit(project: GatesProject) -> ET.Element:
    return _run(project)


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_valid_against_the_xunit2_schema(junit: ET.Element) -> None:
    xmlschema.XMLSchema(XSD).validate(junit)
    assert not junit.findall(".//testcase/properties")


def test_items_are_grouped_by_gate(junit: ET.Element) -> None:
    classes = {name: case.get("classname") for name, case in _cases(junit).items()}
    assert classes == {
        "exist": "gates.author.files",
        "ruff": "gates.qa.lint",
        "boom": "gates.tool.crash",
        "slow": "gates.perf.budget",
        "fresh": "gates.release.ok",
        "test_reviewed": "gates.review.suite",
        "test_approved": "gates.review.suite",
        "test_torn": "gates.review.suite",
    }
    # A failed call and a teardown error: pytest writes two testcases, both settled.
    torn = [case for case in junit.iter("testcase") if case.get("name") == "test_torn"]
    assert [[child.tag for child in case] for case in torn] == [["failure"], ["error"]]
    assert {case.get("classname") for case in torn} == {"gates.review.suite"}


def test_errors_are_errors_and_failures_failures(junit: ET.Element) -> None:
    cases = _cases(junit)
    kinds = {name: [child.tag for child in case] for name, case in cases.items()}
    assert kinds["ruff"] == ["failure"]
    assert kinds["test_reviewed"] == ["failure"]
    assert kinds["boom"] == ["error"]
    assert kinds["slow"] == ["error"]
    assert kinds["fresh"] == ["skipped"]
    assert kinds["exist"] == kinds["test_approved"] == []
    (suite,) = junit.iter("testsuite")
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "3", "1")
    timeout = cases["slow"].find("error")
    assert timeout is not None
    assert len(timeout.text or "") <= JUNIT_TEXT_LIMIT + 200
    assert "Timeout" in (timeout.get("message") or "")


def test_a_long_text_keeps_its_start_and_end() -> None:
    text = "start\n" + "x" * 50_000 + "\nE   Failed: the end"
    short = bounded(text)
    assert len(short) < JUNIT_TEXT_LIMIT + 100
    assert short.startswith("start\n")
    assert short.endswith("E   Failed: the end")
    assert "characters cut" in short
    assert bounded("short") == "short"


def test_the_same_from_the_xdist_controller(project: GatesProject) -> None:
    junit = _run(project, "-n", "2")
    xmlschema.XMLSchema(XSD).validate(junit)
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    assert {case.get("classname") for case in cases.values()} == {
        "gates.author.files",
        "gates.qa.lint",
        "gates.tool.crash",
        "gates.perf.budget",
        "gates.release.ok",
        "gates.review.suite",
    }
    assert [child.tag for child in cases["slow"]] == ["error"]
    assert [child.tag for child in cases["boom"]] == ["error"]
