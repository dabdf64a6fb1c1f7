"""Drift: each hand edit of a generated file is named in gate terms, or allowed by the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.cli.main import main
from pytest_gates.errors import ManifestError
from pytest_gates.model.load import load_manifest
from tests.sync_data import WORKFLOW, SyncProject

W = WORKFLOW
SHARDED = "shards: 3\nmanual_regions: [gates.steps]\nallow: {jobs: [docs], steps: [cache]}\n"
HINT = "(name it in projection.allow.{what}, or put it in a manual region)"


@pytest.fixture
def project(tmp_path: Path) -> SyncProject:
    project = SyncProject(tmp_path)
    project.sync()
    return project


@pytest.fixture
def sharded(tmp_path: Path) -> SyncProject:
    project = SyncProject(tmp_path, SHARDED)
    project.sync()
    return project


def _cut_job(project: SyncProject, job: str, until: str) -> None:
    text = project.read()
    start = text.index(f"  {job}:\n")
    end = text.index(until, start) if until else len(text)
    (project.root / W).write_text(text[:start] + text[end:])


def test_a_fresh_sync_has_no_drift(sharded: SyncProject) -> None:
    assert sharded.messages() == []


def test_deleting_the_gates_job(project: SyncProject) -> None:
    _cut_job(project, "gates", "  result:\n")
    assert project.messages() == [
        f"{W}:13: required job 'gates' removed: it runs the gates (author.files, qa.lint, "
        f"qa.tests); without it no gate runs in CI"
    ]


def test_deleting_the_result_job(project: SyncProject) -> None:
    _cut_job(project, "result", "")
    assert project.messages() == [
        f"{W}:13: required job 'result' removed: it is the check to make required "
        f"('gate decision'), the one that decides GO or NO_GO"
    ]


def test_deleting_a_shard(sharded: SyncProject) -> None:
    sharded.edit("shard: [1, 2, 3]", "shard: [1, 3]")
    assert sharded.messages() == [
        f"{W}:19: shard 2/3 removed from the matrix of job 'gates': the gates in that shard "
        f"never run, so the merged report cannot say GO"
    ]


def test_changing_the_shard_count(sharded: SyncProject) -> None:
    sharded.edit("shard: [1, 2, 3]", "shard: [1, 2, 3, 4]")
    sharded.edit("}}/3 --gates-out", "}}/4 --gates-out")
    assert sharded.messages() == [
        f"{W}:19: shard count changed: the matrix of job 'gates' lists shards [1, 2, 3, 4], "
        f"the projection has 3 (projection.shards)",
        f"{W}:34: shard count changed: job 'gates' runs the gates as 4 shards (`pytest --gates "
        "--gates-shard ${{ matrix.shard }}/4 --gates-out .gates`), the projection has 3 "
        "(projection.shards)",
    ]


def test_sharding_a_single_job_by_hand(project: SyncProject) -> None:
    project.edit(
        "    name: gates\n    runs-on: ubuntu-latest\n",
        "    name: gates\n    runs-on: ubuntu-latest\n    strategy:\n      matrix: {shard: [1, 2]}\n",
    )
    assert project.messages() == [
        f"{W}:17: shard count changed: job 'gates' runs a matrix of shards [1, 2], the "
        f"projection has 1 (projection.shards)"
    ]


def test_adding_an_unexplained_job_and_step(project: SyncProject) -> None:
    project.edit(
        "  result:\n",
        "  deploy:\n    runs-on: ubuntu-latest\n    steps: [{run: ./deploy}]\n  result:\n",
    )
    project.edit(
        "      - name: run the gates\n",
        "      - run: git checkout HEAD~1 -- manifests\n      - name: run the gates\n",
    )
    assert project.messages() == [
        f"{W}:27: job 'gates': step 'run: git checkout HEAD~1 -- manifests' added by hand: no "
        f"gate explains it {HINT.format(what='steps')}",
        f"{W}:40: job 'deploy' added by hand: no gate explains it {HINT.format(what='jobs')}",
    ]


def test_allowed_jobs_and_steps_are_not_drift(sharded: SyncProject) -> None:
    sharded.edit(
        "  result:\n",
        "  docs:\n    runs-on: ubuntu-latest\n    steps: [{run: make docs}]\n  result:\n",
    )
    sharded.edit(
        "      - name: run the gates\n",
        "      - name: cache\n        uses: actions/cache@v4\n      - name: run the gates\n",
    )
    assert sharded.messages() == []


def test_editing_a_gate_command(project: SyncProject) -> None:
    project.edit(
        "run: pytest --gates --gates-out .gates",
        "run: pytest --gates -m structural --gates-out .gates",
    )
    project.edit('sys.exit(0 if decision == "GO" and legs == "success" else 1)', "sys.exit(0)")
    assert project.messages() == [
        f"{W}:28: job 'gates': the gate command of step 'run the gates' was edited: expected "
        f"`pytest --gates --gates-out .gates`, found `pytest --gates -m structural --gates-out "
        f".gates`",
        f"{W}:70: job 'result': the gate command of step 'require GO' was edited: expected "
        f'`import json, os, sys; report = json.load(open(".gates/report.json", '
        f'encoding="utf-8")); decision = report["body"]["decision"]; '
        f'print(f"release decision: {{decision}}"); '
        f'legs = os.environ.get("GATES_JOB_RESULT", "success"); '
        f'print(f"gates job (every shard and Python): {{legs}}"); '
        f'sys.exit(0 if decision == "GO" and legs == "success" else 1)`, '
        f'found `import json, os, sys; report = json.load(open(".gates/report.json", '
        f'encoding="utf-8")); decision = report["body"]["decision"]; '
        f'print(f"release decision: {{decision}}"); '
        f'legs = os.environ.get("GATES_JOB_RESULT", "success"); '
        f'print(f"gates job (every shard and Python): {{legs}}"); sys.exit(0)`',
    ]


def test_removing_a_gate_step_and_the_always_condition(project: SyncProject) -> None:
    project.edit("      - name: verify the outputs\n        run: pytest-gates verify .gates\n", "")
    project.edit("    needs: [gates]\n    if: always()\n", "    needs: [gates]\n")
    assert project.messages() == [
        f"{W}:39: job 'result': 'if: always()' removed: the decision would be skipped when a "
        f"gate fails, and a required check that is skipped never reports",
        f"{W}:43: job 'result': step 'verify the outputs' removed: the outputs are no longer "
        f"verified",
    ]


def test_removing_the_upload_of_the_recorded_durations(sharded: SyncProject) -> None:
    text = sharded.read()
    start = text.index("      - name: upload the recorded durations\n")
    end = text.index("      - name: ", start + 1)
    (sharded.root / W).write_text(text[:start] + text[end:])
    (message,) = sharded.messages()
    assert message.endswith(
        "job 'result': step 'upload the recorded durations' removed: the durations the merge "
        "recorded are lost, so the shards keep planning from old timings"
    )


def test_changing_triggers(project: SyncProject) -> None:
    project.edit(
        "    branches: [main]\n  merge_group:\n",
        "    branches: [main, dev]\n  workflow_dispatch:\n",
    )
    assert project.messages() == [
        f"{W}:6: trigger 'merge_group' removed: the merge queue no longer runs the gates, so a "
        f"queued change waits forever for the required check",
        f"{W}:8: trigger 'push' changed: expected {{branches: [main]}}, found {{branches: [main, "
        f"dev]}}",
        f"{W}:9: trigger 'workflow_dispatch' added by hand: the gates run on pull_request, "
        f"push, merge_group only",
    ]


def test_loosening_permissions_and_unpinning_an_action(project: SyncProject) -> None:
    project.edit("  contents: read\n", "  contents: write\n")
    project.edit(
        "uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "uses: actions/checkout@v7",
        count=2,
    )
    assert project.messages() == [
        f"{W}:11: permissions (the workflow only reads the repository) changed: expected "
        f"{{contents: read}}, found {{contents: write}}",
        f"{W}:18: job 'gates': step 'check out' uses `actions/checkout@v7` instead of the pinned "
        f"`actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1`",
        f"{W}:45: job 'result': step 'check out' uses `actions/checkout@v7` instead of the "
        f"pinned `actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1`",
    ]


def test_reordering_jobs_is_not_drift_but_reordering_steps_is(project: SyncProject) -> None:
    text = project.read()
    gates, result = text.index("  gates:\n"), text.index("  result:\n")
    swapped = text[:gates] + text[result:] + text[gates:result]
    (project.root / W).write_text(swapped)
    plan = project.plan()
    assert plan.drifts == []
    assert not plan.files[0].up_to_date  # sync would write the canonical order back
    step = '      - name: publish the report\n        if: always()\n        run: cat .gates/report.md >> "$GITHUB_STEP_SUMMARY"\n'
    project.edit(step, "")
    project.edit(
        "      - name: download the gate outputs\n",
        step + "      - name: download the gate outputs\n",
    )
    assert project.messages() == [
        f"{W}:19: job 'result': steps reordered (they run in order): expected check out, set up "
        f"python, install, check the CI files against the manifest, download the gate outputs, "
        f"verify the outputs, publish the report, require GO; found check out, set up python, "
        f"install, check the CI files against the manifest, publish the report, download the "
        f"gate outputs, verify the outputs, require GO"
    ]


def test_editing_an_allowed_manual_region_is_not_drift(sharded: SyncProject) -> None:
    region_end = "      # <<< manual gates.steps\n"
    sharded.edit(
        region_end,
        "      - name: graphviz\n        run: sudo apt-get install graphviz\n" + region_end,
    )
    assert sharded.messages() == []
    # The same step just outside the region is a hand edit the policy does not allow.
    sharded.edit(
        "      - name: graphviz\n        run: sudo apt-get install graphviz\n" + region_end,
        region_end + "      - name: graphviz\n        run: sudo apt-get install graphviz\n",
    )
    assert sharded.messages() == [
        f"{W}:33: job 'gates': step 'graphviz' added by hand: no gate explains it "
        f"{HINT.format(what='steps')}"
    ]


def test_a_stale_header_digest_names_both_digests(project: SyncProject) -> None:
    old = load_manifest(project.root / "manifests" / "gates.yaml").digest
    path = project.manifest("branch: main\n")
    new = load_manifest(path).digest
    stale = (
        f"the header's manifest digest is stale: written from {old[:19]}, manifests/gates.yaml "
        f"is now {new[:19]} (the manifest changed without `pytest-gates sync`)"
    )
    assert project.messages() == [f"{W}:2: {stale}", f"tox.ini:17: {stale}"]


def test_a_missing_header_missing_file_and_broken_yaml(project: SyncProject) -> None:
    text = project.read()
    (project.root / W).write_text("\n".join(text.splitlines()[3:]) + "\n")
    assert project.messages() == [
        f"{W}:1: the header that names the manifest digest is missing: this file was not "
        f"written by `pytest-gates sync` from manifests/gates.yaml"
    ]
    (project.root / W).write_text(text + "  - broken: [\n")
    assert project.messages() == [f"{W}:78: not valid YAML: expected <block end>, but found '-'"]
    (project.root / W).unlink()
    assert project.messages() == [
        f"{W}: the workflow does not exist, so CI does not run the gates; run `pytest-gates sync`"
    ]


def test_tox_environment_removed_edited_and_added(project: SyncProject) -> None:
    semantic = (
        "[testenv:gates-semantic]\ndescription = the semantic gates: qa.tests\nlabels = gates-class\n"
        "extras = dev\ncommands = pytest --gates -m semantic --gates-out {env_tmp_dir}{/}.gates "
        "{posargs}\n"
    )
    project.edit(semantic, "[testenv:gates-extra]\ncommands = pytest\n", name="tox.ini")
    project.edit(
        "commands = pytest --gates -m structural ",
        "commands = pytest --gates -m structural -x ",
        name="tox.ini",
    )
    assert project.messages() == [
        "tox.ini:15: required tox environment 'gates-semantic' removed: it runs the semantic "
        "gates (qa.tests)",
        "tox.ini:27: tox environment 'gates-structural': the gate command was edited: expected "
        "`pytest --gates -m structural --gates-out {env_tmp_dir}{/}.gates {posargs}`, found "
        "`pytest --gates -m structural -x --gates-out {env_tmp_dir}{/}.gates {posargs}`",
        "tox.ini:33: [testenv:gates-extra] added inside the generated region: no gate explains "
        "it (write your own environments outside the region)",
    ]


def test_tox_layout_and_comments_inside_the_region_are_not_drift(project: SyncProject) -> None:
    project.edit(
        "labels = gates-class\nextras = dev\n",
        "extras = dev\n# why\nlabels   =   gates-class\n",
        name="tox.ini",
        count=2,
    )
    assert project.messages() == []


def test_tox_gates_environment_deleted_or_written_by_hand(project: SyncProject) -> None:
    text = project.read("tox.ini")
    start = text.index("# >>> pytest-gates sync")
    end = text.index("# <<< pytest-gates sync: end of the generated region\n") + 53
    (project.root / "tox.ini").write_text(
        text[:start] + "[testenv:gates]\ncommands = pytest --gates\n" + text[end:]
    )
    assert project.messages() == [
        "tox.ini:15: [testenv:gates] is written by hand outside the generated region: sync owns "
        "this gate environment (tox refuses a section written twice; run `pytest-gates sync` "
        "to take it over)",
        "tox.ini: the generated region of gate environments (gates, gates-structural, "
        "gates-semantic) is missing; run `pytest-gates sync`",
    ]


def test_check_prints_the_diff_and_the_diagnosis(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cut_job(project, "gates", "  result:\n")
    monkeypatch.chdir(project.root)
    assert main(["sync", "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"{W}: drifted from manifests/gates.yaml\n--- {W} (on disk)\n+++ {W} (pytest-gates sync)\n"
    )
    assert "\n+  gates:\n+    name: gates\n" in out
    assert out.endswith(
        f"{W}:13: required job 'gates' removed: it runs the gates (author.files, qa.lint, "
        f"qa.tests); without it no gate runs in CI\n"
        f"tox.ini: in sync with manifests/gates.yaml\n\n"
        f"1 drift: the CI files are no longer the projection of manifests/gates.yaml. Regenerate "
        f"them with `pytest-gates sync`, or allow the hand edit in the manifest's projection "
        f"policy.\n"
    )


def test_sync_refuses_what_it_cannot_write_whole(
    sharded: SyncProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sharded.edit("# <<< pytest-gates sync: end of the generated region\n", "", name="tox.ini")
    region_end = "      # <<< manual gates.steps\n"
    sharded.edit(region_end, "    - broken: indentation\n" + region_end)
    before = sharded.read(), sharded.read("tox.ini")
    monkeypatch.chdir(sharded.root)
    assert main(["sync"]) == 1
    assert capsys.readouterr().err == (
        f"ERROR: {W}: the file is not valid YAML, so the hand-written jobs and steps the policy "
        "allows cannot be kept; fix it, then run sync\n"
        "ERROR: tox.ini: line 15: the generated region has no end marker ('# <<< pytest-gates "
        "sync: end of the generated region'); restore it or delete the region by hand, then run "
        "sync\n"
    )
    assert (sharded.read(), sharded.read("tox.ini")) == before
    assert sharded.messages() == [
        f"{W}:32: not valid YAML: expected <block end>, but found '-'",
        "tox.ini:15: the generated region of gate environments (gates, gates-structural, "
        "gates-semantic) has no end marker; run `pytest-gates sync`",
    ]


CONCURRENCY = (
    "concurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n"
    "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}\n"
)


def test_the_workflow_has_a_concurrency_group_a_pip_cache_and_rerunnable_uploads(
    tmp_path: Path,
) -> None:
    project = SyncProject(tmp_path, core=False)
    project.sync()
    assert CONCURRENCY + "jobs:\n" in project.read()
    workflow = project.workflow()
    for job in ("gates", "result"):
        python = next(s for s in workflow["jobs"][job]["steps"] if s["name"] == "set up python")
        assert python["with"] == {"python-version": "3.11", "cache": "pip"}
    upload = next(
        s for s in workflow["jobs"]["gates"]["steps"] if s["name"] == "upload the gate outputs"
    )
    assert upload["with"]["overwrite"] is True
    assert project.messages() == []


def test_a_concurrency_group_or_pip_cache_of_ones_own_is_allowed_by_the_policy(
    tmp_path: Path,
) -> None:
    project = SyncProject(tmp_path, "concurrency: false\npip_cache: false\n")
    project.sync()
    assert "concurrency" not in project.read()
    project.edit("jobs:\n", "concurrency: {group: mine}\njobs:\n")
    project.edit(
        "python-version: '3.11'\n", "python-version: '3.11'\n          cache: pip\n", count=2
    )
    assert project.messages() == [
        f"{W}:12: 'concurrency' added by hand: {{group: mine}}",
        f"{W}:25: job 'gates': step 'set up python': 'with' changed: expected "
        "{python-version: '3.11'}, found {python-version: '3.11', cache: pip}",
        f"{W}:53: job 'result': step 'set up python': 'with' changed: expected "
        "{python-version: '3.11'}, found {python-version: '3.11', cache: pip}",
    ]
    # The group is allowed by key, a hand step by its name; sync keeps both as written.
    project.manifest(
        "concurrency: false\npip_cache: true\nallow: {keys: [concurrency], steps: [cache tox]}\n"
    )
    project.edit(
        "      - name: install\n",
        "      - {name: cache tox, run: 'true'}\n      - name: install\n",
        count=2,
    )
    project.sync()
    text = project.read()
    assert "concurrency: {group: mine}\njobs:\n" in text
    assert text.count("cache tox") == 2
    assert text.count("cache: pip") == 2
    assert project.messages() == []


def test_a_generated_concurrency_group_cannot_also_be_kept_by_hand(tmp_path: Path) -> None:
    project = SyncProject(tmp_path, "allow: {keys: [concurrency]}\n", core=False)
    with pytest.raises(ManifestError) as info:
        project.plan()
    assert (
        "allow.keys lists 'concurrency', which sync generates while concurrency is true; "
        "set concurrency: false to keep a group of your own"
    ) in str(info.value)
