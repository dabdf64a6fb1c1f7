"""The gate manifest's pydantic models (version 1).

The models are the truth: the JSON Schema is generated from them (``pytest-gates schema
manifest``), and the "did you mean" hints of a located error are derived from their fields.
Loading a manifest file is :mod:`pytest_gates.model.load`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pytest_gates.model.graph import upstream
from pytest_gates.model.names import GATE_CLASSES as GATE_CLASSES
from pytest_gates.model.names import READY_KIND
from pytest_gates.model.names import GateClass as GateClass
from pytest_gates.model.policy import ProjectionPolicy
from pytest_gates.support.paths import RelPath

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

#: The longest approval window a manifest may set: thirty days.
MAX_WINDOW: Final = 30 * 86_400.0
_UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
DURATION_PATTERN: Final = r"^[0-9]+(\.[0-9]+)?[smhd]$"


def parse_duration(value: object) -> object:
    """``"30m"``, ``"24h"``, ``"7d"`` or ``"90s"`` -> seconds; numbers pass through unchanged
    (pydantic then checks them), anything else is left for pydantic to refuse."""
    if isinstance(value, str):
        text = value.strip()
        if text and text[-1] in _UNITS:
            try:
                return float(text[:-1]) * _UNITS[text[-1]]
            except ValueError:
                return value
    return value


#: A length of time: seconds, or a string such as ``30m``, ``24h`` or ``7d``.
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(gt=0, le=MAX_WINDOW, allow_inf_nan=False),
]


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


class RollbackVerify(StrictModel):
    """The command that proves a rollback worked; its failure makes the rollback an ERROR."""

    run: list[str] = Field(min_length=1)
    timeout: Seconds = 300


class Rollback(StrictModel):
    """The command run (once, after the session) when a gate with ``on_failure: rollback`` fails."""

    run: list[str] = Field(min_length=1)
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    timeout: Seconds = 300
    verify: RollbackVerify | None = None


class Approval(StrictModel):
    """A gate that needs signed approvals (``pytest-gates approve``) to pass."""

    required: bool = True
    #: Trust-file roles, one of which each counted signer must hold.
    roles: list[str] = Field(default_factory=lambda: ["approver"], min_length=1)
    #: Distinct valid signers needed.
    threshold: int = Field(default=1, ge=1, le=20)


class Degrade(StrictModel):
    """How long a gate may stay DEGRADED: the run that would make it ``max_consecutive + 1``
    DEGRADED verdicts in a row (read from the persistent log) is a FAIL instead."""

    max_consecutive: int = Field(ge=1, le=10_000)


class ReleasePolicy(StrictModel):
    """The release policy: what a decision may rest on."""

    #: ``GO_WITH_BYPASS`` (an override or an emergency approval) exits 0 and passes the
    #: generated decision job only when this is true.
    allow_bypass: bool = False


class CheckSpec(BaseModel):
    """One check of a gate: an id, a kind, and the kind's own parameters.

    The parameters are validated by the kind's model once the check kinds are registered.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: GateId
    kind: str = Field(min_length=1)
    description: str = ""
    #: False for a check that must never run twice (a deploy, a publish): retrying it is a
    #: manifest error.
    idempotent: bool = True
    #: The needed gates whose results the check reads (``CheckContext.needed``); each must be
    #: in its gate's ``needs``. Empty: it reads none (a shard plan keeps a check with what it
    #: reads, so a read must be declared).
    reads: list[GateId] = Field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Defaults(StrictModel):
    """Values a gate takes when it does not say."""

    timeout: Seconds | None = 300
    on_failure: Strategy = "block"
    #: The most consecutive DEGRADED verdicts a gate may have.
    degrade: Degrade = Field(default_factory=lambda: Degrade(max_consecutive=3))
    #: How long after a gate's failure an ``--override`` approval may turn it into BYPASSED.
    override_window: Duration = 86_400.0
    #: A bound on the whole run: what has not finished by then is ERROR, the decision NO_GO.
    max_duration: Seconds | None = None


class Generated(StrictModel):
    """Set by ``pytest-gates generate``: what the manifest was projected from."""

    by: str
    command: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)


class SuiteCoverage(StrictModel):
    """Coverage of a gate's suites, measured in each process that runs them (xdist workers,
    shards), combined, and judged against ``min`` once."""

    #: What to measure: folders or files, relative to the rootdir.
    source: list[RelPath] = Field(min_length=1)
    #: The least total statement coverage that passes, as a fraction (0.85 is 85 %).
    min: float = Field(gt=0, le=1)


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
    #: Measure the coverage of the suites' tests (a ``coverage`` check runs its own pytest).
    coverage: SuiteCoverage | None = None
    #: Predicted seconds for the whole gate, spread over its items, for items with no recorded
    #: durations yet (sharding and scheduling only).
    expected_duration: Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)] | None = (
        None
    )
    #: Keep the gate's items in one shard and on one worker (shared expensive fixtures).
    together: bool = False
    #: Once a check fails, the gate's later checks do not run (blocked by that check).
    sequential: bool = False
    #: Signed approvals this gate needs to pass.
    approval: Approval | None = None
    #: Overrides ``defaults.override_window``.
    override_window: Duration | None = None
    #: Overrides ``defaults.degrade``.
    degrade: Degrade | None = None
    #: The identity (as the trust file names it) that runs this gate: its writer.
    executor: str | None = Field(default=None, min_length=1, max_length=200)
    #: The gate whose output this gate reviews: it needs a review approval from an identity that
    #: is neither that gate's executor nor the commit's author.
    reviews: GateId | None = None
    #: Gates whose failure triggers this gate's rollback (a deploy rolled back by a failing
    #: verification downstream).
    rollback_on: list[GateId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _strategy_is_complete(self) -> Gate:
        if not self.checks and not self.suites:
            raise ValueError("a gate needs at least one check or one suite")
        if self.coverage is not None and not self.suites:
            raise ValueError("coverage measures a gate's suites: give the gate suites")
        if self.on_failure == "retry" and self.retry is None:
            raise ValueError("on_failure: retry needs a retry block, e.g. retry: {attempts: 3}")
        if self.on_failure == "rollback" and self.rollback is None:
            raise ValueError(
                "on_failure: rollback needs a rollback block, e.g. rollback: {run: [...]}"
            )
        if self.rollback_on and self.rollback is None:
            raise ValueError("rollback_on needs a rollback block, e.g. rollback: {run: [...]}")
        if self.reviews is not None and self.reviews == self.id:
            raise ValueError(f"a gate cannot review itself, found reviews: '{self.reviews}'")
        for check in self.checks:
            unneeded = [gate for gate in check.reads if gate not in self.needs]
            if unneeded:
                raise ValueError(
                    f"check '{check.id}' reads gate '{unneeded[0]}', which gate '{self.id}' does "
                    f"not need; add it to needs, or remove it from reads"
                )
        if self.retry is not None or self.on_failure == "retry":
            for check in self.checks:
                if not check.idempotent:
                    raise ValueError(
                        f"check '{check.id}' is idempotent: false and cannot be retried; "
                        "remove the gate's retry or split the check into its own gate"
                    )
        return self


#: The :class:`Manifest` lookups kept by ``cached_property`` (dropped from a copy).
_CACHED: Final = ("_by_id", "_graph")


class Manifest(StrictModel):
    """The gate manifest (version 1): the gates a release must pass."""

    version: Literal[1]
    project: str = Field(min_length=1)
    generated: Generated | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    gates: list[Gate] = Field(min_length=1)
    #: How ``pytest-gates sync`` projects the gates into CI files, and what may be kept by hand.
    projection: ProjectionPolicy = Field(default_factory=ProjectionPolicy)
    #: What a release decision may rest on (bypass).
    policy: ReleasePolicy = Field(default_factory=ReleasePolicy)

    def needs(self) -> dict[str, list[str]]:
        """The needs graph: each gate's id -> the ids it needs, in manifest order."""
        return {gate.id: list(gate.needs) for gate in self.gates}

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Manifest:
        """A copy, without the lookups cached from this manifest's gates: pydantic copies the
        instance's ``__dict__``, where :func:`functools.cached_property` keeps them, so a copy
        with other gates (the runner's guard gate) would look them up in the old ones."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _CACHED:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def _by_id(self) -> dict[str, Gate]:
        by_id: dict[str, Gate] = {}
        for gate in self.gates:
            by_id.setdefault(gate.id, gate)
        return by_id

    @cached_property
    def _graph(self) -> tuple[dict[str, list[str]], list[str]]:
        return self.needs(), [gate.id for gate in self.gates]

    def upstream_of(self, gate_id: str) -> tuple[str, ...]:
        """Every gate ``gate_id`` needs, at any depth, in manifest order."""
        needs, ids = self._graph
        return upstream(gate_id, needs, ids)

    def gate(self, gate_id: str) -> Gate:
        """The (first) gate with this id; raises ``KeyError``."""
        return self._by_id[gate_id]

    def strategy(self, gate: Gate) -> Strategy:
        if gate.on_failure is not None:
            return gate.on_failure
        return "retry" if gate.retry is not None else self.defaults.on_failure

    def timeout(self, gate: Gate) -> float | None:
        return gate.timeout if gate.timeout is not None else self.defaults.timeout

    def read_gates(self, gate: Gate, *, ready: bool = True) -> set[str]:
        """The gates whose results ``gate``'s checks read: what a check's ``reads`` names, and
        (unless ``ready`` is False) for a READY check every gate ``gate`` needs, at any depth."""
        read: set[str] = set()
        for check in gate.checks:
            if check.kind == READY_KIND:
                if ready:
                    read.update(self.upstream_of(gate.id))
            else:
                read.update(check.reads)
        return read

    def judged_at_merge(self, gate: Gate) -> bool:
        """A READY gate that nothing depends on (no gate needs it, reads it or rolls back on
        it, and none of its checks must not run twice): on a CI shard its READY check is not
        judged, since the gates it audits may run on other shards; ``pytest-gates merge``
        audits the merged evidence instead. So it need not share a shard with them."""
        if not any(check.kind == READY_KIND for check in gate.checks) or self.runs_once(gate):
            return False
        return not any(
            gate.id in other.needs
            or gate.id in other.rollback_on
            or any(gate.id in check.reads for check in other.checks)
            for other in self.gates
        )

    @staticmethod
    def runs_once(gate: Gate) -> bool:
        """A step of ``gate`` must not run twice (``idempotent: false``: a build, a deploy)."""
        return any(not check.idempotent for check in gate.checks)

    def shard_reads(self, gate: Gate) -> set[str]:
        """The gates whose results ``gate`` reads in its own session: all it reads, except what
        a READY gate judged at merge audits (the merge reads those)."""
        return self.read_gates(gate, ready=not self.judged_at_merge(gate))

    def placed_with(self, gate: Gate) -> set[str]:
        """The gates that must run in ``gate``'s session (on its CI shard): the gates it reads
        there (:meth:`shard_reads`), and for a gate with a step that must not run twice
        (:meth:`runs_once`: a deploy, a publish) every gate upstream of it, so that it runs only
        where its needs are known to have passed, never on a shard that cannot know."""
        placed = self.shard_reads(gate)
        if self.runs_once(gate):
            placed.update(self.upstream_of(gate.id))
        return placed

    def degrade_limit(self, gate: Gate) -> int:
        """The most consecutive DEGRADED verdicts ``gate`` may have."""
        return (gate.degrade or self.defaults.degrade).max_consecutive

    def override_window(self, gate: Gate) -> float:
        """Seconds after a failure within which an override approval counts."""
        if gate.override_window is not None:
            return gate.override_window
        return self.defaults.override_window
