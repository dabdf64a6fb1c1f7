"""The ``pytest-gates`` command: thin adapters, one module per command group."""
