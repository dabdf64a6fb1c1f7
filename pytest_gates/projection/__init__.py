"""Projections of the manifest: the CI workflow and the tox gate environments, and their drift.

``pytest-gates sync`` writes them (:mod:`.sync`); ``pytest-gates sync --check`` and the ``sync``
check kind compare them with the files on disk. The policy that says what may be kept by hand is
part of the manifest (:mod:`.policy`). This package imports nothing at import time, because the
manifest model itself imports the policy.
"""
