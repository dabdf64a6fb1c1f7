"""pytest entry point (``pytest11: gates``): options, ini keys, markers, and the switch.

Without ``--gates`` nothing of ours runs but one thing: the directories named as gate suites are
not collected, so a project's plain ``pytest`` run is what it was before the gates existed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pytest

from pytest_gates.model.names import GATE_CLASSES, NESTED_ENV

GATES_HELP: Final = "run the release gates of the manifest (and nothing else), then write evidence and the go/no-go report"
MANIFEST_HELP: Final = "the gate manifest (default: manifests/gates.yaml)"
OUT_HELP: Final = (
    "where evidence, the transition log and the reports are written (default: .gates/)"
)
SHARD_HELP: Final = (
    "run shard K of N (1-based; also read from Bazel's TEST_SHARD_INDEX/TEST_TOTAL_SHARDS)"
)
DURATIONS_HELP: Final = (
    "recorded item durations used to balance shards and workers (default: manifests/durations.json)"
)
STORE_HELP: Final = "record this run's item durations into the durations file"
PLAN_HELP: Final = "print how the collected items split into N shards (use with --collect-only)"
SIGN_KEY_HELP: Final = (
    "sign the decision with this Ed25519 private key (PEM): writes report.intoto.json "
    "(the run must be at a git commit)"
)
SIGN_KEY_ENV_HELP: Final = (
    "sign the decision with the private key whose PEM this environment variable holds (a CI secret)"
)
LOG_FROM_HELP: Final = (
    "continue this transition log (the last decision's transitions.jsonl): checked, then copied "
    "into the output folder before this run's lines"
)

MARKERS: Final = (
    *(f"{name}: a release gate of class {name} (pytest-gates)" for name in GATE_CLASSES),
    "blocking: an item of a blocking gate: its failure stops the release (pytest-gates)",
    "advisory: an item of an advisory gate: its failure degrades, it does not block (pytest-gates)",
    "gate(id): the release gate an item belongs to (pytest-gates)",
)

INERT_SUITES_KEY: Final = pytest.StashKey[tuple[Path, ...]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gates", "release gates (pytest-gates)")
    group.addoption("--gates", action="store_true", default=False, dest="gates", help=GATES_HELP)
    group.addoption("--gates-manifest", metavar="PATH", dest="gates_manifest", help=MANIFEST_HELP)
    group.addoption("--gates-out", metavar="DIR", dest="gates_out", help=OUT_HELP)
    group.addoption("--gates-shard", metavar="K/N", dest="gates_shard", help=SHARD_HELP)
    group.addoption(
        "--gates-durations", metavar="PATH", dest="gates_durations", help=DURATIONS_HELP
    )
    group.addoption(
        "--gates-store-durations",
        action="store_true",
        default=False,
        dest="gates_store_durations",
        help=STORE_HELP,
    )
    group.addoption("--gates-plan", metavar="N", type=int, dest="gates_plan", help=PLAN_HELP)
    group.addoption("--gates-sign-key", metavar="PATH", dest="gates_sign_key", help=SIGN_KEY_HELP)
    group.addoption(
        "--gates-sign-key-env", metavar="VAR", dest="gates_sign_key_env", help=SIGN_KEY_ENV_HELP
    )
    group.addoption("--gates-log-from", metavar="PATH", dest="gates_log_from", help=LOG_FROM_HELP)
    parser.addini("gates_manifest", MANIFEST_HELP, default="")
    parser.addini("gates_out", OUT_HELP, default="")
    parser.addini("gates_durations", DURATIONS_HELP, default="")
    parser.addini("gates_sign_key", SIGN_KEY_HELP, default="")
    parser.addini("gates_sign_key_env", SIGN_KEY_ENV_HELP, default="")
    parser.addini("gates_log_from", LOG_FROM_HELP, default="")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_gates import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def gates_enabled(config: pytest.Config) -> bool:
    """``--gates`` was given, and this is not a test run started by a check of a gate session."""
    return bool(config.getoption("gates")) and not os.environ.get(NESTED_ENV)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if not gates_enabled(config):
        return
    from pytest_gates.session.configure import build_context, gate_args
    from pytest_gates.session.context import CONTEXT_KEY, SESSION_KEY, CollectionState
    from pytest_gates.session.runtime import RuntimePlugin

    context = build_context(config)
    state = CollectionState()
    config.stash[CONTEXT_KEY] = context
    config.stash[SESSION_KEY] = state
    if not context.explicit_args:
        # Under --gates the session is the gates: the manifest and the suites, nothing else.
        config.args = gate_args(context)
    config.pluginmanager.register(RuntimePlugin(config, context, state), "gates-runtime")
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller gathers, folds and writes
    from pytest_gates.session.controller import ControllerPlugin

    tracker = None
    if config.pluginmanager.hasplugin("xdist") and _distributing(config):
        from pytest_gates.distribute.xdist.progress import GateTracker

        tracker = GateTracker.in_temp_folder()
    controller = ControllerPlugin(config, context, state, tracker)
    config.pluginmanager.register(controller, "gates-controller")
    if tracker is not None:
        from pytest_gates.distribute.xdist.hooks import XdistHooks

        hooks = XdistHooks(config, context.plan, tracker, controller)
        config.pluginmanager.register(hooks, "gates-xdist")


def _distributing(config: pytest.Config) -> bool:
    """xdist will run the items on workers (its own test, ``_is_distribution_mode``)."""
    if config.getoption("collectonly"):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def pytest_unconfigure(config: pytest.Config) -> None:
    controller = config.pluginmanager.get_plugin("gates-controller")
    for name in ("gates-xdist", "gates-controller", "gates-runtime"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
    if controller is not None and controller.tracker is not None:
        controller.tracker.close()
    if not gates_enabled(config):
        return
    from pytest_gates.session.context import CONTEXT_KEY, SESSION_KEY

    if CONTEXT_KEY in config.stash:
        del config.stash[CONTEXT_KEY]
    if SESSION_KEY in config.stash:
        del config.stash[SESSION_KEY]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if gates_enabled(config):
        return None  # the runtime plugin decides
    suites = config.stash.get(INERT_SUITES_KEY, None)
    if suites is None:
        suites = _suites_leniently(config)
        config.stash[INERT_SUITES_KEY] = suites
    path = collection_path.resolve()
    if any(path == suite or path.is_relative_to(suite) for suite in suites):
        return True
    return None


def _suites_leniently(config: pytest.Config) -> tuple[Path, ...]:
    """The suites a manifest names, read without validating: a broken manifest is not this
    run's business when gates are off, so any problem just means no suites."""
    value = config.getoption("gates_manifest") or config.getini("gates_manifest")
    if config.getoption("gates_manifest"):
        path = config.invocation_params.dir / str(value)
    elif value:
        path = (config.inipath.parent if config.inipath else config.rootpath) / str(value)
    else:
        path = config.rootpath / "manifests" / "gates.yaml"
    if not path.is_file():
        return ()
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    if not isinstance(data, dict) or not isinstance(data.get("gates"), list):
        return ()
    suites = []
    for gate in data["gates"]:
        entries = gate.get("suites") if isinstance(gate, dict) else None
        if isinstance(entries, list):
            suites += [(config.rootpath / s).resolve() for s in entries if isinstance(s, str) and s]
    return tuple(suites)
