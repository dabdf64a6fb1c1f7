"""pytest entry point (``pytest11: gates``): options, ini keys, markers, and the switch.

Without ``--gates`` nothing of ours runs (the markers are registered, nothing else): a project's
plain ``pytest`` run collects what it collects without the plugin, gate suites included when the
project's own ``testpaths`` reach them, so a suite can be an ordinary test file too.
"""

from __future__ import annotations

import os
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
APPROVALS_HELP: Final = (
    "the folder of signed approvals that pytest-gates approve writes (default: approvals/)"
)
FIX_HELP: Final = (
    "apply the auto-fixes a check allows (site_conformity: hreflang, canonical, meta tags) and "
    "record them in the evidence"
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
    group.addoption(
        "--gates-fix", action="store_true", default=False, dest="gates_fix", help=FIX_HELP
    )
    group.addoption("--gates-approvals", metavar="DIR", dest="gates_approvals", help=APPROVALS_HELP)
    parser.addini("gates_manifest", MANIFEST_HELP, default="")
    parser.addini("gates_out", OUT_HELP, default="")
    parser.addini("gates_durations", DURATIONS_HELP, default="")
    parser.addini("gates_sign_key", SIGN_KEY_HELP, default="")
    parser.addini("gates_sign_key_env", SIGN_KEY_ENV_HELP, default="")
    parser.addini("gates_log_from", LOG_FROM_HELP, default="")
    parser.addini("gates_fix", FIX_HELP, type="bool", default=False)
    parser.addini("gates_approvals", APPROVALS_HELP, default="")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_gates import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    if getattr(early_config.known_args_namespace, "gates", False):
        from pytest_gates.session.rootdir import check_rootdir
        from pytest_gates.session.suitecov import start_early

        check_rootdir(early_config)  # before anything is read from the rootdir

        start_early(early_config)  # covered suites: measure before the conftests import code


def gates_enabled(config: pytest.Config) -> bool:
    """``--gates`` was given, and this is not a test run started by a check of a gate session."""
    return bool(config.getoption("gates")) and not os.environ.get(NESTED_ENV)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if not gates_enabled(config):
        return
    from pytest_gates.model.parse import gc_paused
    from pytest_gates.session.configure import build_context, gate_args
    from pytest_gates.session.context import CONTEXT_KEY, SESSION_KEY, CollectionState
    from pytest_gates.session.heap import settle
    from pytest_gates.session.runtime import RuntimePlugin
    from pytest_gates.session.suitecov import PLUGIN_NAME as SUITECOV
    from pytest_gates.session.suitecov import SuiteCoverageNodes, SuiteCoverageRun

    with gc_paused():  # the manifest's models: thousands of objects that all live on
        context = build_context(config)
        # Frozen before the collector runs again: its next young collection would walk them all.
        settle(config)
    state = CollectionState()
    config.stash[CONTEXT_KEY] = context
    config.stash[SESSION_KEY] = state
    if not context.explicit_args:
        # Under --gates the session is the gates: the manifest and the suites, nothing else.
        config.args = gate_args(context)
    config.pluginmanager.register(RuntimePlugin(config, context, state), "gates-runtime")
    if config.pluginmanager.hasplugin("timeout"):
        from pytest_gates.session.alarm import PLUGIN_NAME as ALARM
        from pytest_gates.session.alarm import CheckAlarm

        config.pluginmanager.register(CheckAlarm(), ALARM)
    from pytest_gates.session.approvals import PLUGIN_NAME, ApprovalPlugin, SessionApprovals

    approvals = ApprovalPlugin.of(SessionApprovals.of(config, context))
    config.pluginmanager.register(approvals, PLUGIN_NAME)
    measure = not config.option.collectonly and (
        hasattr(config, "workerinput") or not _distributing(config)
    )
    suitecov = SuiteCoverageRun(config, context, measure)
    config.pluginmanager.register(suitecov, SUITECOV)
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
        config.pluginmanager.register(SuiteCoverageNodes(suitecov), "gates-suitecov-nodes")


def _distributing(config: pytest.Config) -> bool:
    """xdist will run the items on workers (its own test, ``_is_distribution_mode``)."""
    if config.getoption("collectonly"):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def pytest_unconfigure(config: pytest.Config) -> None:
    controller = config.pluginmanager.get_plugin("gates-controller")
    names = ("gates-xdist", "gates-suitecov-nodes", "gates-controller", "gates-suitecov")
    for name in (*names, "gates-approvals", "gates-alarm", "gates-runtime"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
    if controller is not None and controller.tracker is not None:
        controller.tracker.close()
    if not gates_enabled(config):
        return
    from pytest_gates.session.context import CONTEXT_KEY, SESSION_KEY
    from pytest_gates.session.heap import release
    from pytest_gates.session.suitecov import stop_early

    stop_early(config)
    release(config)
    if CONTEXT_KEY in config.stash:
        del config.stash[CONTEXT_KEY]
    if SESSION_KEY in config.stash:
        del config.stash[SESSION_KEY]
