"""The ``rollback`` failure strategy: a gate that fails runs its declared rollback command once,
then the command that verifies it; a rollback that does not hold raises ``pytest_gates_alert``.

A gate's rollback runs (on the controller, after every item, in gate order) when the gate is
FAIL or ERROR and its ``on_failure`` is ``rollback``, or when a gate its ``rollback_on`` names is
FAIL or ERROR (a deploy undone by a failing verification downstream). Its outcome:

* ``ok``: the command exited 0 and ``rollback.verify.run`` (when declared) exited 0;
* ``failed``: the command ran and exited non-zero;
* ``error``: the command could not run (its ``cwd`` is outside the project, the program is
  missing, it timed out), or it exited 0 and its verification did not (or could not run).

The gate's verdict stays what its items made it: a rollback undoes a change, it does not make a
gate pass, and the decision is NO_GO already. What the rollback did goes into the evidence
(``rollback``) and the log (a ``rollback`` line with the outcome).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_gates.chain import GateVerdict
from pytest_gates.model.load import LoadedManifest
from pytest_gates.model.manifest import Gate
from pytest_gates.outputs.redact import redact_text

OUTPUT_TAIL: Final = 4000
#: Verdicts that trigger a rollback (of the gate itself, or of the gates naming it in
#: ``rollback_on``).
TRIGGERS: Final = frozenset({"FAIL", "ERROR"})


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


def trigger_of(
    loaded: LoadedManifest, gate: Gate, verdicts: Mapping[str, GateVerdict]
) -> str | None:
    """Why ``gate``'s rollback runs in this session, or None when it does not."""
    if gate.rollback is None:
        return None
    own = verdicts[gate.id].verdict
    if loaded.manifest.strategy(gate) == "rollback" and own in TRIGGERS:
        return f"gate {gate.id} is {own}"
    for other in gate.rollback_on:
        theirs = verdicts[other].verdict if other in verdicts else None
        if theirs in TRIGGERS:
            return f"gate {other} is {theirs} (rollback_on of gate {gate.id})"
    return None


def _run(run: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    """One command: its exit code (None when it did not run to an end), ok, and output tail."""
    try:
        proc = subprocess.run(
            list(run),
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return {"exit_code": None, "ok": False, "output": f"command not found: {run[0]!r}"}
    except subprocess.TimeoutExpired:
        return {"exit_code": None, "ok": False, "output": f"timed out after {timeout}s"}
    output = (proc.stdout + proc.stderr)[-OUTPUT_TAIL:]
    return {"exit_code": proc.returncode, "ok": proc.returncode == 0, "output": output}


def roll_back(gate: Gate, rootdir: Path, trigger: str) -> dict[str, Any]:
    """Run ``gate``'s rollback and its verification; the record that goes into the evidence."""
    spec = gate.rollback
    assert spec is not None
    record: dict[str, Any] = {"run": list(spec.run), "trigger": trigger}
    cwd = rollback_cwd(rootdir, spec.cwd)
    if isinstance(cwd, str):
        record.update(exit_code=None, ok=False, outcome="error", error=cwd, output=cwd)
        return record
    record.update(_run(spec.run, cwd, spec.env, spec.timeout))
    if record["exit_code"] is None:
        record.update(outcome="error", error=record["output"])
        return record
    if not record["ok"]:
        record["outcome"] = "failed"
        return record
    record["outcome"] = "ok"
    if spec.verify is not None:
        checked = _run(spec.verify.run, cwd, spec.env, spec.verify.timeout)
        record["verify"] = {"run": list(spec.verify.run), **checked}
        if not checked["ok"]:
            record.update(ok=False, outcome="error")
            code = checked["exit_code"]
            why = f"exit code {code}" if code is not None else checked["output"]
            record["error"] = f"the rollback's verification did not pass: {why}"
    return record


def alert_payload(gate_id: str, record: Mapping[str, Any], run_id: str | None) -> dict[str, Any]:
    """What ``pytest_gates_alert`` receives for a rollback that did not hold (documented in
    :mod:`pytest_gates.hookspecs`); outputs are tails with secret-looking values masked."""
    verify = record.get("verify")
    commands = [list(record["run"])] + ([list(verify["run"])] if verify else [])
    exit_codes = [record.get("exit_code")] + ([verify.get("exit_code")] if verify else [])
    output = str(record.get("output", ""))
    if verify:
        output = f"{output}\n{verify.get('output', '')}"
    if record["outcome"] == "failed":
        reason = f"the rollback of gate {gate_id} failed: exit code {record.get('exit_code')}"
    else:
        reason = f"the rollback of gate {gate_id} errored: {record.get('error', '')}"
    return {
        "gate": gate_id,
        "reason": reason,
        "trigger": record.get("trigger"),
        "outcome": record["outcome"],
        "commands": commands,
        "exit_codes": exit_codes,
        "output": redact_text(output.strip()[-OUTPUT_TAIL:]),
        "run_id": run_id,
    }


def run_rollbacks(
    loaded: LoadedManifest,
    verdicts: Mapping[str, GateVerdict],
    rootdir: Path,
    config: pytest.Config | None = None,
    run_id: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the rollback of every gate that a failure triggers (see the module's text), in gate
    order; with ``config``, call ``pytest_gates_alert`` for each rollback that is not ``ok``."""
    done: dict[str, dict[str, Any]] = {}
    for gate in loaded.gates_in_order():
        trigger = trigger_of(loaded, gate, verdicts)
        if trigger is None:
            continue
        record = roll_back(gate, rootdir, trigger)
        done[gate.id] = record
        if config is not None and record["outcome"] != "ok":
            config.hook.pytest_gates_alert(
                config=config, alert=alert_payload(gate.id, record, run_id)
            )
    return done
