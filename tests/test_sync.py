"""pytest-gates sync: the workflow and tox environments it writes, the policy, the command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gates.cli.main import main
from pytest_gates.cli.sync import check
from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from pytest_gates.projection.drift import Drift, header_drift
from pytest_gates.projection.source import ProjectionSource
from pytest_gates.projection.sync import plan_sync, write
from pytest_gates.projection.target import SyncError
from pytest_gates.projection.targets import TARGETS
from tests.sync_data import TOX_INI, WORKFLOW, SyncProject

SETUP = ["check out", "set up python", "install"]
SHA_PIN = re.compile(r"uses: (actions/[a-z-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$", re.MULTILINE)


def test_one_shard_is_one_gates_job_and_a_result_job_that_always_runs(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    workflow = project.workflow()
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    assert workflow[True] == {
        "pull_request": None,
        "push": {"branches": ["main"]},
        "merge_group": None,
    }
    assert workflow["permissions"] == {"contents": "read"}
    assert list(workflow["jobs"]) == ["gates", "result"]
    gates = workflow["jobs"]["gates"]
    assert "strategy" not in gates
    assert [s["name"] for s in gates["steps"]] == [
        *SETUP,
        "run the gates",
        "upload the gate outputs",
    ]
    assert gates["steps"][2]["run"] == "python -m pip install -e '.[dev]'"
    assert gates["steps"][1]["with"] == {"python-version": "3.11"}
    assert gates["steps"][3]["run"] == "pytest --gates --gates-out .gates"
    upload = gates["steps"][4]
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "gates"
    assert upload["with"]["include-hidden-files"] is True
    result = workflow["jobs"]["result"]
    assert result["if"] == "always()"
    assert result["needs"] == ["gates"]
    assert result["name"] == "gate decision"
    steps = {s["name"]: s for s in result["steps"]}
    assert list(steps) == [
        *SETUP,
        "check the CI files against the manifest",
        "download the gate outputs",
        "verify the outputs",
        "publish the report",
        "require GO",
    ]
    # Fixed steps outside the manifest: no edit of the manifest drops them.
    assert steps["check the CI files against the manifest"]["run"] == "pytest-gates sync --check"
    assert "permissions" not in result
    assert steps["download the gate outputs"]["with"] == {"name": "gates", "path": ".gates"}
    assert steps["verify the outputs"]["run"] == "pytest-gates verify .gates"
    assert steps["publish the report"]["if"] == "always()"
    assert steps["publish the report"]["run"] == 'cat .gates/report.md >> "$GITHUB_STEP_SUMMARY"'
    assert steps["require GO"]["shell"] == "python"
    assert '["body"]["decision"]' in steps["require GO"]["run"]


def test_the_decision_step_passes_on_go_only(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    script = project.workflow()["jobs"]["result"]["steps"][-1]["run"]
    report = tmp_path / ".gates" / "report.json"
    report.parent.mkdir()
    statuses = {}
    for decision in ("GO", "NO_GO", "INCOMPLETE", "GO_WITH_BYPASS"):
        report.write_text(f'{{"body": {{"decision": "{decision}"}}}}')
        run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True)
        statuses[decision] = run.returncode
    assert statuses == {"GO": 0, "NO_GO": 1, "INCOMPLETE": 1, "GO_WITH_BYPASS": 1}


def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "shards: 2\n")
    project.sync()
    text = project.read()
    pins = SHA_PIN.findall(text)
    assert sorted({name for name, _ in pins}) == [
        "actions/checkout",
        "actions/download-artifact",
        "actions/setup-python",
        "actions/upload-artifact",
    ]
    assert text.count("uses: ") == len(pins) == 7


def test_several_shards_are_a_matrix_merged_by_the_result_job(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "shards: 3\n")
    project.sync()
    jobs = project.workflow()["jobs"]
    gates = jobs["gates"]
    assert gates["strategy"] == {"fail-fast": False, "matrix": {"shard": [1, 2, 3]}}
    assert gates["name"] == "gates (shard ${{ matrix.shard }}/3)"
    run = {s["name"]: s for s in gates["steps"]}
    assert run["run the gates"]["run"] == (
        "pytest --gates --gates-shard ${{ matrix.shard }}/3 --gates-out .gates"
    )
    assert run["upload the gate outputs"]["with"]["name"] == "gates-shard-${{ matrix.shard }}"
    result = {s["name"]: s for s in jobs["result"]["steps"]}
    assert result["download the gate outputs"]["with"] == {
        "pattern": "gates-shard-*",
        "path": "shards",
    }
    assert result["merge the shards"]["run"] == (
        "pytest-gates merge shards/* --out .gates --store-durations manifests/durations.json"
    )
    # the merge alone sees every shard's items: the durations it records are uploaded, whatever
    # the decision, for the project to commit (the shards plan from the committed file)
    assert result["upload the recorded durations"]["if"] == "always()"
    assert result["upload the recorded durations"]["with"] == {
        "name": "gates-durations",
        "path": "manifests/durations.json",
        "if-no-files-found": "warn",
        "overwrite": True,
    }
    assert "verify the outputs" not in result
    assert jobs["result"]["if"] == "always()"


def test_the_shards_option_overrides_the_policy_and_is_in_the_header(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "shards: 3\n")
    project.sync(shards=2)
    assert project.workflow()["jobs"]["gates"]["strategy"]["matrix"]["shard"] == [1, 2]
    assert project.read().splitlines()[2] == (
        "# regenerate: pytest-gates sync --shards 2  (check: pytest-gates sync --shards 2 --check)"
    )
    assert project.messages(shards=2) == []
    assert project.messages() == [
        f"{WORKFLOW}:19: shard 3/3 removed from the matrix of job 'gates': the gates in that "
        "shard never run, so the merged report cannot say GO",
        f"{WORKFLOW}:32: shard count changed: job 'gates' runs the gates as 2 shards "
        "(`pytest --gates --gates-shard ${{ matrix.shard }}/2 --gates-out .gates`), the "
        "projection has 3 (projection.shards)",
    ]


def test_the_policy_reaches_every_job(tmp_path: Path) -> None:
    project = SyncProject(
        tmp_path,
        """\
        branch: trunk
        python: "3.12"
        runs_on: ubuntu-24.04
        install: pip install -r requirements.txt -e .
        """,
    )
    project.sync()
    workflow = project.workflow()
    assert workflow[True]["push"] == {"branches": ["trunk"]}
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-24.04"
        assert job["steps"][1]["with"] == {"python-version": "3.12"}
        assert job["steps"][2]["run"] == "pip install -r requirements.txt -e ."


def test_the_header_names_the_manifest_its_digest_and_the_command(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    digest = load_manifest(tmp_path / "manifests" / "gates.yaml").digest
    assert project.read().splitlines()[:3] == [
        "# Generated by `pytest-gates sync` from manifests/gates.yaml: edit the manifest, not "
        "this file.",
        f"# manifest-digest: {digest}",
        "# regenerate: pytest-gates sync  (check: pytest-gates sync --check)",
    ]
    region = project.read("tox.ini").split("# >>> pytest-gates sync: generated region\n")[1]
    assert region.splitlines()[1] == f"# manifest-digest: {digest}"


def _sync_in_subprocess(root: Path, seed: str) -> tuple[bytes, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "pytest_gates", "sync"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return (root / WORKFLOW).read_bytes(), (root / "tox.ini").read_bytes()


def test_the_same_manifest_gives_the_same_bytes_in_any_process(tmp_path: Path) -> None:
    policy = "shards: 4\nmanual_regions: [jobs, gates.steps]\nallow: {jobs: [docs]}\n"
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        root.mkdir()
        SyncProject(root, policy)
    assert _sync_in_subprocess(first, "1") == _sync_in_subprocess(second, "2")
    again = plan_sync(first, first / "manifests" / "gates.yaml")
    assert [projected.up_to_date for projected in again.files] == [True, True]


def test_the_tox_region_leaves_every_other_section_as_it_was(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    project.sync()
    text = project.read("tox.ini")
    before, rest = text.split("# >>> pytest-gates sync: generated region\n")
    region, after = rest.split("# <<< pytest-gates sync: end of the generated region\n")
    assert before + after == TOX_INI + "\n"
    assert [line for line in region.splitlines() if line.startswith("[")] == [
        "[testenv:gates]",
        "[testenv:gates-structural]",
        "[testenv:gates-semantic]",
    ]
    assert "labels = gates\n" in region
    assert "description = the structural gates: author.files, qa.lint\n" in region
    assert (
        "commands = pytest --gates -m semantic --gates-out {env_tmp_dir}{/}.gates {posargs}\n"
        in region
    )
    assert "commands =\n    pytest --gates {posargs}\n    pytest-gates verify .gates\n" in region
    # Sections written later, below the region, stay where they are.
    (tmp_path / "tox.ini").write_text(text + "\n[testenv:docs]\ncommands = mkdocs build\n")
    project.manifest("shards: 2\n")
    project.sync()
    assert project.read("tox.ini").endswith("\n[testenv:docs]\ncommands = mkdocs build\n")
    assert project.read("tox.ini").count("[testenv:gates]") == 1


def test_a_hand_written_gates_environment_is_taken_over_in_place(tmp_path: Path) -> None:
    hand = TOX_INI.replace(
        "; a comment", "[testenv:gates]\ncommands = pytest --gates\n\n; a comment"
    )
    project = SyncProject(tmp_path, tox=hand)
    project.sync()
    text = project.read("tox.ini")
    assert text.count("[testenv:gates]") == 1
    assert text.index("[testenv]") < text.index("[testenv:gates]") < text.index("[testenv:lint]")
    assert "commands = pytest --gates\n" not in text


def test_tox_ini_is_created_or_left_alone_as_the_policy_says(tmp_path: Path) -> None:
    created = SyncProject(tmp_path / "a", tox=None)
    created.sync()
    assert created.read("tox.ini").startswith("[tox]\nmin_version = 4.0\n\n# >>> pytest-gates")
    alone = SyncProject(tmp_path / "b", "tox: null\n")
    plan = alone.sync()
    assert [projected.display for projected in plan.files] == [WORKFLOW]
    assert alone.read("tox.ini") == TOX_INI


def test_a_manual_region_keeps_what_people_wrote_in_it(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "manual_regions: [gates.steps, jobs]\n")
    project.sync()
    project.edit(
        "      # <<< manual gates.steps\n",
        "      - name: system packages\n        run: sudo apt-get install -y graphviz\n"
        "      # <<< manual gates.steps\n",
    )
    project.edit(
        "  # <<< manual jobs\n",
        "  docs:\n    runs-on: ubuntu-latest\n    steps: [{run: make docs}]\n  # <<< manual jobs\n",
    )
    project.manifest("manual_regions: [gates.steps, jobs]\nbranch: trunk\n")
    project.sync()
    text = project.read()
    assert "      - name: system packages\n        run: sudo apt-get install -y graphviz\n" in text
    workflow = project.workflow()
    assert workflow[True]["push"] == {"branches": ["trunk"]}
    assert [s["name"] for s in workflow["jobs"]["gates"]["steps"]][3] == "system packages"
    assert workflow["jobs"]["docs"] == {"runs-on": "ubuntu-latest", "steps": [{"run": "make docs"}]}
    assert project.messages() == []


def test_allowed_hand_written_jobs_and_steps_survive_sync(tmp_path: Path) -> None:
    policy = "allow: {jobs: [docs], steps: [cache pip]}\n"
    project = SyncProject(tmp_path, policy)
    project.sync()
    project.edit(
        "      - name: install\n",
        "      - name: cache pip\n        uses: actions/cache@v4\n        with: {path: ~/.cache}\n"
        "      - name: install\n",
        count=2,
    )
    project.edit(
        "  result:\n",
        "  # the documentation, kept by hand\n  docs:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: make docs\n  result:\n",
    )
    edited = project.read()
    assert project.messages() == []
    project.manifest(policy + "shards: 2\n")
    project.sync()
    workflow = project.workflow()
    assert list(workflow["jobs"]) == ["gates", "docs", "result"]
    for job in ("gates", "result"):
        assert [s["name"] for s in workflow["jobs"][job]["steps"][:4]] == [
            "check out",
            "set up python",
            "cache pip",
            "install",
        ]
    assert "  # the documentation, kept by hand\n  docs:\n" in project.read()
    assert project.messages() == []
    assert project.read() != edited


POLICY_ERRORS = [
    (
        "shard: 2\n",
        "gates.yaml:4: projection: unexpected key 'shard'; expected one of: allow, branch, "
        "concurrency, install, manual_regions, pip_cache, python, restore_log, runs_on, shards, "
        "signing, tox, workflow (did you mean 'shards'?)",
    ),
    (
        "shards: 0\n",
        "gates.yaml:4: projection.shards: expected greater than or equal to 1, found 0",
    ),
    (
        "python: 3.10\n",
        'gates.yaml:4: projection.python: expected a quoted version such as "3.11", found the '
        "number 3.1 (YAML reads 3.10 as 3.1)",
    ),
    (
        "workflow: ci/gates.yml\n",
        "gates.yaml:4: projection.workflow: expected a file in .github/workflows/ ending in .yml "
        "or .yaml, found 'ci/gates.yml'",
    ),
    (
        "allow: {jobs: [docs, gates]}\n",
        "gates.yaml:4: projection.allow.jobs[1]: 'gates' is a job that sync generates; name a "
        "job of your own",
    ),
    (
        "allow: {jobs: [2fast]}\n",
        "gates.yaml:4: projection.allow.jobs[0]: expected a GitHub job id (letters, digits, '_' "
        "and '-', not starting with a digit or '-'), found '2fast'",
    ),
    (
        "allow: {steps: [cache, cache]}\n",
        "gates.yaml:4: projection.allow.steps: 'cache' is listed twice",
    ),
    (
        "allow: {steps: [run the gates]}\n",
        "gates.yaml:4: projection.allow.steps[0]: 'run the gates' is a step that sync "
        "generates; name a step of your own",
    ),
    (
        "manual_regions: [steps]\n",
        "gates.yaml:4: projection.manual_regions[0]: expected 'jobs', 'gates.steps' or "
        "'result.steps', found 'steps'",
    ),
    (
        "tox: {path: ../tox.ini}\n",
        "gates.yaml:4: projection.tox.path: expected a path inside the project root, found "
        "'../tox.ini'",
    ),
    (
        "allow: {job: [docs]}\n",
        "gates.yaml:4: projection.allow: unexpected key 'job'; expected one of: jobs, keys, steps "
        "(did you mean 'jobs'?)",
    ),
    (
        "signing: {}\n",
        "gates.yaml:4: projection.signing: signing needs a secret (the repository secret with "
        "the release key), keyless: true, or both",
    ),
    (
        "signing: {secret: GITHUB_TOKEN}\n",
        "gates.yaml:4: projection.signing.secret: expected the name of a repository secret "
        "(letters, digits and '_', not starting with a digit or GITHUB_), found 'GITHUB_TOKEN'",
    ),
    (
        "signing: {keyless: true, trust: /etc/trust.yaml}\n",
        "gates.yaml:4: projection.signing.trust: expected a path relative to the project root, "
        "found '/etc/trust.yaml'",
    ),
]


@pytest.mark.parametrize(("policy", "problem"), POLICY_ERRORS, ids=[p for p, _ in POLICY_ERRORS])
def test_the_policy_is_validated_with_located_errors(
    tmp_path: Path, policy: str, problem: str
) -> None:
    path = SyncProject(tmp_path, policy).manifest(policy)
    with pytest.raises(ManifestError) as info:
        load_manifest(path, "gates.yaml")
    assert info.value.problems == [problem]


def test_sync_and_check_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    SyncProject(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["sync", "--check"]) == 1
    capsys.readouterr()
    assert main(["sync"]) == 0
    assert capsys.readouterr().out == (
        f"wrote {WORKFLOW} from manifests/gates.yaml\nwrote tox.ini from manifests/gates.yaml\n"
    )
    assert main(["sync"]) == 0
    assert capsys.readouterr().out == f"{WORKFLOW}: up to date\ntox.ini: up to date\n"
    assert main(["sync", "--check"]) == 0
    assert capsys.readouterr().out == (
        f"{WORKFLOW}: in sync with manifests/gates.yaml\n"
        "tox.ini: in sync with manifests/gates.yaml\n"
    )


def test_the_command_refuses_a_bad_manifest_and_a_bad_shard_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = SyncProject(tmp_path)
    project.manifest("shards: -1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["sync", "--check"]) == 2
    assert capsys.readouterr().err == (
        "ERROR: invalid gate manifest\nmanifests/gates.yaml:4: projection.shards: expected "
        "greater than or equal to 1, found -1\n"
    )
    with pytest.raises(SystemExit):
        main(["sync", "--shards", "0"])
    assert "argument --shards: expected a whole number from 1 to 256, found '0'" in (
        capsys.readouterr().err
    )


def test_another_manifest_path_is_passed_on_to_pytest(tmp_path: Path) -> None:
    project = SyncProject(tmp_path)
    other = tmp_path / "ci" / "release.yaml"
    other.parent.mkdir()
    other.write_bytes((tmp_path / "manifests" / "gates.yaml").read_bytes())
    plan = plan_sync(tmp_path, other)
    assert write(plan) == 0
    gates = project.workflow()["jobs"]["gates"]["steps"][3]["run"]
    assert gates == "pytest --gates --gates-manifest ci/release.yaml --gates-out .gates"
    assert "regenerate: pytest-gates sync --manifest ci/release.yaml  (" in project.read()
    assert "pytest --gates --gates-manifest ci/release.yaml -m structural" in project.read(
        "tox.ini"
    )


class ListTarget:
    """A CI target of the test's own: one file listing the gates, with lines marked ``# kept``
    kept by hand. Sync plans, writes and checks it through the Target protocol alone."""

    def paths(self, source: ProjectionSource) -> tuple[str, ...]:
        return ("ci/gates.txt",)

    def render(self, source: ProjectionSource, path: str, current: str | None) -> str:
        header = "".join(f"# {line}\n" for line in source.header("file"))
        return header + "".join(f"{gate_id}\n" for gate_id in source.gate_ids)

    def drift(
        self, source: ProjectionSource, path: str, current: str | None, rendered: str
    ) -> list[Drift]:
        if current is None:
            return [Drift(path, None, "sync.missing", "the list does not exist")]
        drifts = header_drift(path, current.splitlines(), 0, source, "file")
        found = [line for line in current.splitlines() if not line.startswith("#")]
        for gate_id in source.gate_ids:
            if gate_id not in found:
                drifts.append(Drift(path, None, "sync.removed", f"gate '{gate_id}' removed"))
        return drifts

    def keep(self, source: ProjectionSource, path: str, current: str | None, rendered: str) -> str:
        kept = [line for line in (current or "").splitlines(True) if line.endswith("# kept\n")]
        if any("refuse" in line for line in kept):
            raise SyncError("a kept line says refuse", rule="sync.hand-work")
        return rendered + "".join(kept)


def test_a_new_target_is_planned_written_and_checked_through_the_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SyncProject(tmp_path)
    manifest = tmp_path / "manifests" / "gates.yaml"
    targets = (*TARGETS, ListTarget())
    plan = plan_sync(tmp_path, manifest, targets=targets)
    assert [p.display for p in plan.files] == [WORKFLOW, "tox.ini", "ci/gates.txt"]
    assert [d.render() for d in plan.files[2].drifts] == ["ci/gates.txt: the list does not exist"]
    assert write(plan) == 0
    listed = tmp_path / "ci" / "gates.txt"
    assert listed.read_text().splitlines()[3:] == ["author.files", "qa.lint", "qa.tests"]
    assert plan_sync(tmp_path, manifest, targets=targets).drifts == []
    # A hand edit the target keeps is no drift and survives sync; one it does not is drift.
    listed.write_text(listed.read_text().replace("qa.lint\n", "") + "extra  # kept\n")
    plan = plan_sync(tmp_path, manifest, targets=targets)
    assert [d.render() for d in plan.drifts] == ["ci/gates.txt: gate 'qa.lint' removed"]
    capsys.readouterr()
    assert check(plan) == 1
    out = capsys.readouterr().out
    assert "--- ci/gates.txt (on disk)\n+++ ci/gates.txt (pytest-gates sync)\n" in out
    assert "+qa.lint\n" in out
    assert out.endswith(
        "\n1 drift: the CI files are no longer the projection of manifests/gates.yaml. "
        "Regenerate them with `pytest-gates sync`, or allow the hand edit in the manifest's "
        "projection policy.\n"
    )
    assert write(plan) == 0
    assert listed.read_text().endswith("qa.tests\nextra  # kept\n")
    # A hand edit the target cannot keep: sync refuses to write, and the refusal is drift.
    listed.write_text(listed.read_text() + "refuse  # kept\n")
    before = listed.read_text()
    plan = plan_sync(tmp_path, manifest, targets=targets)
    assert [(d.rule, d.message) for d in plan.drifts] == [
        ("sync.hand-work", "a kept line says refuse")
    ]
    capsys.readouterr()
    assert write(plan) == 1
    assert capsys.readouterr().err == "ERROR: ci/gates.txt: a kept line says refuse\n"
    assert listed.read_text() == before
