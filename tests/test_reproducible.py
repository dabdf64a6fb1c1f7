"""What is signed depends only on the inputs: two runs of the sample project (fixtures/demo), with
the real ``command``, ``coverage`` and ``files`` kinds, in two folders (two clones of one commit),
without and with xdist, give byte-identical evidence bodies, report body and DSSE payload when
``SOURCE_DATE_EPOCH`` is set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.support.digest import canonical_json

FIXTURE = Path(__file__).parent.parent / "fixtures" / "demo"
EPOCH = "1700000000"


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": f"{EPOCH} +0000",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_COMMITTER_DATE": f"{EPOCH} +0000",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)


def _copy(root: Path, broken: bool) -> Path:
    """The demo in ``root`` as a git work tree at the same commit as every other copy."""
    shutil.copytree(
        FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".gates", ".ruff_cache")
    )
    if broken:
        _break_lint(root)
    (root / ".gitignore").write_text("__pycache__/\n.gates/\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "demo")
    return root


def _break_lint(root: Path) -> None:
    source = root / "src" / "demo" / "__init__.py"
    docstring, rest = source.read_text().split("\n", 1)
    source.write_text(f"{docstring}\nimport os\n{rest}")


def _run(root: Path, workers: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "COV_CORE_", "PYTEST_GATES"))
    }
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--gates",
            "-p",
            "no:cacheprovider",
            "-n",
            workers,
            *extra,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _bodies(root: Path) -> dict[str, str]:
    """Each evidence body and the report body, as canonical JSON bytes."""
    out = root / ".gates"
    found = {
        path.name: canonical_json(json.loads(path.read_text())["body"])
        for path in sorted((out / "evidence").glob("*.json"))
    }
    found["report.json"] = canonical_json(json.loads((out / "report.json").read_text())["body"])
    return found


def _payload(root: Path) -> str:
    """The DSSE envelope's payload (base64, as signed)."""
    data: dict[str, Any] = json.loads((root / ".gates" / "report.intoto.json").read_text())
    return str(data["payload"])


@pytest.mark.slow
@pytest.mark.parametrize("broken", [False, True], ids=["go", "lint-fails"])
def test_two_runs_give_byte_identical_bodies(tmp_path: Path, broken: bool) -> None:
    first, second = _copy(tmp_path / "first", broken), _copy(tmp_path / "second-folder", broken)
    keys = tmp_path / "keys"
    subprocess.run(
        [sys.executable, "-m", "pytest_gates", "keygen", "--out", str(keys), "--name", "release"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # One argument: a path outside the project given apart would make pytest take it for the
    # rootdir's hint (the plugin's options are not known yet when pytest picks the rootdir).
    sign = (f"--gates-sign-key={keys / 'release.key'}",)
    one = _run(first, "0", *sign)
    two = _run(second, "2", *sign)
    assert one.returncode == two.returncode == (1 if broken else 0), one.stdout + two.stdout

    bodies = _bodies(first)
    assert sorted(bodies) == sorted(_bodies(second))
    assert len(bodies) == 6
    for name, body in bodies.items():
        assert body == _bodies(second)[name], name
    # The tool's own output, timings included, is in the bodies, reproducibly.
    tests = json.loads(bodies["qa.tests.json"])
    assert tests["items"][0]["output"].endswith("3 passed in <duration>")
    if broken:
        lint = json.loads(bodies["qa.lint.json"])
        assert "<rootdir>/src/demo/__init__.py" in lint["items"][0]["output"]
        assert str(first) not in lint["items"][0]["output"]
    assert _payload(first) == _payload(second)
