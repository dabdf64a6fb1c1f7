"""The GitHub Actions workflow projected from the manifest.

Two jobs: ``gates`` runs ``pytest --gates`` (a matrix of shards when the policy asks for more than
one) and uploads the outputs; ``result`` always runs, verifies (or merges the shards), publishes
the report to the job summary and fails unless the decision is ``GO``. That one always-running
job is what a repository makes required: a required check that a path filter skips would wait
forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pytest_gates.model.policy import (
    GATES_JOB,
    RESULT_JOB,
    RESULT_JOB_NAME,
    STEP_CHECKOUT,
    STEP_DECIDE,
    STEP_DOWNLOAD,
    STEP_GATES,
    STEP_INSTALL,
    STEP_MERGE,
    STEP_PUBLISH,
    STEP_PYTHON,
    STEP_UPLOAD,
    STEP_VERIFY,
    ProjectionPolicy,
)
from pytest_gates.projection.commands import OUTPUT_DIR, merge_command, verify_command
from pytest_gates.projection.emit import Emitter, Flow, Manual, Node, Pinned
from pytest_gates.projection.source import ProjectionSource

#: Actions pinned to full commit SHAs (a tag can be moved; a SHA cannot), the release in a comment.
CHECKOUT: Final = Pinned("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")
SETUP_PYTHON: Final = Pinned(
    "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"
)
UPLOAD_ARTIFACT: Final = Pinned(
    "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"
)
DOWNLOAD_ARTIFACT: Final = Pinned(
    "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"
)

#: Where the result job downloads the shards' outputs to merge them.
SHARDS_DIR: Final = "shards"
#: Reads the decision from the report with Python (not grep), so the check cannot be fooled by
#: the string appearing elsewhere in the file.
DECIDE_SCRIPT: Final = (
    "import json, sys\n"
    f'report = json.load(open("{OUTPUT_DIR}/report.json", encoding="utf-8"))\n'
    'decision = report["body"]["decision"]\n'
    'print(f"release decision: {decision}")\n'
    'sys.exit(0 if decision == "GO" else 1)\n'
)


def gate_command(source: ProjectionSource) -> str:
    """What the gates job runs: the whole manifest, or shard ``${{ matrix.shard }}`` of N."""
    shard = f" --gates-shard ${{{{ matrix.shard }}}}/{source.shards}" if source.shards > 1 else ""
    return f"pytest --gates{source.manifest_option}{shard} --gates-out {OUTPUT_DIR}"


def _setup(policy: ProjectionPolicy) -> list[Node]:
    return [
        {"name": STEP_CHECKOUT, "uses": CHECKOUT, "with": {"persist-credentials": False}},
        {"name": STEP_PYTHON, "uses": SETUP_PYTHON, "with": {"python-version": policy.python}},
        {"name": STEP_INSTALL, "run": policy.install},
    ]


def _manual(policy: ProjectionPolicy, name: str) -> list[Node]:
    return [Manual(name)] if name in policy.manual_regions else []


def _gates_job(source: ProjectionSource) -> dict[str | Manual, Node]:
    policy = source.policy
    sharded = source.shards > 1
    artifact = "gates-shard-${{ matrix.shard }}" if sharded else "gates"
    job: dict[str | Manual, Node] = {
        "name": f"gates (shard ${{{{ matrix.shard }}}}/{source.shards})" if sharded else "gates",
        "runs-on": policy.runs_on,
    }
    if sharded:
        shards = tuple(range(1, source.shards + 1))
        job["strategy"] = {"fail-fast": False, "matrix": {"shard": Flow(shards)}}
    job["steps"] = [
        *_setup(policy),
        *_manual(policy, "gates.steps"),
        {"name": STEP_GATES, "run": gate_command(source)},
        {
            "name": STEP_UPLOAD,
            "if": "always()",
            "uses": UPLOAD_ARTIFACT,
            "with": {
                "name": artifact,
                "path": f"{OUTPUT_DIR}/",
                "include-hidden-files": True,
                "if-no-files-found": "error",
            },
        },
    ]
    return job


def _result_job(source: ProjectionSource) -> dict[str | Manual, Node]:
    policy = source.policy
    gather: list[Node]
    if source.shards > 1:
        gather = [
            {
                "name": STEP_DOWNLOAD,
                "uses": DOWNLOAD_ARTIFACT,
                "with": {"pattern": "gates-shard-*", "path": SHARDS_DIR},
            },
            {"name": STEP_MERGE, "run": merge_command(f"{SHARDS_DIR}/*")},
        ]
    else:
        gather = [
            {
                "name": STEP_DOWNLOAD,
                "uses": DOWNLOAD_ARTIFACT,
                "with": {"name": "gates", "path": OUTPUT_DIR},
            },
            {"name": STEP_VERIFY, "run": verify_command()},
        ]
    return {
        "name": RESULT_JOB_NAME,
        "needs": Flow((GATES_JOB,)),
        "if": "always()",
        "runs-on": policy.runs_on,
        "steps": [
            *_setup(policy),
            *_manual(policy, "result.steps"),
            *gather,
            {
                "name": STEP_PUBLISH,
                "if": "always()",
                "run": f'cat {OUTPUT_DIR}/report.md >> "$GITHUB_STEP_SUMMARY"',
            },
            {"name": STEP_DECIDE, "shell": "python", "run": DECIDE_SCRIPT},
        ],
    }


def workflow_tree(source: ProjectionSource) -> dict[str | Manual, Node]:
    """The workflow as a tree, keys in the order they are written."""
    policy = source.policy
    jobs: dict[str | Manual, Node] = {
        GATES_JOB: _gates_job(source),
        RESULT_JOB: _result_job(source),
    }
    if "jobs" in policy.manual_regions:
        jobs[Manual("jobs")] = None
    return {
        "name": "gates",
        "on": {
            "pull_request": None,
            "push": {"branches": Flow((policy.branch,))},
            "merge_group": None,
        },
        "permissions": {"contents": "read"},
        "jobs": jobs,
    }


def render_workflow(source: ProjectionSource, regions: Mapping[str, Sequence[str]]) -> str:
    """The workflow's text, with each manual region holding ``regions[name]`` as found on disk."""
    return Emitter(regions).document(source.header("file"), workflow_tree(source))
