"""Every file of the output folder is covered by a digest of the report, or refused by verify;
leftover temporary files of killed writes are removed by the next run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_gates.outputs.layout import RENDERED_KEY
from pytest_gates.outputs.verify import verify_outputs
from pytest_gates.outputs.write import remove_leftovers
from tests.helpers import GatesProject

MANIFEST = """\
version: 1
project: demo
gates:
  - {id: files, class: structural, checks: [{id: exist, kind: scripted}]}
  - {id: lint, class: structural, needs: [files], checks: [{id: ruff, kind: scripted}]}
"""


@pytest.fixture
def out(project: GatesProject) -> Path:
    project.manifest(MANIFEST)
    assert project.run("--gates").ret == pytest.ExitCode.OK
    folder = project.root / ".gates"
    assert verify_outputs(folder) == []
    return folder


def test_the_report_records_the_sha256_of_each_rendered_file(out: Path) -> None:
    rendered = json.loads((out / "report.json").read_text())["run"][RENDERED_KEY]
    assert {"report.md", "report.html"} <= set(rendered)
    assert all(digest.startswith("sha256:") for digest in rendered.values())


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_an_edited_rendering_is_refused(out: Path, name: str) -> None:
    recorded = json.loads((out / "report.json").read_text())["run"][RENDERED_KEY][name]
    path = out / name
    path.write_text(path.read_text().replace("GO", "G0"))
    problems = verify_outputs(out)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: sha256 sha256:")
    assert problems[0].endswith(f" does not match the report's {recorded}")


def test_a_deleted_rendering_is_refused(out: Path) -> None:
    (out / "report.md").unlink()
    [problem] = verify_outputs(out)
    assert problem.startswith(f"{out / 'report.md'}: missing, the report recorded sha256 ")


@pytest.mark.parametrize("name", ["evidence/extra.json", "notes.txt", "attestations/x.json"])
def test_a_file_nobody_wrote_is_refused(out: Path, name: str) -> None:
    path = out / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("{}")
    assert verify_outputs(out) == [
        f"{path}: not written by this run (no digest in report.json covers it)"
    ]


def test_a_symlink_in_the_folder_is_refused(out: Path, tmp_path: Path) -> None:
    (out / "evidence" / "link").symlink_to(tmp_path)
    assert verify_outputs(out) == [
        f"{out / 'evidence' / 'link'}: not written by this run (no digest in report.json covers it)"
    ]


def test_leftover_temporary_files_are_removed_by_the_next_run(
    project: GatesProject, out: Path
) -> None:
    leftovers = [out / ".report.json.ab12cd34.tmp", out / "evidence" / ".files.json.x_9z.tmp"]
    for path in leftovers:
        path.write_text("{half")
    kept = out / "evidence" / "keep.tmp"  # not the name of one of our temporary files
    assert project.run("--gates").ret == pytest.ExitCode.OK
    assert not any(path.exists() for path in leftovers)
    assert verify_outputs(out) == []
    kept.write_text("x")
    assert remove_leftovers(out) == []
    assert kept.exists()
