"""The ``schema`` kind: data files (JSON, YAML, TOML) are valid against a JSON Schema."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import jsonschema
import yaml
from jsonschema.protocols import Validator
from pydantic import ConfigDict, Field
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import specification_with

from pytest_gates.checks.api import CheckContext, CheckParams, CheckResult, check_kind
from pytest_gates.checks.files import DataFormat, ParseFailed, load_data, outside_findings
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location, sorted_findings
from pytest_gates.support.paths import RelPath, expand_confined, outside_root, plural

_EXTENSIONS: Final[dict[str, DataFormat]] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
}


class SchemaParams(CheckParams):
    """Parameters of ``schema``."""

    model_config = ConfigDict(populate_by_name=True)

    #: The JSON Schema file (``.json``, ``.yaml`` or ``.yml``), relative to the rootdir.
    schema_: RelPath = Field(alias="schema")
    #: Paths or globs of the data files to validate.
    data: list[RelPath] = Field(min_length=1)
    #: The data files' format; by default taken from each file's extension.
    format: DataFormat | None = None


def json_pointer(path: Iterable[str | int]) -> str:
    """RFC 6901: ``/gates/3/retry``, with ``~`` and ``/`` in keys escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def position(root: yaml.Node | None, path: Sequence[str | int]) -> tuple[int, int] | None:
    """The 1-based line and column of ``path`` in a composed YAML tree.

    Stops at the deepest part of the path that the tree has.
    """
    if root is None:
        return None
    node: yaml.Node = root
    mark = root.start_mark
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(
                (
                    (key, value)
                    for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                ),
                None,
            )
            if pair is None:
                break
            key, node = pair
            # A value on its key's line is pointed at; a block below it, by its key.
            same_line = node.start_mark.line == key.start_mark.line
            mark = node.start_mark if same_line else key.start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def _compose(raw: bytes) -> yaml.Node | None:
    try:
        return yaml.compose(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        # Valid JSON that PyYAML cannot read (YAML 1.1 is not a strict superset): no lines.
        return None


def _data_format(params: SchemaParams, path: Path, relative: str) -> DataFormat:
    if params.format is not None:
        return params.format
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise CheckError(
            f"cannot tell the format of '{relative}' from its extension; "
            "set format: json, yaml or toml"
        )
    return fmt


def load_validator(path: Path, relative: str, rootdir: Path) -> Validator:
    """The validator for the schema file, after checking that the schema itself is valid."""
    if not path.is_file():
        raise CheckError(f"schema file not found: '{relative}'")
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt not in ("json", "yaml"):
        raise CheckError(f"schema file '{relative}' must end in .json, .yaml or .yml")
    try:
        schema = load_data(fmt, path.read_bytes())
    except ParseFailed as exc:
        line = f", line {exc.problem.line}" if exc.problem.line else ""
        raise CheckError(f"schema file '{relative}'{line}: {exc.problem.message}") from None
    if not isinstance(schema, dict):
        found = type(schema).__name__
        raise CheckError(f"schema file '{relative}' must hold an object, found {found}")
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = json_pointer(exc.absolute_path) or "/"
        raise CheckError(f"invalid JSON Schema in '{relative}' at {where}: {exc.message}") from None
    spec = specification_with(str(cls.META_SCHEMA.get("$schema", "")))

    def retrieve(uri: str) -> Resource[Any]:
        # Relative references name sibling files; nothing is fetched from the network.
        target = (path.parent / uri).resolve()
        if urlsplit(uri).scheme or not target.is_relative_to(rootdir.resolve()):
            raise NoSuchResource(uri)
        try:
            ref_fmt = _EXTENSIONS.get(target.suffix.lower(), "json")
            contents = load_data(ref_fmt, target.read_bytes())
        except (OSError, ParseFailed):
            raise NoSuchResource(uri) from None
        return Resource.from_contents(contents, default_specification=spec)

    # mypy does not see the attrs alias "retrieve" of Registry._retrieve.
    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return cls(schema, registry=registry)


@check_kind("schema", params=SchemaParams, idempotent=True)
def schema(params: SchemaParams, ctx: CheckContext) -> CheckResult:
    """Data files are valid against a JSON Schema."""
    outside = outside_root(ctx.rootdir, params.schema_.replace("\\", "/"))
    if outside is not None:
        raise CheckError(f"schema file {outside.message()}")
    validator = load_validator(ctx.resolve(params.schema_), params.schema_, ctx.rootdir)
    expansion = expand_confined(ctx.rootdir, params.data)
    matched, unmatched = expansion.files, expansion.empty
    refused = outside_findings(expansion.outside)
    findings = refused + [
        Finding(
            rule="schema.missing",
            location=Location(path=match.pattern),
            message=match.missing_message(),
            fix_hint="create the file, or correct the path or pattern",
        )
        for match in unmatched
    ]
    invalid = 0
    for name, path in matched:
        found = _file_findings(validator, path, name, _data_format(params, path, name))
        invalid += bool(found)
        findings += found
    errors = len(findings) - len(unmatched) - len(refused)
    if findings:
        summary = (
            f"{invalid} of {plural(len(matched), 'file')} invalid against {params.schema_}"
            f" ({plural(errors, 'error')})"
        )
        if unmatched:
            summary += f"; {plural(len(unmatched), 'pattern')} matched nothing"
        if refused:
            summary += f"; {plural(len(refused), 'path')} outside the project"
    else:
        summary = f"{plural(len(matched), 'file')} valid against {params.schema_}"
    return CheckResult(
        passed=not findings,
        summary=summary,
        findings=sorted_findings(findings),
        details={
            "schema": params.schema_,
            "files": len(matched),
            "invalid_files": invalid,
            "errors": errors,
            "missing": [match.pattern for match in unmatched],
            **({"outside": [out.name for out in expansion.outside]} if expansion.outside else {}),
        },
    )


def _path_key(error: jsonschema.ValidationError) -> tuple[tuple[int, int, str], ...]:
    # Indexes sort as numbers, so /gates/2 comes before /gates/10.
    return tuple(
        (0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.absolute_path
    )


def _file_findings(
    validator: Validator, path: Path, relative: str, fmt: DataFormat
) -> list[Finding]:
    raw = path.read_bytes()
    try:
        data = load_data(fmt, raw)
    except ParseFailed as exc:
        problem = exc.problem
        return [
            Finding(
                rule="schema.parse",
                location=Location(path=relative, line=problem.line, column=problem.column),
                message=problem.message,
            )
        ]
    try:
        errors = sorted(
            validator.iter_errors(data), key=lambda e: (_path_key(e), str(e.validator), e.message)
        )
    except Unresolvable as exc:
        raise CheckError(f"the schema has a reference that cannot be resolved: {exc}") from None
    root = _compose(raw) if fmt in ("json", "yaml") else None
    findings = []
    for error in errors:
        where = position(root, list(error.absolute_path))
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        findings.append(
            Finding(
                rule=f"schema.{error.validator}",
                location=Location(
                    path=relative,
                    line=where[0] if where else None,
                    column=where[1] if where else None,
                    pointer=json_pointer(error.absolute_path),
                ),
                message=error.message,
                fix_hint=description if isinstance(description, str) else None,
            )
        )
    return findings
