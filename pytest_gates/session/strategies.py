"""The ``rollback`` failure strategy: a gate that fails runs its declared rollback command once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_gates.chain import GateVerdict
from pytest_gates.model.load import LoadedManifest

OUTPUT_TAIL = 4000


def rollback_cwd(rootdir: Path, cwd: str | None) -> Path | str:
    """The folder a rollback runs in, confined to the rootdir like every other path; or why it
    cannot run there (the command is then not run)."""
    if not cwd:
        return rootdir
    path = (rootdir / cwd).resolve()
    if not path.is_relative_to(rootdir.resolve()):
        return f"rollback cwd '{cwd}' is outside the project ({path}); not run"
    if not path.is_dir():
        return f"rollback cwd '{cwd}' is not a folder of the project; not run"
    return path


def run_rollbacks(
    loaded: LoadedManifest, verdicts: Mapping[str, GateVerdict], rootdir: Path
) -> dict[str, dict[str, Any]]:
    """Run the rollback of every failed or errored gate whose strategy is ``rollback``.

    Runs on the controller after all items, in gate order. The verdict stays FAIL or ERROR: a
    rollback undoes a change, it does not make the gate pass. What it did goes into the evidence.
    """
    done: dict[str, dict[str, Any]] = {}
    manifest = loaded.manifest
    for gate in loaded.gates_in_order():
        if manifest.strategy(gate) != "rollback" or gate.rollback is None:
            continue
        if verdicts[gate.id].verdict not in {"FAIL", "ERROR"}:
            continue
        spec = gate.rollback
        record: dict[str, Any] = {"run": list(spec.run)}
        cwd = rollback_cwd(rootdir, spec.cwd)
        if isinstance(cwd, str):
            record.update(exit_code=None, ok=False, error=cwd, output=cwd)
            done[gate.id] = record
            continue
        try:
            proc = subprocess.run(
                spec.run,
                cwd=cwd,
                env={**os.environ, **spec.env},
                capture_output=True,
                text=True,
                timeout=spec.timeout,
                check=False,
            )
        except FileNotFoundError:
            record.update(exit_code=None, ok=False, output=f"command not found: {spec.run[0]!r}")
        except subprocess.TimeoutExpired:
            record.update(exit_code=None, ok=False, output=f"timed out after {spec.timeout}s")
        else:
            output = (proc.stdout + proc.stderr)[-OUTPUT_TAIL:]
            record.update(exit_code=proc.returncode, ok=proc.returncode == 0, output=output)
        done[gate.id] = record
    return done
