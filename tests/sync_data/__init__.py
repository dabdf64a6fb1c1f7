"""A sample project for the sync tests: a manifest, the files sync writes, and edits to them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from pytest_gates.projection.sync import SyncPlan, plan_sync, write

#: Three gates of two classes; ``{projection}`` is replaced by a projection block (or nothing).
MANIFEST = """\
version: 1
project: demo
{projection}gates:
  - {{id: author.files, class: structural, checks: [{{id: one, kind: scripted}}]}}
  - {{id: qa.lint, class: structural, needs: [author.files], checks: [{{id: ruff, kind: scripted}}]}}
  - {{id: qa.tests, class: semantic, needs: [author.files], checks: [{{id: cov, kind: scripted}}]}}
"""

#: A tox.ini of the project's own, with comments and sections sync must leave alone.
TOX_INI = """\
# The project's own tox configuration.
[tox]
env_list = py, lint

[testenv]
description = the tests
commands = pytest {posargs}

; a comment in the other style
[testenv:lint]
skip_install = true
commands =
    ruff check .
"""

WORKFLOW = ".github/workflows/gates.yml"

#: Policy keys that leave out what the workflow gained later (the log restored from the main
#: branch, the concurrency group, the pip cache), so the drift tests pin the core workflow with
#: stable lines; the tests of those features use the defaults (``SyncProject(..., core=False)``).
CORE_POLICY = {"restore_log": "false", "concurrency": "false", "pip_cache": "false"}


class SyncProject:
    """A project folder with a manifest; sync writes into it."""

    def __init__(
        self, root: Path, projection: str = "", tox: str | None = TOX_INI, core: bool = True
    ) -> None:
        self.root = root
        self.core = core
        self.manifest(projection)
        if tox is not None:
            (root / "tox.ini").write_text(tox, encoding="utf-8")

    def manifest(self, projection: str = "") -> Path:
        projection = textwrap.dedent(projection)
        if self.core:
            projection += "".join(
                f"{key}: {value}\n"
                for key, value in CORE_POLICY.items()
                if not re.search(rf"^{key}:", projection, re.MULTILINE)
            )
        block = "projection:\n" + textwrap.indent(projection, "  ")
        text = MANIFEST.format(projection=block if projection else "")
        path = self.root / "manifests" / "gates.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def plan(self, shards: int | None = None) -> SyncPlan:
        return plan_sync(self.root, self.root / "manifests" / "gates.yaml", shards)

    def sync(self, shards: int | None = None) -> SyncPlan:
        plan = self.plan(shards)
        assert write(plan) == 0
        return plan

    def read(self, name: str = WORKFLOW) -> str:
        return (self.root / name).read_text(encoding="utf-8")

    def workflow(self) -> Any:
        return yaml.safe_load(self.read())

    def edit(self, old: str, new: str, name: str = WORKFLOW, count: int = 1) -> None:
        """Replace ``old`` (which must occur ``count`` times) in a file, as a person would."""
        text = self.read(name)
        assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {name}"
        (self.root / name).write_text(text.replace(old, new), encoding="utf-8")

    def messages(self, shards: int | None = None) -> list[str]:
        """The rendered drifts of every file, in file order."""
        return [drift.render() for drift in self.plan(shards).drifts]
