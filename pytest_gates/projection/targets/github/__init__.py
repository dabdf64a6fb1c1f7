"""The GitHub Actions target: the workflow, its drift, the hand-written jobs and steps it keeps."""

from __future__ import annotations

from pytest_gates.projection.targets.github.target import GITHUB, GitHubWorkflow

__all__ = ["GITHUB", "GitHubWorkflow"]
