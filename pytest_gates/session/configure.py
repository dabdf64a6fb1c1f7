"""Reading the session's configuration into a :class:`~pytest_gates.session.context.GatesContext`.

Every problem with what the user gave (the manifest, a check's parameters, ``--gates-shard``, the
durations file) becomes a ``pytest.UsageError``: one clear message, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_gates.checks.api import CheckRegistry, DuplicateCheckKind
from pytest_gates.checks.manifest_guard import guard_manifest, manifest_guard
from pytest_gates.distribute.durations import DurationStore
from pytest_gates.distribute.plan import Planner
from pytest_gates.distribute.shards import parse_shard, shard_from_env
from pytest_gates.errors import DurationsError, ManifestError
from pytest_gates.model.kinds import checked_params
from pytest_gates.model.load import load_manifest
from pytest_gates.model.names import DEFAULT_DURATIONS, DEFAULT_MANIFEST, DEFAULT_OUT
from pytest_gates.session.context import GatesContext, display


def build_context(config: pytest.Config) -> GatesContext:
    """Load and validate everything a gate session needs; raises ``pytest.UsageError``."""
    rootdir = config.rootpath
    manifest_path = configured_path(config, "gates_manifest", DEFAULT_MANIFEST)
    manifest_display = display(manifest_path, rootdir)
    try:
        loaded = load_manifest(manifest_path, manifest_display, rootdir)
    except ManifestError as exc:
        raise pytest.UsageError(f"invalid gate manifest\n{exc}") from None
    # The runner, not the manifest, guards a generated manifest: re-projected before collecting.
    guarded = guard_manifest(loaded, manifest_display, rootdir)
    registry = _registry(config)
    if guarded is not None:
        loaded = guarded
        registry.register(manifest_guard)
    problems, params = checked_params(loaded.document, registry, unknown=False)
    if problems:
        raise pytest.UsageError("invalid gate manifest\n" + "\n".join(problems))
    loaded = loaded.without_tree()  # validated: from here on only its lines are wanted
    durations_path = configured_path(config, "gates_durations", DEFAULT_DURATIONS)
    try:
        option = config.getoption("gates_shard")
        shard = parse_shard(option) if option else shard_from_env(os.environ)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None

    def load_store() -> DurationStore:
        try:
            return DurationStore.load(durations_path, display(durations_path, rootdir))
        except DurationsError as exc:
            raise pytest.UsageError(str(exc)) from None

    return GatesContext(
        rootdir=rootdir,
        manifest_path=manifest_path,
        manifest_display=manifest_display,
        loaded=loaded,
        registry=registry,
        outdir=configured_path(config, "gates_out", DEFAULT_OUT),
        durations_path=durations_path,
        planner=Planner(loaded, load_store),
        shard=shard,
        explicit_args=config.args_source == pytest.Config.ArgsSource.ARGS,
        fix=bool(config.getoption("gates_fix") or config.getini("gates_fix")),
        params=params,
    )


def _registry(config: pytest.Config) -> CheckRegistry:
    registry = CheckRegistry()
    from pytest_gates.checks import lazy

    if not config.pluginmanager.is_registered(lazy):
        config.pluginmanager.register(lazy, "gates-builtin-checks")
    try:
        config.hook.pytest_gates_register_checks(registry=registry)
    except DuplicateCheckKind as exc:
        raise pytest.UsageError(str(exc)) from None
    return registry


def gate_args(context: GatesContext) -> list[str]:
    """What a gate session collects when no paths are given: the manifest and the suites."""
    return [str(context.manifest_path)] + [
        str(context.rootdir / suite)
        for gate in context.loaded.manifest.gates
        for suite in gate.suites
    ]


def configured_path(config: pytest.Config, name: str, default: str) -> Path:
    """An option given on the command line is relative to the invocation dir; an ini value to
    the ini file's folder; the default to the rootdir."""
    value: str | None = config.getoption(name)
    if value:
        return (config.invocation_params.dir / value).resolve()
    ini = config.getini(name)
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / str(ini)).resolve()
    return (config.rootpath / default).resolve()
