"""What the session tells the xdist scheduler through ``config.stash``: importable without xdist
installed (the scheduler itself imports xdist)."""

from __future__ import annotations

from typing import Final

import pytest

#: The ``sequential: true`` gates, on the controller's ``config.stash``: their items go to one
#: worker, one after the other in collection (manifest) order.
SEQUENTIAL_GATES_KEY: Final = pytest.StashKey[frozenset[str]]()
