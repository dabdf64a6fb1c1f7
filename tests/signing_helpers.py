"""What the signing and log tests share: a gate project in a git work tree, and keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - id: files
    class: structural
    checks: [{id: a, kind: scripted}]
  - id: lint
    class: structural
    needs: [files]
    checks: [{id: ruff, kind: scripted, outcome: fail}]
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def commit_all(root: Path, message: str = "a commit") -> str:
    """Make ``root`` a git work tree (once) and commit everything in it; the new HEAD."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
        git(root, "config", "user.email", "t@example.com")
        git(root, "config", "user.name", "t")
        (root / ".gitignore").write_text("__pycache__/\n.gates/\nkeys/\nout*/\nshard*/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def trust_file(root: Path, public: str = "keys/release.pub", role: str = "release") -> Path:
    path = root / "manifests" / "trust.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"version: 1\nidentities:\n  - id: ci\n    roles: [{role}]\n    keys: [{{path: {public}}}]\n"
    )
    return path


def gated(project: GatesProject, manifest: str = MANIFEST) -> str:
    """The sample manifest, committed; the commit."""
    project.manifest(manifest)
    return commit_all(project.root)
