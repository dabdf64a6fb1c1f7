"""The ``differential`` kind: a reference and a candidate implementation agree on every case.

Each case (a file of a corpus; paths, globs and directories expand as ``pytest_gates.support.digest``
says) is given to both commands: as the argument ``{case}`` stands for, or on standard input when
no argument has it. Their standard outputs are compared: ``exact`` (the same bytes) or ``json``
(equal JSON values: same types, numbers equal as numbers, key order ignored). Each differing case
is a finding with both outputs' sha256 and the first difference.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.schema import json_pointer
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.sources.models import Argv
from pytest_gates.support.digest import sha256_bytes, tree_files
from pytest_gates.support.paths import RelPath, plural

PLACEHOLDER: Final = "{case}"
#: Characters of a differing line or value shown in a finding.
SHOWN: Final = 60


class DifferentialParams(CheckParams):
    """Parameters of ``differential``."""

    #: The cases: paths, globs or directories, relative to the rootdir.
    cases: list[RelPath] = Field(min_length=1)
    reference: Argv
    candidate: Argv
    compare: Literal["exact", "json"] = "exact"
    #: Seconds each command may take on one case.
    timeout: float = Field(default=60, gt=0)
    #: The fewest cases there may be.
    min_cases: int = Field(default=1, ge=0)


def _run(
    command: list[str], case: str, path: Path, ctx: CheckContext, timeout: float
) -> tuple[int, bytes, str]:
    uses_path = any(PLACEHOLDER in arg for arg in command)
    argv = [arg.replace(PLACEHOLDER, case) for arg in command]
    try:
        done = subprocess.run(
            argv,
            input=None if uses_path else path.read_bytes(),
            stdin=subprocess.DEVNULL if uses_path else None,
            capture_output=True,
            cwd=ctx.rootdir,
            env=dict(ctx.environ),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise CheckError(f"command not found: '{argv[0]}' (is it installed?)") from None
    except subprocess.TimeoutExpired:
        return -1, b"", f"timed out after {timeout:g} s"
    lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
    return done.returncode, done.stdout, lines[-1] if lines else "(nothing on stderr)"


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def _shown(text: str) -> str:
    return repr(_clip(text))


def _json(value: Any) -> str:
    return _clip(json.dumps(value, sort_keys=True))


def first_text_difference(reference: bytes, candidate: bytes) -> str:
    """Where two outputs first differ: line, column and both lines."""
    ref_lines = reference.decode("utf-8", errors="replace").split("\n")
    cand_lines = candidate.decode("utf-8", errors="replace").split("\n")
    for number, (ref, cand) in enumerate(zip(ref_lines, cand_lines, strict=False), start=1):
        if ref != cand:
            column = next(
                (i for i, (a, b) in enumerate(zip(ref, cand, strict=False)) if a != b),
                min(len(ref), len(cand)),
            )
            return (
                f"line {number}, column {column + 1}: reference {_shown(ref)}, "
                f"candidate {_shown(cand)}"
            )
    longer, shorter = ("reference", "candidate")
    if len(cand_lines) > len(ref_lines):
        longer, shorter = shorter, longer
    return (
        f"line {min(len(ref_lines), len(cand_lines)) + 1}: the {shorter} ends, the {longer} goes on"
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def first_json_difference(
    reference: Any, candidate: Any, path: tuple[str | int, ...] = ()
) -> str | None:
    """The JSON pointer of the first difference and both values there; None when equal."""
    where = json_pointer(path) or "/"
    if _kind(reference) != _kind(candidate):
        return (
            f"at {where}: reference is a {_kind(reference)} {_json(reference)}, "
            f"candidate a {_kind(candidate)} {_json(candidate)}"
        )
    if isinstance(reference, dict):
        for key in sorted(set(reference) | set(candidate)):
            if key not in candidate or key not in reference:
                side = "candidate" if key not in candidate else "reference"
                return f"at {json_pointer((*path, key))}: missing in the {side}"
            found = first_json_difference(reference[key], candidate[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(reference, list):
        for index, (ref, cand) in enumerate(zip(reference, candidate, strict=False)):
            found = first_json_difference(ref, cand, (*path, index))
            if found is not None:
                return found
        if len(reference) != len(candidate):
            return f"at {where}: reference has {len(reference)} items, candidate {len(candidate)}"
        return None
    if reference != candidate:
        return f"at {where}: reference {_json(reference)}, candidate {_json(candidate)}"
    return None


def _compare(params: DifferentialParams, case: str, ref: bytes, cand: bytes) -> Finding | None:
    digests = f"reference {sha256_bytes(ref)}, candidate {sha256_bytes(cand)}"
    if params.compare == "exact":
        if ref == cand:
            return None
        difference: str | None = first_text_difference(ref, cand)
    else:
        values = []
        for side, output in (("reference", ref), ("candidate", cand)):
            try:
                values.append(json.loads(output))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                return Finding(
                    rule="differential.invalid_json",
                    location=Location(path=case),
                    message=f"the {side}'s output is not JSON ({exc}); {digests}",
                    fix_hint=f"make the {side} print JSON, or compare: exact",
                )
        difference = first_json_difference(values[0], values[1])
        if difference is None:
            return None
    return Finding(
        rule="differential.mismatch",
        location=Location(path=case),
        message=f"outputs differ: {digests}; first difference {difference}",
        fix_hint="find which implementation is wrong on this case and fix it",
    )


@check_kind("differential", params=DifferentialParams, idempotent=False)
def differential(params: DifferentialParams, ctx: CheckContext) -> CheckResult:
    """A reference and a candidate command give the same output on every case of a corpus."""
    cases, missing = tree_files(ctx.rootdir, params.cases)
    findings = [
        Finding(
            rule="differential.missing_cases",
            location=Location(path=pattern),
            message=f"'{pattern}' matches no case",
            fix_hint="restore the cases, or correct the pattern",
        )
        for pattern in missing
    ]
    if len(cases) < params.min_cases:
        findings.append(
            Finding(
                rule="differential.too_few_cases",
                message=f"{plural(len(cases), 'case')}, fewer than the minimum of {params.min_cases}",
                fix_hint="restore the missing cases",
            )
        )
    differing = 0
    for name, path in cases:
        outputs = []
        for side, command in (("reference", params.reference), ("candidate", params.candidate)):
            code, out, err = _run(list(command), name, path, ctx, params.timeout)
            if code != 0:
                findings.append(
                    Finding(
                        rule="differential.failed",
                        location=Location(path=name),
                        message=f"the {side} failed on this case (exit code {code}): {err}",
                        fix_hint=f"run the {side} on this case and fix what it reports",
                    )
                )
            outputs.append(out if code == 0 else None)
        if outputs[0] is None or outputs[1] is None:
            differing += 1
            continue
        found = _compare(params, name, outputs[0], outputs[1])
        if found is not None:
            differing += 1
            findings.append(found)
    summary = (
        f"{differing} of {plural(len(cases), 'case')} differ ({params.compare})"
        if findings
        else f"{plural(len(cases), 'case')} agree ({params.compare})"
    )
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={"cases": len(cases), "differing": differing, "compare": params.compare},
    )
