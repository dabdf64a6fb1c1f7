"""Root conftest of pytest-gates' own repository.

It is loaded by both of the project's runs: the tests (``pytest``) and the gates
(``pytest --gates``). A project registers its own check kinds here with the
``pytest_gates_register_checks`` hook; pytest-gates' own gates use only the built-in kinds.
"""
