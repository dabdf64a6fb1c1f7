"""A gate session's long-lived objects, kept out of the cyclic garbage collector's way.

A session of N checks holds, from its start to its end, the manifest's models, N items and their
nodes: about 20 objects per check that the collector would walk again at every full collection
and once more when the interpreter exits, although none of them can be garbage before the
session ends. :func:`settle` moves what the process holds into the collector's permanent generation
(:func:`gc.freeze`) once the manifest is loaded (before the collector, paused while its models were
built, runs again), once the items are collected, every 1,000 checks while they run (:func:`tend`),
when the run is over and when the outputs are written; objects made in between are collected as
usual (and while the manifest's models, a gate's items and the outputs are built,
:func:`~pytest_gates.model.parse.gc_paused` keeps the collector from walking them as they are
made). Reference counting frees frozen objects as before; only a reference cycle among them
outlives the session. So :func:`release` gives them back (:func:`gc.unfreeze`) when the session ran
inside a longer-lived program (``pytest.main`` with plugins, as pytester calls it; a script calling
``pytest.main`` with its own arguments), and leaves them frozen when the process ends with the
session: the pytest command and an xdist worker, where the exit needs no collection.
"""

from __future__ import annotations

import gc
import sys
from typing import Final

import pytest

#: This session froze objects, and whether it gives them back at its end.
FROZEN_KEY: Final = pytest.StashKey[bool]()
#: Check items finished in this process, and how many between two settles while they run.
FINISHED_KEY: Final = pytest.StashKey[int]()
SETTLE_EVERY: Final = 1000


def settle(config: pytest.Config) -> None:
    """Freeze every object the process holds now (the manifest loaded, or the items collected)."""
    if FROZEN_KEY not in config.stash:
        config.stash[FROZEN_KEY] = not ends_with_process(config)
    gc.freeze()


def tend(config: pytest.Config) -> None:
    """A check item finished: every :data:`SETTLE_EVERY` of them, collect the young generations
    and settle what survived (the run's reports and records, alive until the outputs are
    written).

    Without it the run's survivors are walked again and again: the collector starts a full
    collection when what reached the oldest generation since the last one outgrows a quarter of
    what that one kept, and with the session's objects frozen that is next to nothing, so every
    tenth young collection became a full one over all the run's reports (0.18 s of 10,000
    checks). Collecting the young generations first keeps their garbage out of the freeze.
    """
    finished = config.stash.get(FINISHED_KEY, 0) + 1
    config.stash[FINISHED_KEY] = finished
    if finished % SETTLE_EVERY == 0:
        gc.collect(1)
        settle(config)


def release(config: pytest.Config) -> None:
    """At the session's end: give the frozen objects back to the collector, unless the process
    ends with the session."""
    if config.stash.get(FROZEN_KEY, False):
        gc.unfreeze()
    if FROZEN_KEY in config.stash:
        del config.stash[FROZEN_KEY]
    if FINISHED_KEY in config.stash:
        del config.stash[FINISHED_KEY]


def ends_with_process(config: pytest.Config) -> bool:
    """The process exits when this session ends: an xdist worker, or the pytest command (pytest's
    ``console_main`` passes no plugins and the command line's own arguments)."""
    if hasattr(config, "workerinput"):
        return True
    params = config.invocation_params
    return not params.plugins and list(params.args) == sys.argv[1:]
