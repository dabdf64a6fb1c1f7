"""The GitHub Actions workflow projected from the manifest.

Two jobs: ``gates`` runs ``pytest --gates`` (a matrix of shards when the policy asks for more than
one) and uploads the outputs; ``result`` always runs, checks that the manifest is its sources'
projection and the CI files the manifest's (fixed steps the manifest cannot drop), verifies (or
merges the shards), publishes the report to the job summary and fails unless the decision is
``GO``. That one always-running job is what a repository makes required: a required check that a
path filter skips would wait forever.

With ``projection.signing`` the decision is signed: with the release key kept as a repository
secret (the run, or the merge of the shards, signs; the decision job verifies the signature with
the committed trust file), and/or keyless: the decision job attests the decision's in-toto
Statement with ``actions/attest`` (Sigstore through GitHub's OIDC token; only that job may ask
for the token and write attestations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Final

from pytest_gates.model.names import DEFAULT_DURATIONS
from pytest_gates.model.policy import (
    GATES_JOB,
    RESULT_JOB,
    RESULT_JOB_NAME,
    STEP_ATTEST,
    STEP_CHECKOUT,
    STEP_DECIDE,
    STEP_DOWNLOAD,
    STEP_GATES,
    STEP_GENERATE_CHECK,
    STEP_INSTALL,
    STEP_MERGE,
    STEP_PUBLISH,
    STEP_PYTHON,
    STEP_RESTORE_LOG,
    STEP_STATEMENT,
    STEP_SYNC_CHECK,
    STEP_UPLOAD,
    STEP_UPLOAD_DECISION,
    STEP_UPLOAD_DURATIONS,
    STEP_VERIFY,
    ProjectionPolicy,
)
from pytest_gates.projection.commands import (
    OUTPUT_DIR,
    STATEMENT_PATH,
    merge_command,
    verify_command,
)
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
ATTEST: Final = Pinned("actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6", "v4.2.2")

#: One run per workflow and ref; a new push cancels the older run of a pull request only (a run
#: on the main branch or in the merge queue is a decision and runs to its end).
CONCURRENCY: Final[Mapping[str | Manual, Node]] = {
    "group": "${{ github.workflow }}-${{ github.ref }}",
    "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
}

#: The id of the step that splits the decision Statement for ``actions/attest``.
STATEMENT_STEP_ID: Final = "statement"
#: Where that step writes the Statement's predicate (outside the outputs, which are verified).
PREDICATE_PATH: Final = "${{ runner.temp }}/decision.predicate.json"
#: ``actions/attest`` builds its own Statement from a subject, a predicate type and a predicate:
#: the subject is the decision Statement file, the predicate and its type are the Statement's.
STATEMENT_SCRIPT: Final = (
    "import json, os\n"
    f'statement = json.load(open("{STATEMENT_PATH}", encoding="utf-8"))\n'
    'path = os.path.join(os.environ["RUNNER_TEMP"], "decision.predicate.json")\n'
    'json.dump(statement["predicate"], open(path, "w", encoding="utf-8"), sort_keys=True)\n'
    'with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:\n'
    "    out.write(f\"predicate-type={statement['predicateType']}\\n\")\n"
)
#: Pull requests from forks get no OIDC token: keyless attestation runs on pushes and the queue.
KEYLESS_IF: Final = "github.event_name != 'pull_request'"

#: The artifact holding the decision's outputs: the run's (one shard) or the merge's.
DECISION_ARTIFACT: Final = "gates"
#: The artifact of the durations file the merge recorded the whole run into.
DURATIONS_ARTIFACT: Final = "gates-durations"
#: The id of the step that restores the last decision's log, and where it puts it.
RESTORE_STEP_ID: Final = "last-decision"
LAST_DECISION_DIR: Final = "${{ runner.temp }}/last-decision"
#: Finds the last successful run of this workflow on the main branch and downloads its decision;
#: no earlier run (the first one, or an expired artifact) starts the log here instead of failing.
RESTORE_SCRIPT: Final = (
    'run_id="$(gh run list --workflow "$WORKFLOW" --branch "$BRANCH" --status success '
    "--limit 1 --json databaseId --jq '.[0].databaseId // empty')\"\n"
    'log="$LAST_DECISION/transitions.jsonl"\n'
    'if [ -n "$run_id" ] && gh run download "$run_id" -n "$ARTIFACT" -D "$LAST_DECISION" '
    '&& [ -f "$log" ]; then\n'
    '  echo "the log continues from run $run_id on $BRANCH"\n'
    '  echo "log-from=--gates-log-from $log" >> "$GITHUB_OUTPUT"\n'
    "else\n"
    '  echo "no earlier decision on $BRANCH: the log starts here"\n'
    "fi\n"
)

#: Where the result job downloads the shards' outputs to merge them.
SHARDS_DIR: Final = "shards"


#: The decision step's view of the gates job: ``success`` when every leg (shard, Python) passed.
JOB_RESULT_ENV: Final = "GATES_JOB_RESULT"


def decide_script(allow_bypass: bool = False) -> str:
    """The decision step: reads the decision from the report with Python (not grep), so the
    check cannot be fooled by the string appearing elsewhere in the file. It passes on GO, and
    on GO_WITH_BYPASS only when the manifest's ``policy.allow_bypass`` is true; and only when
    every leg of the gates job succeeded (``GATES_JOB_RESULT``: a leg that tests another Python,
    whose outputs the decision does not read, must not fail unseen)."""
    accepted = 'in ("GO", "GO_WITH_BYPASS")' if allow_bypass else '== "GO"'
    return (
        "import json, os, sys\n"
        f'report = json.load(open("{OUTPUT_DIR}/report.json", encoding="utf-8"))\n'
        'decision = report["body"]["decision"]\n'
        'print(f"release decision: {decision}")\n'
        f'legs = os.environ.get("{JOB_RESULT_ENV}", "success")\n'
        'print(f"gates job (every shard and Python): {legs}")\n'
        f'sys.exit(0 if decision {accepted} and legs == "success" else 1)\n'
    )


#: The decision step of a manifest whose policy does not allow bypass.
DECIDE_SCRIPT: Final = decide_script()


def gate_command(source: ProjectionSource) -> str:
    """What the gates job runs: the whole manifest, or shard ``${{ matrix.shard }}`` of N; one
    job signs its decision with the key in the policy's secret (shards are merged, then signed)."""
    shard = f" --gates-shard ${{{{ matrix.shard }}}}/{source.shards}" if source.shards > 1 else ""
    secret = _secret(source)
    sign = f" --gates-sign-key-env {secret}" if secret and source.shards == 1 else ""
    log = (
        f" ${{{{ steps.{RESTORE_STEP_ID}.outputs.log-from }}}}" if source.policy.restore_log else ""
    )
    return f"pytest --gates{source.manifest_option}{shard} --gates-out {OUTPUT_DIR}{sign}{log}"


def _secret(source: ProjectionSource) -> str | None:
    signing = source.policy.signing
    return signing.secret if signing is not None else None


def _with_secret(step: dict[str | Manual, Node], secret: str | None) -> Node:
    """``step`` with the signing key in its environment (and in no other step's)."""
    if secret:
        step["env"] = {secret: f"${{{{ secrets.{secret} }}}}"}
    return step


def _setup(source: ProjectionSource, version: str | None = None) -> list[Node]:
    """Checkout, Python (``version``, else the policy's), and the project's install command."""
    policy = source.policy
    python: dict[str | Manual, Node] = {"python-version": version or policy.python}
    if policy.pip_cache:
        python["cache"] = "pip"
    return [
        {"name": STEP_CHECKOUT, "uses": CHECKOUT, "with": {"persist-credentials": False}},
        {"name": STEP_PYTHON, "uses": SETUP_PYTHON, "with": python},
        {"name": STEP_INSTALL, "run": source.install},
    ]


def _restore_log(policy: ProjectionPolicy) -> list[Node]:
    """The step that fetches the last decision's log for ``--gates-log-from``, if the policy
    continues the log."""
    if not policy.restore_log:
        return []
    return [
        {
            "name": STEP_RESTORE_LOG,
            "id": RESTORE_STEP_ID,
            "env": {
                "GH_TOKEN": "${{ github.token }}",
                "GH_REPO": "${{ github.repository }}",
                "WORKFLOW": PurePosixPath(policy.workflow).name,
                "BRANCH": policy.branch,
                "ARTIFACT": DECISION_ARTIFACT,
                "LAST_DECISION": LAST_DECISION_DIR,
            },
            "run": RESTORE_SCRIPT,
        }
    ]


def _upload(name: str) -> Node:
    return {
        "name": name,
        "path": f"{OUTPUT_DIR}/",
        "include-hidden-files": True,
        "if-no-files-found": "error",
        # A re-run shard uploads again under the same name.
        "overwrite": True,
    }


def _manual(policy: ProjectionPolicy, name: str) -> list[Node]:
    return [Manual(name)] if name in policy.manual_regions else []


def python_matrix(source: ProjectionSource) -> tuple[str, ...]:
    """The Python versions the gates job runs on, when the project declares more than one; the
    decision (the uploaded outputs) is the leg of ``projection.python``, the others test the
    declared range and fail the job when a gate fails there."""
    pythons = source.pythons
    return pythons if len(pythons) > 1 else ()


def _gates_job_name(source: ProjectionSource, pythons: Sequence[str]) -> str:
    parts = [f"shard ${{{{ matrix.shard }}}}/{source.shards}"] if source.shards > 1 else []
    if pythons:
        parts.append("Python ${{ matrix.python }}")
    return f"gates ({', '.join(parts)})" if parts else "gates"


def _gates_job(source: ProjectionSource) -> dict[str | Manual, Node]:
    policy = source.policy
    sharded = source.shards > 1
    artifact = "gates-shard-${{ matrix.shard }}" if sharded else DECISION_ARTIFACT
    pythons = python_matrix(source)
    job: dict[str | Manual, Node] = {
        "name": _gates_job_name(source, pythons),
        "runs-on": policy.runs_on,
    }
    if policy.restore_log:
        # gh reads the runs and artifacts of this workflow.
        job["permissions"] = {"contents": "read", "actions": "read"}
    matrix: dict[str | Manual, Node] = {}
    if sharded:
        matrix["shard"] = Flow(tuple(range(1, source.shards + 1)))
    if pythons:
        matrix["python"] = Flow(pythons)
    if matrix:
        job["strategy"] = {"fail-fast": False, "matrix": matrix}
    upload_if = f"always() && matrix.python == '{policy.python}'" if pythons else "always()"
    job["steps"] = [
        *_setup(source, "${{ matrix.python }}" if pythons else None),
        *_manual(policy, "gates.steps"),
        *_restore_log(policy),
        _with_secret(
            {"name": STEP_GATES, "run": gate_command(source)},
            _secret(source) if source.shards == 1 else None,
        ),
        {
            "name": STEP_UPLOAD,
            "if": upload_if,
            "uses": UPLOAD_ARTIFACT,
            "with": _upload(artifact),
        },
    ]
    return job


def _fixed_checks(source: ProjectionSource) -> list[Node]:
    """The checks no manifest can drop: it is its sources' projection, the CI files are its."""
    steps: list[Node] = []
    if source.generate is not None:
        steps.append({"name": STEP_GENERATE_CHECK, "run": f"{source.generate} --check"})
    steps.append({"name": STEP_SYNC_CHECK, "run": f"{source.command} --check"})
    return steps


def _gather(source: ProjectionSource) -> list[Node]:
    """Download the outputs; verify them, or merge the shards (signing the merge) and verify."""
    signing = source.policy.signing
    trust = signing.trust if signing is not None and signing.secret else None
    verify: Node = {"name": STEP_VERIFY, "run": verify_command(trust)}
    if source.shards == 1:
        download: Node = {"name": DECISION_ARTIFACT, "path": OUTPUT_DIR}
        return [{"name": STEP_DOWNLOAD, "uses": DOWNLOAD_ARTIFACT, "with": download}, verify]
    secret = _secret(source)
    merge = _with_secret(
        {
            "name": STEP_MERGE,
            "run": merge_command(f"{SHARDS_DIR}/*", secret, durations=DEFAULT_DURATIONS),
        },
        secret,
    )
    shards: Node = {"pattern": "gates-shard-*", "path": SHARDS_DIR}
    return [
        {"name": STEP_DOWNLOAD, "uses": DOWNLOAD_ARTIFACT, "with": shards},
        merge,
        *([verify] if trust else []),
        *_upload_decision(source.policy),
        _upload_durations(),
    ]


def _upload_durations() -> Node:
    """The durations file with the merged run appended: only the merge sees every shard's
    items, so this is the file to commit for the next plans (the shards plan from the
    committed one). Uploaded whatever the decision: a failing run's timings are real."""
    durations: Node = {
        "name": DURATIONS_ARTIFACT,
        "path": DEFAULT_DURATIONS,
        "if-no-files-found": "warn",
        "overwrite": True,
    }
    return {
        "name": STEP_UPLOAD_DURATIONS,
        "if": "always()",
        "uses": UPLOAD_ARTIFACT,
        "with": durations,
    }


def _upload_decision(policy: ProjectionPolicy) -> list[Node]:
    """The merged decision, uploaded for the next run's log to continue from."""
    if not policy.restore_log:
        return []
    upload = _upload(DECISION_ARTIFACT)
    return [{"name": STEP_UPLOAD_DECISION, "uses": UPLOAD_ARTIFACT, "with": upload}]


def _keyless(source: ProjectionSource) -> list[Node]:
    signing = source.policy.signing
    if signing is None or not signing.keyless:
        return []
    return [
        {
            "name": STEP_STATEMENT,
            "id": STATEMENT_STEP_ID,
            "if": KEYLESS_IF,
            "shell": "python",
            "run": STATEMENT_SCRIPT,
        },
        {
            "name": STEP_ATTEST,
            "if": KEYLESS_IF,
            "uses": ATTEST,
            "with": {
                "subject-path": STATEMENT_PATH,
                "predicate-type": f"${{{{ steps.{STATEMENT_STEP_ID}.outputs.predicate-type }}}}",
                "predicate-path": PREDICATE_PATH,
            },
        },
    ]


def _result_job(source: ProjectionSource) -> dict[str | Manual, Node]:
    policy = source.policy
    job: dict[str | Manual, Node] = {
        "name": RESULT_JOB_NAME,
        "needs": Flow((GATES_JOB,)),
        "if": "always()",
        "runs-on": policy.runs_on,
    }
    if policy.signing is not None and policy.signing.keyless:
        # Only the job that attests may ask for an OIDC token and write attestations.
        job["permissions"] = {
            "contents": "read",
            "id-token": "write",
            "attestations": "write",
        }
    job["steps"] = [
        *_setup(source),
        *_manual(policy, "result.steps"),
        *_fixed_checks(source),
        *_gather(source),
        *_keyless(source),
        {
            "name": STEP_PUBLISH,
            "if": "always()",
            "run": f'cat {OUTPUT_DIR}/report.md >> "$GITHUB_STEP_SUMMARY"',
        },
        {
            "name": STEP_DECIDE,
            "shell": "python",
            "env": {JOB_RESULT_ENV: f"${{{{ needs.{GATES_JOB}.result }}}}"},
            "run": decide_script(source.allow_bypass),
        },
    ]
    return job


def workflow_tree(source: ProjectionSource) -> dict[str | Manual, Node]:
    """The workflow as a tree, keys in the order they are written."""
    policy = source.policy
    jobs: dict[str | Manual, Node] = {
        GATES_JOB: _gates_job(source),
        RESULT_JOB: _result_job(source),
    }
    if "jobs" in policy.manual_regions:
        jobs[Manual("jobs")] = None
    tree: dict[str | Manual, Node] = {
        "name": "gates",
        "on": {
            "pull_request": None,
            "push": {"branches": Flow((policy.branch,))},
            "merge_group": None,
        },
        "permissions": {"contents": "read"},
    }
    if policy.concurrency:
        tree["concurrency"] = CONCURRENCY
    tree["jobs"] = jobs
    return tree


def render_workflow(source: ProjectionSource, regions: Mapping[str, Sequence[str]]) -> str:
    """The workflow's text, with each manual region holding ``regions[name]`` as found on disk."""
    return Emitter(regions).document(source.header("file"), workflow_tree(source))
