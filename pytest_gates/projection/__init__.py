"""Projections of the manifest onto CI files, and their drift.

The core: :mod:`.source` (what a projection is computed from, and the header every generated file
carries), :mod:`.drift` (a drift, and the shared header check), :mod:`.emit` (block YAML with
comments and manual regions), :mod:`.commands` (the ``pytest-gates`` commands CI runs),
:mod:`.target` (the protocol every CI target meets) and :mod:`.sync` (plan and write, through
that protocol only). The CI targets are in :mod:`.targets`, one module or package each.
"""
