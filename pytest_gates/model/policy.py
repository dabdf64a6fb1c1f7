"""The projection policy: the manifest's ``projection:`` block, what sync writes and what people may
keep by hand in the files it writes.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

#: The jobs sync generates: one runs the gates (a matrix of shards when there are several), the
#: other always runs and decides; its name is the check a repository makes required.
GATES_JOB: Final = "gates"
RESULT_JOB: Final = "result"
RESULT_JOB_NAME: Final = "gate decision"
GENERATED_JOBS: Final = (GATES_JOB, RESULT_JOB)

#: Names of the generated steps; a step is known by its name.
STEP_CHECKOUT: Final = "check out"
STEP_PYTHON: Final = "set up python"
STEP_INSTALL: Final = "install"
STEP_GATES: Final = "run the gates"
STEP_UPLOAD: Final = "upload the gate outputs"
#: Continues the transition log from the last decision on the main branch.
STEP_RESTORE_LOG: Final = "restore the last decision's log"
#: Uploads the merged decision, the one the next run's log continues from.
STEP_UPLOAD_DECISION: Final = "upload the decision"
#: Uploads the durations file the merge appended the whole run to (to be committed).
STEP_UPLOAD_DURATIONS: Final = "upload the recorded durations"
STEP_DOWNLOAD: Final = "download the gate outputs"
STEP_VERIFY: Final = "verify the outputs"
STEP_MERGE: Final = "merge the shards"
STEP_PUBLISH: Final = "publish the report"
STEP_DECIDE: Final = "require GO"
#: Fixed steps of the decision job, outside the manifest: the manifest is its sources'
#: projection, the CI files are the manifest's.
STEP_GENERATE_CHECK: Final = "check the manifest against its sources"
STEP_SYNC_CHECK: Final = "check the CI files against the manifest"
#: Keyless signing: the decision's Statement attested with ``actions/attest``.
STEP_STATEMENT: Final = "prepare the decision statement"
STEP_ATTEST: Final = "attest the decision"
GENERATED_STEPS: Final = (
    STEP_CHECKOUT,
    STEP_PYTHON,
    STEP_INSTALL,
    STEP_RESTORE_LOG,
    STEP_GATES,
    STEP_UPLOAD,
    STEP_DOWNLOAD,
    STEP_GENERATE_CHECK,
    STEP_SYNC_CHECK,
    STEP_VERIFY,
    STEP_MERGE,
    STEP_UPLOAD_DECISION,
    STEP_UPLOAD_DURATIONS,
    STEP_PUBLISH,
    STEP_STATEMENT,
    STEP_ATTEST,
    STEP_DECIDE,
)
#: The steps whose ``run`` is a gate command: editing one changes what decides the release.
GATE_COMMAND_STEPS: Final = (
    STEP_GATES,
    STEP_GENERATE_CHECK,
    STEP_SYNC_CHECK,
    STEP_VERIFY,
    STEP_MERGE,
    STEP_DECIDE,
)

#: Places in the workflow where sync writes a pair of markers and keeps what is between them.
RegionName = Literal["jobs", "gates.steps", "result.steps"]
REGION_NAMES: Final[tuple[str, ...]] = ("jobs", "gates.steps", "result.steps")

#: Top-level workflow keys sync writes (``on`` and ``concurrency`` included); the others a person
#: may keep by hand when ``projection.allow.keys`` names them.
GENERATED_KEYS: Final = ("name", "on", "permissions", "concurrency", "jobs")

#: GitHub's own rule for job ids.
_JOB_ID: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"'{value}' is listed twice")
        seen.add(value)
    return values


def _hand_job(value: str) -> str:
    if value in GENERATED_JOBS:
        raise ValueError(f"'{value}' is a job that sync generates; name a job of your own")
    if not _JOB_ID.match(value):
        raise ValueError(
            f"expected a GitHub job id (letters, digits, '_' and '-', not starting with a digit "
            f"or '-'), found '{value}'"
        )
    return value


def _hand_step(value: str) -> str:
    if value in GENERATED_STEPS:
        raise ValueError(f"'{value}' is a step that sync generates; name a step of your own")
    if not value.strip():
        raise ValueError("expected the name or id of a step, found an empty string")
    return value


def _workflow_path(value: str) -> str:
    path = PurePosixPath(value)
    if path.parent != PurePosixPath(".github/workflows") or path.suffix not in {".yml", ".yaml"}:
        raise ValueError(
            f"expected a file in .github/workflows/ ending in .yml or .yaml, found '{value}'"
        )
    return value


def _relative_file(value: str) -> str:
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(f"expected a path relative to the project root, found '{value}'")
    if ".." in re.split(r"[/\\]", value) or not value.strip():
        raise ValueError(f"expected a path inside the project root, found '{value}'")
    return value


def _version_text(value: Any) -> Any:
    # YAML reads 3.10 as the float 3.1: refuse numbers rather than guess what was meant.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f'expected a quoted version such as "3.11", found the number {value!r} '
            f"(YAML reads 3.10 as 3.1)"
        )
    return value


def _hand_key(value: str) -> str:
    if value in GENERATED_KEYS and value != "concurrency":
        raise ValueError(
            f"'{value}' is a workflow key that sync generates; it cannot be kept by hand"
        )
    if not _JOB_ID.match(value):
        raise ValueError(f"expected a top-level workflow key such as 'env', found '{value}'")
    return value


HandJob = Annotated[str, AfterValidator(_hand_job)]
HandKey = Annotated[str, AfterValidator(_hand_key)]
HandStep = Annotated[str, AfterValidator(_hand_step)]


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HandEdits(PolicyModel):
    """What people may add by hand to the generated workflow, anywhere in it."""

    #: Ids of jobs kept by hand beside the generated ones; sync keeps them as written.
    jobs: Annotated[list[HandJob], AfterValidator(_unique)] = Field(default_factory=list)
    #: Names (or ids) of steps kept by hand inside the generated jobs; sync keeps them as written.
    steps: Annotated[list[HandStep], AfterValidator(_unique)] = Field(default_factory=list)
    #: Top-level workflow keys kept by hand (``env``, ``defaults``, or ``concurrency`` when
    #: ``projection.concurrency`` is false); sync keeps them as written.
    keys: Annotated[list[HandKey], AfterValidator(_unique)] = Field(default_factory=list)


class ToxProjection(PolicyModel):
    """The gate environments sync writes into a region of tox.ini."""

    #: The tox configuration file; only the generated region in it belongs to sync.
    path: Annotated[str, AfterValidator(_relative_file)] = "tox.ini"
    #: The package extras tox installs into each gate environment.
    extras: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]] = Field(
        default_factory=lambda: ["dev"]
    )


def _secret_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) or value.upper().startswith("GITHUB_"):
        raise ValueError(
            "expected the name of a repository secret (letters, digits and '_', not starting "
            f"with a digit or GITHUB_), found '{value}'"
        )
    return value


class SigningPolicy(PolicyModel):
    """How the generated workflow signs the decision and how its decision job verifies it.

    ``secret`` signs with the release key (``pytest-gates keygen``) kept as a repository secret;
    ``keyless`` attests the decision's in-toto Statement with ``actions/attest`` (Sigstore, through
    GitHub's OIDC token: no key to keep). Either, or both.
    """

    #: The repository secret holding the release key's private PEM; null: no key signs.
    secret: Annotated[str, AfterValidator(_secret_name)] | None = None
    #: The committed trust file the decision job verifies the signature with.
    trust: Annotated[str, AfterValidator(_relative_file)] = "manifests/trust.yaml"
    #: Attest the decision's Statement keyless with ``actions/attest``.
    keyless: bool = False

    @model_validator(mode="after")
    def _signs_somehow(self) -> SigningPolicy:
        if self.secret is None and not self.keyless:
            raise ValueError(
                "signing needs a secret (the repository secret with the release key), "
                "keyless: true, or both"
            )
        return self


class ProjectionPolicy(PolicyModel):
    """How the manifest is projected into CI files, and what may be maintained there by hand."""

    #: The GitHub Actions workflow sync writes.
    workflow: Annotated[str, AfterValidator(_workflow_path)] = ".github/workflows/gates.yml"
    #: Machines the gates are split over (``pytest --gates --gates-shard K/N``); 1 is one job.
    shards: int = Field(default=1, ge=1, le=256)
    #: The branch whose pushes run the gates (pull requests and the merge queue always do).
    branch: str = Field(default="main", min_length=1, pattern=r"^\S+$")
    #: The Python version of every job, as ``actions/setup-python`` reads it.
    python: Annotated[str, BeforeValidator(_version_text), Field(min_length=1)] = "3.11"
    #: The runner label of every job.
    runs_on: str = Field(default="ubuntu-latest", min_length=1)
    #: The command each job installs the project and its gate tools with.
    install: str = Field(default="python -m pip install -e '.[dev]'", min_length=1)
    #: The tox gate environments; ``null`` leaves tox.ini alone.
    tox: ToxProjection | None = Field(default_factory=ToxProjection)
    #: Jobs and steps that may be added by hand.
    allow: HandEdits = Field(default_factory=HandEdits)
    #: How CI signs the decision; null: the decision is not signed in CI.
    signing: SigningPolicy | None = None
    #: Marked regions of the workflow whose content is kept by hand and never drift.
    manual_regions: Annotated[list[RegionName], AfterValidator(_unique)] = Field(
        default_factory=list
    )
    #: Continue the transition log from the last successful decision on ``branch``
    #: (``pytest --gates --gates-log-from``); the first run, with no earlier decision, starts it.
    restore_log: bool = True
    #: One run per workflow and ref at a time; a newer push cancels a pull request's older run.
    concurrency: bool = True
    #: Cache pip's downloads between runs (``actions/setup-python`` with ``cache: pip``).
    pip_cache: bool = True

    @model_validator(mode="after")
    def _concurrency_once(self) -> ProjectionPolicy:
        if self.concurrency and "concurrency" in self.allow.keys:
            raise ValueError(
                "allow.keys lists 'concurrency', which sync generates while concurrency is true; "
                "set concurrency: false to keep a group of your own"
            )
        return self
