"""Each check's kind and parameters, checked against the kinds a session knows, located.

The model layer does not know the check kinds: they are registered by plugins, into
:class:`pytest_gates.checks.api.CheckRegistry`. Loading takes anything shaped like it
(:class:`KindTable`), so that ``pytest-gates validate`` and the gate session check a manifest with
the same code: the parameters of every check against its kind's model, and, for ``validate``, the
kind itself (in a session, a check of an unknown kind is an ERROR item and the rest still runs).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from pytest_gates.model.document import Document


class KindLike(Protocol):
    """What loading reads of one check kind: the model of its parameters."""

    @property
    def params(self) -> type[BaseModel]: ...


class KindTable(Protocol):
    """The check kinds known in a session, by name (a ``CheckRegistry``)."""

    def get(self, name: str) -> KindLike | None: ...

    def names(self) -> list[str]: ...


#: The keys every check has, whatever its kind (the rest are the kind's parameters).
CHECK_KEYS = ("id", "kind", "description", "idempotent", "reads")


def raw_checks(data: Any) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(gate index, check index, check)`` for each check written as a mapping."""
    gates = data.get("gates") if isinstance(data, dict) else None
    for g, gate in enumerate(gates if isinstance(gates, list) else ()):
        checks = gate.get("checks") if isinstance(gate, dict) else None
        for c, check in enumerate(checks if isinstance(checks, list) else ()):
            if isinstance(check, dict):
                yield g, c, check


def unknown_kind(kind: str, known: Sequence[str]) -> str:
    """The message for a kind no plugin registered, with a "did you mean" when one is close."""
    close = difflib.get_close_matches(kind, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"unknown check kind '{kind}' (known kinds: {', '.join(known)}){hint}; a plugin or the "
        "rootdir conftest.py registers kinds with pytest_gates_register_checks"
    )


#: Each valid check's parameters as its kind's model, by (gate index, check index).
ParsedParams = dict[tuple[int, int], BaseModel]


def kind_problems(doc: Document, kinds: KindTable, *, unknown: bool) -> list[str]:
    """Each check's parameters against its kind's model; with ``unknown``, unknown kinds too."""
    return checked_params(doc, kinds, unknown=unknown)[0]


def checked_params(
    doc: Document, kinds: KindTable, *, unknown: bool
) -> tuple[list[str], ParsedParams]:
    """:func:`kind_problems`, and the parameters it validated (a session's checks run with
    them instead of validating them again)."""
    parsed: ParsedParams = {}
    problems: list[str] = []
    known: list[str] | None = None
    keys_of: dict[str, list[str]] = {}  # the keys a kind's checks may have, for "did you mean"
    for g, c, check in raw_checks(doc.data):
        name = check.get("kind")
        if not isinstance(name, str) or not name:
            continue  # the manifest's own model says what is wrong
        kind = kinds.get(name)
        where: list[int | str] = ["gates", g, "checks", c]
        if kind is None:
            if unknown:
                known = kinds.names() if known is None else known
                problems.append(doc.error([*where, "kind"], unknown_kind(name, known)))
            continue
        params = {key: value for key, value in check.items() if key not in CHECK_KEYS}
        try:
            parsed[g, c] = kind.params.model_validate(params)
        except ValidationError as exc:
            if name not in keys_of:
                schema = kind.params.model_json_schema(by_alias=True)
                keys_of[name] = [*CHECK_KEYS, *schema["properties"]]
            problems += doc.validation_problems(exc, where, keys_of[name])
    return problems, parsed
