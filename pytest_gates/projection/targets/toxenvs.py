"""The gate environments of tox, whatever file they are written into (``tox.ini``, ``tox.toml``,
``[tool.tox]`` in ``pyproject.toml``).

A ``gates`` environment (every gate, then ``pytest-gates verify``), labelled ``gates``; one
environment per gate class in the manifest (``pytest --gates -m <class>``), labelled
``gates-class``; and, when the project declares a range of Python versions, one environment per
version (``gates-py310`` ...), labelled ``gates-python``. Only the first is labelled ``gates``,
so ``tox -m gates`` runs each gate once. What they install is the project's: the extra or the
dependency group that brings pytest-gates, and pytest-gates by name when nothing does
(:class:`~pytest_gates.projection.source.ProjectionSource`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pytest_gates.projection.commands import OUTPUT_DIR
from pytest_gates.projection.drift import Drift
from pytest_gates.projection.source import ProjectionSource

BEGIN: Final = "# >>> pytest-gates sync: generated region"
END: Final = "# <<< pytest-gates sync: end of the generated region"
LABEL: Final = "gates"
#: The label of the per-class environments: a partial run each, so not part of ``tox -m gates``.
CLASS_LABEL: Final = "gates-class"
#: The label of the per-Python environments: the whole run again on each declared version.
PYTHON_LABEL: Final = "gates-python"
#: Stands for tox's positional arguments in a command.
POSARGS: Final = "{posargs}"
#: A partial or repeated run writes into the environment's own folder, never over the decision.
TEMP_OUT: Final = ("--gates-out", f"{{env_tmp_dir}}{{/}}{OUTPUT_DIR}")


@dataclass(frozen=True)
class GateEnv:
    """One gate environment: its name and what tox is told about it."""

    name: str
    description: str
    label: str
    #: Each command as arguments; :data:`POSARGS` where tox's positional arguments go.
    commands: tuple[tuple[str, ...], ...]
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    #: ``python3.12``: the interpreter of a per-version environment.
    base_python: str | None = None


@dataclass(frozen=True)
class _Installs:
    extras: tuple[str, ...]
    groups: tuple[str, ...]
    deps: tuple[str, ...]


def gate_envs(source: ProjectionSource) -> list[GateEnv]:
    """The gate environments, in the order they are written."""
    option = tuple(source.manifest_option.split())
    pytest = ("pytest", "--gates", *option)
    verify = ("pytest-gates", "verify", OUTPUT_DIR)
    installs = _Installs(source.tox_extras, source.tox_groups, source.tox_deps)
    envs = [
        GateEnv(
            LABEL,
            f"every gate in {source.manifest} (pytest --gates), then verify the outputs",
            LABEL,
            ((*pytest, POSARGS), verify),
            extras=installs.extras,
            groups=installs.groups,
            deps=installs.deps,
        )
    ]
    for name, gate_ids in source.classes().items():
        envs.append(
            GateEnv(
                f"{LABEL}-{name}",
                f"the {name} gates: {', '.join(gate_ids)}",
                CLASS_LABEL,
                ((*pytest, "-m", name, *TEMP_OUT, POSARGS),),
                extras=installs.extras,
                groups=installs.groups,
                deps=installs.deps,
            )
        )
    pythons = source.pythons
    if len(pythons) > 1:
        for version in pythons:
            envs.append(
                GateEnv(
                    f"{LABEL}-py{version.replace('.', '')}",
                    f"every gate in {source.manifest} on Python {version}",
                    PYTHON_LABEL,
                    ((*pytest, *TEMP_OUT, POSARGS),),
                    extras=installs.extras,
                    groups=installs.groups,
                    deps=installs.deps,
                    base_python=f"python{version}",
                )
            )
    return envs


@dataclass(frozen=True)
class Region:
    """Where the generated region is: the lines of its two markers (``end`` None: no end marker)."""

    begin: int
    end: int | None


def find_region(lines: Sequence[str]) -> Region | None:
    begin = next((i for i, line in enumerate(lines) if line.strip() == BEGIN), None)
    if begin is None:
        return None
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].strip() == END), None)
    return Region(begin, end)


def region_drift(display: str, region: Region | None, envs: Sequence[str], command: str) -> Drift:
    """The drift of a tox file whose generated region is missing or has no end marker."""
    what = "has no end marker" if region else "is missing"
    return Drift(
        display,
        region.begin + 1 if region else None,
        "sync.tox-region",
        f"the generated region of gate environments ({', '.join(envs)}) {what}; run `{command}`",
    )


def env_loss(env: str, source: ProjectionSource) -> str:
    if env == LABEL:
        return (
            f"required tox environment '{env}' removed: it runs every gate and verifies the outputs"
        )
    name = env.removeprefix(f"{LABEL}-")
    if name.startswith("py") and name[2:].isdigit():
        return f"required tox environment '{env}' removed: it runs every gate on {name}"
    gate_ids = ", ".join(source.classes().get(name, []))
    return f"required tox environment '{env}' removed: it runs the {name} gates ({gate_ids})"
