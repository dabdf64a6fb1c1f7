"""What a check kind is, what it is given, what it returns, and the registry of kinds.

A kind is a name, a pydantic model for its parameters, a function, and whether it is idempotent
(safe to run again after a failure, so a gate's ``retry`` may repeat it). Built-in kinds and
plugin kinds are registered the same way, through the ``pytest_gates_register_checks`` hook::

    class WordCount(CheckParams):
        path: str
        max_words: int

    @check_kind("word_count", params=WordCount, idempotent=True)
    def word_count(params: WordCount, ctx: CheckContext) -> CheckResult:
        words = len((ctx.rootdir / params.path).read_text().split())
        return CheckResult(passed=words <= params.max_words, summary=f"{words} words")

    def pytest_gates_register_checks(registry):
        registry.register(word_count)
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Generic, Literal, TypeVar, final

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from pytest_gates.chain import Verdict
from pytest_gates.errors import GatesError
from pytest_gates.model.findings import Finding
from pytest_gates.model.records import ItemRecord

#: The version of what :meth:`CheckContext.needed` returns.
NEED_SCHEMA: Final = "pytest-gates/need/v1"


class CheckParams(BaseModel):
    """Base of every kind's parameter model: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckResult(BaseModel):
    """What one run of a check found."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    #: One line for the terminal and the report, e.g. ``3 files over 500 lines``.
    summary: str = ""
    findings: list[Finding] = Field(default_factory=list)
    #: Measured values worth keeping in the evidence (exit code, coverage total, worst files).
    details: dict[str, JsonValue] = Field(default_factory=dict)
    #: The tail of a tool's output, shown when the check fails.
    output: str = ""


class NeedResult(BaseModel):
    """The final result of a gate that the check's gate needs: its verdict, its items' records
    and their findings, as its evidence holds them (``schema`` versions the shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["pytest-gates/need/v1"] = Field(default=NEED_SCHEMA, alias="schema")
    gate: str
    verdict: Verdict
    records: list[ItemRecord] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)


@final
class NeedNotReadable(GatesError):
    """A check read a gate its gate does not need (or its ``reads`` does not name)."""


@final
class NeedNotFinal(GatesError):
    """A check read a needed gate that has no final result in this session."""


@dataclass(frozen=True)
class CheckContext:
    """What a check may use while it runs."""

    #: The project root (pytest's rootdir); relative paths in parameters are resolved against it.
    rootdir: Path
    gate_id: str
    check_id: str
    #: A fresh, empty directory for this attempt's scratch files.
    tmp_path: Path
    #: Seconds the gate allows each item, if limited (pytest-timeout enforces it; a check that
    #: starts a subprocess may pass it on).
    timeout: float | None = None
    #: The environment commands start with: ``os.environ`` with the running Python's scripts
    #: folder first on ``PATH``, so tools installed next to pytest (ruff, mypy) are found even
    #: when the virtual environment is not activated.
    environ: Mapping[str, str] = field(default_factory=lambda: DefaultEnviron())
    #: ``--gates-fix``: a check that can repair what it finds does, and records it.
    fix: bool = False
    #: The gates this check may read (its ``reads``; for READY every gate it audits).
    readable: tuple[str, ...] = ()
    #: The final results of the readable gates known to this process.
    needs: Mapping[str, NeedResult] = field(default_factory=dict)
    #: The gate manifest, as the session names it (rootdir-relative): where a finding about the
    #: gates themselves (READY's) points.
    manifest: str | None = None

    def needed(self, gate_id: str) -> NeedResult:
        """The final result of ``gate_id``, a gate this check may read.

        Raises :class:`NeedNotReadable` for a gate it may not read, and :class:`NeedNotFinal`
        when that gate has no final result here (deselected, or run on another shard); either
        makes the check ERROR.
        """
        if gate_id not in self.readable:
            allowed = ", ".join(self.readable) or "none"
            raise NeedNotReadable(
                f"check '{self.check_id}' of gate '{self.gate_id}' reads gate '{gate_id}', which "
                f"it may not read (it may read: {allowed}); a check reads only the gates its "
                "'reads' names, each a gate its gate needs"
            )
        result = self.needs.get(gate_id)
        if result is None:
            raise NeedNotFinal(
                f"check '{self.check_id}' of gate '{self.gate_id}' reads gate '{gate_id}', which "
                "has no final result in this session (deselected, or run on another shard)"
            )
        return result

    def resolve(self, path: str) -> Path:
        return (self.rootdir / path).resolve()

    def relative(self, path: Path) -> str:
        """``path`` relative to the rootdir, with forward slashes, for findings."""
        try:
            return path.resolve().relative_to(self.rootdir.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def default_environ() -> dict[str, str]:
    environ = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    path = environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        environ["PATH"] = os.pathsep.join([scripts, path]) if path else scripts
    return environ


class DefaultEnviron(Mapping[str, str]):
    """:func:`default_environ`, taken when a check first reads it: copying ``os.environ`` costs
    about half a millisecond, which most checks (those that start no process) need not pay."""

    def __init__(self) -> None:
        self._data: dict[str, str] | None = None

    @property
    def data(self) -> dict[str, str]:
        if self._data is None:
            self._data = default_environ()
        return self._data

    def __getitem__(self, key: str) -> str:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


P = TypeVar("P", bound=CheckParams)


@final
@dataclass(frozen=True)
class CheckKind(Generic[P]):
    """A registered kind of check."""

    name: str
    params: type[P]
    run: Callable[[P, CheckContext], CheckResult]
    #: Safe to repeat after a failure; only idempotent kinds are retried.
    idempotent: bool = False
    description: str = ""

    def parse(self, raw: Mapping[str, Any]) -> P:
        """Validate the check's parameters (raises pydantic's ValidationError)."""
        return self.params.model_validate(dict(raw))


def check_kind(
    name: str, *, params: type[P], idempotent: bool = False
) -> Callable[[Callable[[P, CheckContext], CheckResult]], CheckKind[P]]:
    """Decorator: turn a function into a :class:`CheckKind`; its docstring describes the kind."""

    def wrap(func: Callable[[P, CheckContext], CheckResult]) -> CheckKind[P]:
        doc = (func.__doc__ or "").strip().splitlines()
        return CheckKind(
            name=name,
            params=params,
            run=func,
            idempotent=idempotent,
            description=doc[0] if doc else "",
        )

    return wrap


@final
class DuplicateCheckKind(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"check kind '{name}' is registered twice; each kind name must be unique")


class CheckRegistry:
    """The kinds available in this session, by name; a kind may be registered by its import
    path (``module:attribute``) and is then imported when first asked for."""

    def __init__(self) -> None:
        self._kinds: dict[str, CheckKind[Any]] = {}
        self._lazy: dict[str, str] = {}

    def register(self, kind: CheckKind[Any]) -> None:
        if (
            kind.name in self._kinds and self._kinds[kind.name] is not kind
        ) or kind.name in self._lazy:
            raise DuplicateCheckKind(kind.name)
        self._kinds[kind.name] = kind

    def register_lazy(self, name: str, target: str) -> None:
        if name in self._kinds or (name in self._lazy and self._lazy[name] != target):
            raise DuplicateCheckKind(name)
        self._lazy[name] = target

    def get(self, name: str) -> CheckKind[Any] | None:
        if name in self._lazy:
            module, _, attribute = self._lazy.pop(name).partition(":")
            kind = getattr(importlib.import_module(module), attribute)
            if not isinstance(kind, CheckKind) or kind.name != name:
                raise TypeError(f"{module}:{attribute} is not the check kind '{name}'")
            self._kinds[name] = kind
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted({*self._kinds, *self._lazy})

    def __iter__(self) -> Iterator[CheckKind[Any]]:
        for name in self.names():
            kind = self.get(name)
            assert kind is not None
            yield kind

    def __len__(self) -> int:
        return len(self.names())
