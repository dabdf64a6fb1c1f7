"""The rootdir pytest chose from an option's value before it knew the option.

pytest picks the rootdir (and the ini file) before it loads plugins from entry points, so at that
moment ``--gates-out /tmp/out`` is an unknown option followed by a positional argument; when
``/tmp/out`` exists, pytest takes it for a path to test and the rootdir becomes the common ancestor
of it and the working folder (``/tmp``). The gate session would then look for
``manifests/gates.yaml`` there and say it does not exist. :func:`check_rootdir`
turns that into a usage error that says what happened and what to write instead
(``--gates-out=/tmp/out``, which pytest never splits).
"""

from __future__ import annotations

import inspect
import itertools
import os
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import pytest

#: The options of ours that take a value (a test holds this to the parser's options).
VALUE_OPTIONS: Final = (
    "--gates-manifest",
    "--gates-out",
    "--gates-shard",
    "--gates-durations",
    "--gates-plan",
    "--gates-sign-key",
    "--gates-sign-key-env",
    "--gates-log-from",
    "--gates-approvals",
)


def separate_path_values(args: Sequence[str], invocation_dir: Path) -> Iterator[tuple[str, str]]:
    """(option, value) for each of our options given as two arguments whose value is an
    existing path: the arguments pytest counted as paths when it chose the rootdir."""
    for option, value in itertools.pairwise(args):
        if (
            option in VALUE_OPTIONS
            and not value.startswith("-")
            and (invocation_dir / value).exists()
        ):
            yield option, value


def check_rootdir(early_config: pytest.Config) -> None:
    """Raise a usage error when an option's value moved the rootdir away from the one pytest
    picks once it knows our options."""
    params = early_config.invocation_params
    args = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *params.args]
    taken = list(separate_path_values(args, params.dir))
    if not taken:
        return
    expected = _rootdir_without(early_config)
    if expected is None or expected == early_config.rootpath:
        return
    option, value = taken[0]
    raise pytest.UsageError(
        f"pytest chose the rootdir {early_config.rootpath} because it took '{value}', the value "
        f"of {option}, for a path to test (it reads the command line before it loads "
        f"pytest-gates); the rootdir is {expected} without it. Write {option}={value} "
        "(or pass --rootdir)."
    )


def _rootdir_without(early_config: pytest.Config) -> Path | None:
    """The rootdir from the command line as parsed with our options known (their values are not
    paths to test there); ``None`` when this pytest has no ``determine_setup`` taking these
    arguments."""
    try:  # pytest's own rootdir rule; a private module, so its absence only skips the check
        from _pytest.config.findpaths import determine_setup
    except ImportError:
        return None
    ns = early_config.known_args_namespace
    offered = {
        "inifile": ns.inifilename,
        "override_ini": ns.override_ini,
        "args": list(ns.file_or_dir or ()),
        "rootdir_cmd_arg": ns.rootdir or None,
        "invocation_dir": early_config.invocation_params.dir,
    }
    wanted = inspect.signature(determine_setup).parameters
    if not set(wanted) <= set(offered):
        return None
    rootpath = determine_setup(**{name: offered[name] for name in wanted})[0]
    return Path(rootpath)
