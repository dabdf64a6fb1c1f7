"""The CI targets a manifest is projected onto: one module (or package) per target.

A new target (GitLab CI, tox.toml) is one new module that meets
:class:`~pytest_gates.projection.target.Target`, and one entry in :data:`TARGETS`.
"""

from __future__ import annotations

from typing import Final

from pytest_gates.projection.target import Target
from pytest_gates.projection.targets.github import GITHUB
from pytest_gates.projection.targets.tox import TOX

#: The built-in targets, in the order sync writes and reports their files.
TARGETS: Final[tuple[Target, ...]] = (GITHUB, TOX)

__all__ = ["TARGETS"]
