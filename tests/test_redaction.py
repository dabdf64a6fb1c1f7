"""Secret-looking environment values never reach the output folder: they are masked as ``***``
before anything is written or digested, so verify still holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.outputs.redact import MASK, redact_data, redact_text, secret_values
from pytest_gates.outputs.verify import verify_outputs
from tests.helpers import GatesProject

SECRET = "s3cr3t-v4lue-that-leaks"

MANIFEST = """\
version: 1
project: demo
gates:
  - id: leak
    class: structural
    checks:
      - {id: echo, kind: command, run: "echo token=$MY_API_TOKEN; exit 1", shell: true}
"""


def test_secret_values_are_chosen_by_name_and_length() -> None:
    env = {
        "MY_API_TOKEN": "abcdef",
        "db_password": "hunter22",
        "SSH_KEY": "longer-key-value",
        "CLIENT_SECRET": "abc",  # too short to mask
        "HOME": "/home/secretive",
    }
    assert secret_values(env) == ("longer-key-value", "hunter22", "abcdef")


def test_masking_is_deterministic_and_spares_digests() -> None:
    secrets = ("abcdef", "abcd")
    assert redact_text("x abcdef y abcd z", secrets) == f"x {MASK} y {MASK} z"
    digest = "sha256:" + "abcd" * 16
    data = {"abcd": [digest, "abcd!"], "n": 1}
    assert redact_data(data, secrets) == {MASK: [digest, f"{MASK}!"], "n": 1}


def test_a_failing_command_does_not_leak_a_secret(
    project: GatesProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_API_TOKEN", SECRET)
    project.manifest(MANIFEST)
    assert project.run("--gates").ret == pytest.ExitCode.TESTS_FAILED
    out = project.root / ".gates"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    leaking = [p for p in files if SECRET in p.read_text(encoding="utf-8")]
    assert leaking == []
    assert any(f"token={MASK}" in p.read_text(encoding="utf-8") for p in files)
    assert verify_outputs(Path(out)) == []
