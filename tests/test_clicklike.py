"""pytest-gates on a project set up as pallets/click is (fixtures/clicklike): warnings as errors,
tox in pyproject.toml, dependency groups, suites that are ordinary test files (issue 13)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "clicklike"
COVERAGE_NODE = "manifests/gates.yaml::qa.tests::[coverage]"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
def clicklike(tmp_path: Path) -> Path:
    root = tmp_path / "clicklike"
    shutil.copytree(FIXTURE, root)
    return root


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    proc = subprocess.run(
        argv, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, sys.executable, "-m", "pytest_gates", *args)


def _collected(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(line for line in proc.stdout.splitlines() if "::" in line)


def _coverage(root: Path, out: str) -> dict[str, Any]:
    evidence = json.loads((root / out / "evidence" / "qa.tests.json").read_text())
    (record,) = [i for i in evidence["body"]["items"] if i["nodeid"] == COVERAGE_NODE]
    return dict(record)


def _decision(root: Path, out: str) -> str:
    return str(json.loads((root / out / "report.json").read_text())["body"]["decision"])


def test_plain_pytest_is_the_same_with_and_without_the_plugin(clicklike: Path) -> None:
    with_plugin = _pytest(clicklike, "--collect-only", "-q")
    without = _pytest(clicklike, "--collect-only", "-q", "-p", "no:gates")
    assert _collected(with_plugin) == _collected(without)
    assert len(_collected(with_plugin)) == 12  # the suites' files included
    run = _pytest(clicklike, "-q")
    assert run.returncode == 0, run.stdout
    assert not (clicklike / ".gates").exists()


def test_gates_in_one_process_on_workers_and_on_shards(clicklike: Path) -> None:
    one = _pytest(clicklike, "--gates", "-p", "no:xdist", "--gates-out", "one")
    assert one.returncode == 0, one.stdout
    # The advisory gate degrades under filterwarnings = error: a warning, not a crash.
    assert "DegradedGateWarning: gate qa.size is DEGRADED" in one.stdout
    assert _decision(clicklike, "one") == "GO"
    record = _coverage(clicklike, "one")
    assert (record["outcome"], record["message"]) == ("passed", "total 100.0% >= minimum 80.0%")

    two = _pytest(clicklike, "--gates", "-n", "2", "--gates-out", "two")
    assert two.returncode == 0, two.stdout
    assert _coverage(clicklike, "two")["details"] == record["details"]

    for index in (1, 2):
        shard = _pytest(
            clicklike, "--gates", f"--gates-shard={index}/2", "--gates-out", f"s{index}"
        )
        assert shard.returncode == 0, shard.stdout
    merged = _cli(clicklike, "merge", "s1", "s2", "--out", "merged")
    assert merged.returncode == 0, merged.stderr
    assert _decision(clicklike, "merged") == "GO"
    assert _coverage(clicklike, "merged")["details"] == record["details"]
    assert _cli(clicklike, "verify", "merged").returncode == 0


def test_plan_sync_and_tox(clicklike: Path) -> None:
    plan = _cli(clicklike, "plan", "--shards", "2")
    assert plan.returncode == 0, plan.stdout + plan.stderr

    before = (clicklike / "pyproject.toml").read_text()
    sync = _cli(clicklike, "sync")
    assert sync.returncode == 0, sync.stderr
    assert sync.stderr == ""  # nothing that would keep the generated job from working
    assert sync.stdout.splitlines() == [
        "wrote .github/workflows/gates.yml from manifests/gates.yaml",
        "wrote pyproject.toml from manifests/gates.yaml",
    ]
    assert not (clicklike / "tox.ini").exists()  # the project's tox configuration stays where it is
    after = (clicklike / "pyproject.toml").read_text()
    assert after.startswith(before)  # the project's own part, byte for byte
    assert "[tool.tox.env.gates]" in after
    workflow = (clicklike / ".github" / "workflows" / "gates.yml").read_text()
    assert "python -m pip install --group dev -e . pytest-gates" in workflow
    check = _cli(clicklike, "sync", "--check")
    assert check.returncode == 0, check.stdout + check.stderr

    if shutil.which("tox") is None:
        pytest.skip("tox is not installed")
    config = _run(clicklike, "tox", "config", "-e", "gates,gates-semantic", "-k", "commands")
    assert config.returncode == 0, config.stdout + config.stderr
    assert "pytest --gates -m semantic --gates-out " in config.stdout
    listed = _run(clicklike, "tox", "list", "-m", "gates")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines() if line.strip()] == ["gates"]


def test_tox_e_gates_runs_the_gates(clicklike: Path, tmp_path: Path) -> None:
    """The generated environment, for real: tox installs the dependency group and pytest-gates
    (a wheel of this checkout, found through PIP_FIND_LINKS), runs the gates and verifies."""
    if shutil.which("tox") is None:
        pytest.skip("tox is not installed")
    wheels = tmp_path / "wheels"
    repo = FIXTURE.parents[1]
    built = _run(
        clicklike,
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        str(repo),
        "-w",
        str(wheels),
    )
    assert built.returncode == 0, built.stderr
    assert _cli(clicklike, "sync").returncode == 0
    links = " ".join(filter(None, [str(wheels), os.environ.get("PIP_FIND_LINKS", "")]))
    env = {**os.environ, "PIP_FIND_LINKS": links}
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    proc = subprocess.run(
        ["tox", "-e", "gates"], cwd=clicklike, env=env, capture_output=True, text=True, timeout=500
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert proc.returncode == 0, output
    assert "decision: GO: every blocking gate passed; degraded: qa.size" in output
    assert _decision(clicklike, ".gates") == "GO"
