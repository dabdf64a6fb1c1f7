"""A suite that cannot give items (no tests, a syntax error, a conftest that fails to import)
is its gate's ERROR before anything runs: the gates that need it are BLOCKED and their items
never run, the other gates run, and ``-n 0`` and ``-n 2`` agree (issue 15)."""

from __future__ import annotations

import pytest

from tests.helpers import GatesProject

pytestmark = pytest.mark.slow
MODES = [pytest.param(("-p", "no:xdist"), id="no-xdist"), pytest.param(("-n", "2"), id="n2")]
MANIFEST = (
    "version: 1\nproject: demo\ngates:\n"
    "  - {id: ok, class: structural, suites: [suites/ok/]}\n"
    "  - {id: broken, class: structural, suites: [suites/broken/]}\n"
    "  - {id: after, class: structural, needs: [broken], suites: [suites/after/]}\n"
)
AFTER = "from pathlib import Path\n\n\ndef test_after():\n    Path('after-ran').write_text('yes')\n"
BROKEN = {
    "no tests": {"README.txt": "nothing to collect\n"},
    "syntax error": {"test_broken.py": "def test_broken(:\n    pass\n"},
    "failing conftest": {
        "conftest.py": "raise ImportError('no module named fixtures_we_need')\n",
        "test_broken.py": "def test_broken():\n    pass\n",
    },
}
REASONS = {
    "no tests": "1 item errored; first: suites/broken/: suite suites/broken/ collected no tests",
    "syntax error": "1 item errored; first: suites/broken/test_broken.py: collection error: E",
    "failing conftest": "1 item errored; first: suites/broken: collection error: E   ImportError:",
}


@pytest.mark.parametrize("dist", MODES)
@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_a_suite_without_items_blocks_its_dependents_which_never_run(
    project: GatesProject, dist: tuple[str, ...], fault: str
) -> None:
    project.manifest(MANIFEST)
    project.suite("suites/ok", {"test_ok.py": "def test_ok():\n    pass\n"})
    project.suite("suites/after", {"test_after.py": AFTER})
    project.suite("suites/broken", BROKEN[fault])
    result = project.run(*dist, "--gates")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # not INTERRUPTED: the other gates ran
    assert project.verdicts() == {"ok": "PASS", "broken": "ERROR", "after": "BLOCKED"}
    assert not (project.root / "after-ran").exists()
    [after] = project.evidence("after")["body"]["items"]
    assert (after["outcome"], after["message"]) == ("blocked", "blocked by broken")
    reasons = {g["id"]: g["reason"] for g in project.report()["body"]["gates"]}
    assert reasons["broken"].startswith(REASONS[fault])
