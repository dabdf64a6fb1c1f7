"""The gate manifest's pydantic models (version 1).

The models are the truth: the JSON Schema is generated from them (``pytest-gates schema
manifest``), and the "did you mean" hints of a located error are derived from their fields.
Loading a manifest file is :mod:`pytest_gates.model.load`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pytest_gates.model.names import GATE_CLASSES as GATE_CLASSES
from pytest_gates.model.names import GateClass as GateClass
from pytest_gates.model.policy import ProjectionPolicy

MANIFEST_VERSION: Final = 1
ID_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]*$"

GateId = Annotated[str, Field(pattern=ID_PATTERN, max_length=100)]

#: The bounds of every time limit a manifest sets, in seconds: at least a tenth of a second
#: (a shorter alarm fires inside pytest's own machinery), at most a day (longer ones overflow
#: the platform's timers long before they are useful).
MIN_TIMEOUT: Final = 0.1
MAX_SECONDS: Final = 86_400.0
#: A timeout or duration in seconds: finite and within the bounds.
Seconds = Annotated[float, Field(ge=MIN_TIMEOUT, le=MAX_SECONDS, allow_inf_nan=False)]
Strategy = Literal["retry", "degrade", "block", "rollback"]


class StrictModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Retry(StrictModel):
    """How often a failing idempotent check is tried, and how long to wait in between."""

    #: Total attempts, the first included.
    attempts: int = Field(ge=1, le=20)
    #: Seconds to wait before the 2nd, 3rd, ... attempt; the last value repeats.
    backoff: list[Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)]] = Field(
        default_factory=list, max_length=20
    )

    def delay_before(self, attempt: int) -> float:
        """Seconds to sleep before ``attempt`` (2-based: the first attempt never waits)."""
        if attempt <= 1 or not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 2, len(self.backoff) - 1)]


class Rollback(StrictModel):
    """The command run (once, after the session) when a gate with ``on_failure: rollback`` fails."""

    run: list[str] = Field(min_length=1)
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    timeout: Seconds = 300


class CheckSpec(BaseModel):
    """One check of a gate: an id, a kind, and the kind's own parameters.

    The parameters are validated by the kind's model once the check kinds are registered.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: GateId
    kind: str = Field(min_length=1)
    description: str = ""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Defaults(StrictModel):
    """Values a gate takes when it does not say."""

    timeout: Seconds | None = 300
    on_failure: Strategy = "block"


class Generated(StrictModel):
    """Set by ``pytest-gates generate``: what the manifest was projected from."""

    by: str
    command: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)


class Gate(StrictModel):
    """One named quality dimension: its class, level, needs, limits, strategy, checks and suites."""

    id: GateId
    class_: GateClass = Field(alias="class")
    blocking: bool = True
    description: str = ""
    needs: list[GateId] = Field(default_factory=list)
    #: Seconds for each of the gate's items (setup, call and teardown), enforced by pytest-timeout.
    timeout: Seconds | None = None
    on_failure: Strategy | None = None
    retry: Retry | None = None
    rollback: Rollback | None = None
    checks: list[CheckSpec] = Field(default_factory=list)
    suites: list[str] = Field(default_factory=list)
    #: Predicted seconds for the whole gate, spread over its items, for items with no recorded
    #: durations yet (sharding and scheduling only).
    expected_duration: Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)] | None = (
        None
    )
    #: Keep the gate's items in one shard and on one worker (shared expensive fixtures).
    together: bool = False

    @model_validator(mode="after")
    def _strategy_is_complete(self) -> Gate:
        if not self.checks and not self.suites:
            raise ValueError("a gate needs at least one check or one suite")
        if self.on_failure == "retry" and self.retry is None:
            raise ValueError("on_failure: retry needs a retry block, e.g. retry: {attempts: 3}")
        if self.on_failure == "rollback" and self.rollback is None:
            raise ValueError(
                "on_failure: rollback needs a rollback block, e.g. rollback: {run: [...]}"
            )
        return self


class Manifest(StrictModel):
    """The gate manifest (version 1): the gates a release must pass."""

    version: Literal[1]
    project: str = Field(min_length=1)
    generated: Generated | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    gates: list[Gate] = Field(min_length=1)
    #: How ``pytest-gates sync`` projects the gates into CI files, and what may be kept by hand.
    projection: ProjectionPolicy = Field(default_factory=ProjectionPolicy)

    def needs(self) -> dict[str, list[str]]:
        """The needs graph: each gate's id -> the ids it needs, in manifest order."""
        return {gate.id: list(gate.needs) for gate in self.gates}

    @cached_property
    def _by_id(self) -> dict[str, Gate]:
        by_id: dict[str, Gate] = {}
        for gate in self.gates:
            by_id.setdefault(gate.id, gate)
        return by_id

    def gate(self, gate_id: str) -> Gate:
        """The (first) gate with this id; raises ``KeyError``."""
        return self._by_id[gate_id]

    def strategy(self, gate: Gate) -> Strategy:
        if gate.on_failure is not None:
            return gate.on_failure
        return "retry" if gate.retry is not None else self.defaults.on_failure

    def timeout(self, gate: Gate) -> float | None:
        return gate.timeout if gate.timeout is not None else self.defaults.timeout
