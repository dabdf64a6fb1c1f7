"""What sync learns from the project itself: where its tox configuration lives, its extras and
dependency groups (PEP 735), the Python versions it declares, and whether pytest-gates is among
the requirements the generated install step would install.

A projection must work in the project as it is: a tox environment that names an extra the project
does not have, or a CI job whose install step never installs pytest-gates (``unrecognized
arguments: --gates``), is a job that cannot work; :func:`install_plan` chooses what to install
and :func:`problems` says, in sync's warnings, what would still fail.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: The distribution that provides ``pytest --gates``.
DISTRIBUTION: Final = "pytest-gates"
#: The CPython minor versions that exist (released), oldest first.
PYTHON_MINORS: Final = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
#: Extras and dependency groups that usually hold a project's test tools, in order of preference.
PREFERRED: Final = ("gates", "dev", "test", "tests", "testing")
#: The tox configuration files, in the order sync looks for them.
TOX_INI: Final = "tox.ini"
TOX_TOML: Final = "tox.toml"
PYPROJECT: Final = "pyproject.toml"


def _name(text: str) -> str | None:
    try:
        return re.sub(r"[-_.]+", "-", Requirement(text).name).lower()
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class ProjectFacts:
    """The project's packaging and tox facts (empty for a folder with no ``pyproject.toml``)."""

    #: ``[project] name``, normalized.
    name: str | None = None
    requires_python: str | None = None
    #: Extra -> the names of its requirements.
    extras: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Dependency group -> the names of its requirements (included groups resolved).
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The project's own requirements' names.
    dependencies: frozenset[str] = frozenset()
    #: Where the project's tox configuration is (``tox.ini``, ``tox.toml``, ``pyproject.toml``);
    #: None when it has none.
    tox_config: str | None = None
    #: The minor versions the project's ``Programming Language :: Python :: 3.X`` classifiers
    #: name; when there are some, the range is limited to them.
    classified: frozenset[str] = frozenset()

    @property
    def is_pytest_gates(self) -> bool:
        return self.name == DISTRIBUTION

    def pythons(self) -> tuple[str, ...]:
        """The existing minor versions ``requires-python`` admits; none when it says nothing."""
        if not self.requires_python:
            return ()
        try:
            spec = SpecifierSet(self.requires_python)
        except InvalidSpecifier:
            return ()
        return tuple(
            version
            for version in PYTHON_MINORS
            if spec.contains(f"{version}.99", prereleases=True)
            and (not self.classified or version in self.classified)
        )


def _groups(raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        return {}

    def resolve(group: str, seen: tuple[str, ...]) -> set[str]:
        names: set[str] = set()
        for entry in raw.get(group, []) if isinstance(raw.get(group), list) else []:
            if isinstance(entry, str) and (found := _name(entry)):
                names.add(found)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                included = entry["include-group"]
                if included not in seen:
                    names |= resolve(included, (*seen, included))
        return names

    return {group: frozenset(resolve(group, (group,))) for group in raw if isinstance(group, str)}


def read_project(root: Path) -> ProjectFacts:
    """The facts of the project at ``root``; an unreadable ``pyproject.toml`` gives none."""
    tox_config = next((n for n in (TOX_INI, TOX_TOML) if (root / n).is_file()), None)
    try:
        data = tomllib.loads((root / PYPROJECT).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ProjectFacts(tox_config=tox_config)
    tool = data.get("tool")
    if tox_config is None and isinstance(tool, dict) and isinstance(tool.get("tox"), dict):
        tox_config = PYPROJECT
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    assert isinstance(project, dict)
    optional = project.get("optional-dependencies")
    extras = {
        extra: frozenset(n for r in reqs if isinstance(r, str) and (n := _name(r)))
        for extra, reqs in (optional.items() if isinstance(optional, dict) else [])
        if isinstance(reqs, list)
    }
    deps = project.get("dependencies")
    name = project.get("name")
    python = project.get("requires-python")
    classifiers = project.get("classifiers")
    prefix = "Programming Language :: Python :: "
    classified = frozenset(
        c.removeprefix(prefix)
        for c in (classifiers if isinstance(classifiers, list) else [])
        if isinstance(c, str) and re.fullmatch(r"3\.\d+", c.removeprefix(prefix))
    )
    return ProjectFacts(
        classified=classified,
        name=_name(name) if isinstance(name, str) else None,
        requires_python=python if isinstance(python, str) else None,
        extras=extras,
        groups=_groups(data.get("dependency-groups")),
        dependencies=frozenset(
            n
            for r in (deps if isinstance(deps, list) else [])
            if isinstance(r, str) and (n := _name(r))
        ),
        tox_config=tox_config,
    )


@dataclass(frozen=True)
class InstallPlan:
    """What the generated CI job and tox environments install."""

    #: The extra (``.[extra]``) or the dependency group (``--group``) chosen; None: neither.
    extra: str | None
    group: str | None
    #: pytest-gates is installed by name too (the project does not bring it).
    add_distribution: bool

    def pip_command(self) -> str:
        target = f"'.[{self.extra}]'" if self.extra else "."
        group = f" --group {self.group}" if self.group else ""
        extra = f" {DISTRIBUTION}" if self.add_distribution else ""
        return f"python -m pip install{group} -e {target}{extra}"


def _choose(options: dict[str, frozenset[str]]) -> str | None:
    """The option that brings pytest-gates, else the preferred test one, else None."""
    with_gates = sorted(name for name, reqs in options.items() if DISTRIBUTION in reqs)
    if with_gates:
        return with_gates[0]
    return next((name for name in PREFERRED if name in options), None)


def install_plan(facts: ProjectFacts) -> InstallPlan:
    """The extra or group to install, and whether pytest-gates must be named as well."""
    extra = _choose(facts.extras)
    group = None if extra is not None else _choose(facts.groups)
    brought = facts.is_pytest_gates or DISTRIBUTION in facts.dependencies
    if extra is not None:
        brought = brought or DISTRIBUTION in facts.extras[extra]
    if group is not None:
        brought = brought or DISTRIBUTION in facts.groups[group]
    return InstallPlan(extra, group, not brought)


def problems(facts: ProjectFacts, install: str, tox_extras: tuple[str, ...]) -> list[str]:
    """Why a generated job would not work in this project (sync's warnings)."""
    found: list[str] = []
    if facts.name is None:
        return found  # no pyproject.toml to judge by
    for extra in tox_extras:
        if extra not in facts.extras:
            known = ", ".join(sorted(facts.extras)) or "none"
            found.append(
                f"projection.tox.extras names '{extra}', which {PYPROJECT} does not define "
                f"(its extras: {known}): the tox gate environments would not install"
            )
    extras = [e.strip() for m in re.findall(r"\.\[([^\]]+)\]", install) for e in m.split(",")]
    groups = re.findall(r"--group[= ]+([A-Za-z0-9._-]+)", install)
    brought = (
        facts.is_pytest_gates
        or DISTRIBUTION in facts.dependencies
        or DISTRIBUTION in install.replace(f"{DISTRIBUTION}/", "")
        or any(DISTRIBUTION in facts.extras.get(e, ()) for e in extras)
        or any(DISTRIBUTION in facts.groups.get(g, ()) for g in groups)
    )
    for extra in extras:
        if extra not in facts.extras:
            found.append(
                f"the install step `{install}` names the extra '{extra}', which {PYPROJECT} "
                "does not define: pip installs the project without it"
            )
    if not brought:
        found.append(
            f"the install step `{install}` does not install {DISTRIBUTION}: the gates job "
            f"would fail with 'unrecognized arguments: --gates'; add {DISTRIBUTION} to the "
            "command (projection.install) or to the extra or group it installs"
        )
    return found
