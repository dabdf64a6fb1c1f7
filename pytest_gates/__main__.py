"""``python -m pytest_gates``: the ``pytest-gates`` command."""

from __future__ import annotations

from pytest_gates.cli.main import main

raise SystemExit(main())
