from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pytest_gates.checks.schema import json_pointer, schema
from pytest_gates.errors import CheckError
from pytest_gates.model.findings import Finding, Location

GATES_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["gates"],
    "properties": {
        "gates": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z.]+$"},
                    "retry": {
                        "type": "object",
                        "properties": {
                            "attempts": {
                                "type": "integer",
                                "minimum": 1,
                                "description": "how often to try, the first attempt included",
                            }
                        },
                    },
                },
            },
        },
        "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}

VALID_YAML = """\
gates:
  - id: qa.lint
  - id: qa.types
    retry: {attempts: 3}
"""

INVALID_YAML = """\
gates:
  - id: qa.lint
  - id: qa.types
  - id: QA
  - id: qa.tests
    retry:
      attempts: zero
    colour: red
labels:
  a/b~c: x
"""


@pytest.fixture
def gates_schema(write):
    write("schemas/gates.json", json.dumps(GATES_SCHEMA, indent=2))


def test_valid_data_passes(run_check, write, gates_schema) -> None:
    write("data/a.yaml", VALID_YAML)
    write("data/b.json", json.dumps({"gates": [{"id": "x"}]}))
    write("data/c.toml", '[[gates]]\nid = "y"\n')
    result = run_check(schema, {"schema": "schemas/gates.json", "data": ["data/*"]})
    assert result.passed
    assert result.summary == "3 files valid against schemas/gates.json"
    assert result.findings == []
    assert result.details == {
        "schema": "schemas/gates.json",
        "files": 3,
        "invalid_files": 0,
        "errors": 0,
        "missing": [],
    }


def test_errors_are_located_by_pointer_and_line(run_check, write, gates_schema) -> None:
    write("data/gates.yaml", INVALID_YAML)
    result = run_check(schema, {"schema": "schemas/gates.json", "data": ["data/gates.yaml"]})
    assert not result.passed
    assert result.summary == "1 of 1 file invalid against schemas/gates.json (4 errors)"
    assert result.findings == [
        Finding(
            rule="schema.pattern",
            location=Location(path="data/gates.yaml", line=4, column=9, pointer="/gates/2/id"),
            message="'QA' does not match '^[a-z.]+$'",
        ),
        Finding(
            rule="schema.additionalProperties",
            location=Location(path="data/gates.yaml", line=5, column=5, pointer="/gates/3"),
            message="Additional properties are not allowed ('colour' was unexpected)",
        ),
        Finding(
            rule="schema.type",
            location=Location(
                path="data/gates.yaml", line=7, column=17, pointer="/gates/3/retry/attempts"
            ),
            message="'zero' is not of type 'integer'",
            fix_hint="how often to try, the first attempt included",
        ),
        Finding(
            rule="schema.type",
            location=Location(
                path="data/gates.yaml", line=10, column=10, pointer="/labels/a~1b~0c"
            ),
            message="'x' is not of type 'integer'",
        ),
    ]


def test_json_data_gets_lines_too(run_check, write, gates_schema) -> None:
    write("a.json", '{\n  "gates": [\n    {"id": "ok"},\n    {"name": "x"}\n  ]\n}\n')
    result = run_check(schema, {"schema": "schemas/gates.json", "data": ["a.json"]})
    assert [
        (f.rule, f.location.line, f.location.column, f.location.pointer) for f in result.findings
    ] == [
        ("schema.additionalProperties", 4, 5, "/gates/1"),
        ("schema.required", 4, 5, "/gates/1"),
    ]
    assert result.findings[1].message == "'id' is a required property"


def test_json_that_yaml_cannot_read_has_no_lines(run_check, write, gates_schema) -> None:
    write("tabs.json", '{\n\t"gates": [{"id": 5}]\n}\n')
    result = run_check(schema, {"schema": "schemas/gates.json", "data": ["tabs.json"]})
    assert [(f.rule, f.location.line, f.location.pointer) for f in result.findings] == [
        ("schema.type", None, "/gates/0/id"),
    ]


def test_toml_data_and_an_explicit_format(run_check, write, gates_schema) -> None:
    write("gates.conf", '[[gates]]\nid = "ok"\n[[gates]]\nretry = {attempts = 0}\n')
    result = run_check(
        schema, {"schema": "schemas/gates.json", "data": ["gates.conf"], "format": "toml"}
    )
    assert [(f.rule, f.location.line, f.location.pointer) for f in result.findings] == [
        ("schema.minimum", None, "/gates/1/retry/attempts"),
        ("schema.required", None, "/gates/1"),
    ]


def test_unparseable_data_and_unmatched_globs_are_findings(run_check, write, gates_schema) -> None:
    write("data/bad.yaml", "gates: [\n")
    write("data/ok.yaml", VALID_YAML)
    result = run_check(
        schema, {"schema": "schemas/gates.json", "data": ["data/*.yaml", "more/*.json"]}
    )
    assert not result.passed
    assert result.summary == (
        "1 of 2 files invalid against schemas/gates.json (1 error); 1 pattern matched nothing"
    )
    assert [(f.rule, f.location.path, f.location.line, f.message) for f in result.findings] == [
        (
            "schema.parse",
            "data/bad.yaml",
            2,
            "invalid YAML: expected the node content, but found '<stream end>'"
            " (while parsing a flow node)",
        ),
        ("schema.missing", "more/*.json", None, "no file matches 'more/*.json'"),
    ]


def test_an_invalid_schema_raises(run_check, write) -> None:
    write("s.yaml", "type: object\nproperties:\n  a: {type: strng}\n")
    write("d.yaml", "a: 1\n")
    with pytest.raises(CheckError) as info:
        run_check(schema, {"schema": "s.yaml", "data": ["d.yaml"]})
    assert str(info.value) == (
        "invalid JSON Schema in 's.yaml' at /properties/a/type:"
        " 'strng' is not valid under any of the given schemas"
    )


@pytest.mark.parametrize(
    ("files", "params", "message"),
    [
        ({}, {"schema": "none.json", "data": ["d.json"]}, "schema file not found: 'none.json'"),
        (
            {"s.txt": "{}"},
            {"schema": "s.txt", "data": ["d.json"]},
            "schema file 's.txt' must end in .json, .yaml or .yml",
        ),
        (
            {"s.json": "{"},
            {"schema": "s.json", "data": ["d.json"]},
            "schema file 's.json', line 1: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            {"s.json": "[]"},
            {"schema": "s.json", "data": ["d.json"]},
            "schema file 's.json' must hold an object, found list",
        ),
        (
            {"s.json": "{}", "d.ini": "[x]"},
            {"schema": "s.json", "data": ["d.ini"]},
            "cannot tell the format of 'd.ini' from its extension; set format: json, yaml or toml",
        ),
        (
            {"s.json": '{"$ref": "https://example.com/remote.json"}', "d.json": "{}"},
            {"schema": "s.json", "data": ["d.json"]},
            "the schema has a reference that cannot be resolved: "
            "Unresolvable: https://example.com/remote.json",
        ),
    ],
)
def test_a_broken_configuration_raises(run_check, write, files, params, message) -> None:
    for name, content in files.items():
        write(name, content)
    with pytest.raises(CheckError) as info:
        run_check(schema, params)
    assert str(info.value) == message


def test_relative_references_name_sibling_files(run_check, write) -> None:
    write(
        "schemas/main.yaml", "type: object\nproperties:\n  port: {$ref: 'defs.json#/$defs/port'}\n"
    )
    write("schemas/defs.json", '{"$defs": {"port": {"type": "integer", "maximum": 65535}}}')
    write("d.yaml", "port: 70000\n")
    result = run_check(schema, {"schema": "schemas/main.yaml", "data": ["d.yaml"]})
    assert [(f.rule, f.location.line, f.location.pointer, f.message) for f in result.findings] == [
        ("schema.maximum", 1, "/port", "70000 is greater than the maximum of 65535"),
    ]


def test_references_do_not_leave_the_rootdir(run_check, write) -> None:
    write("s.json", '{"$ref": "../../outside.json"}')
    write("d.json", "{}")
    with pytest.raises(CheckError, match="cannot be resolved"):
        run_check(schema, {"schema": "s.json", "data": ["d.json"]})


def test_params() -> None:
    params = schema.parse({"schema": "s.json", "data": ["a.yaml"]})
    assert params.schema_ == "s.json"
    assert schema.params(schema_="s.json", data=["a.yaml"]) == params
    with pytest.raises(ValidationError, match="at least 1 item"):
        schema.parse({"schema": "s.json", "data": []})
    with pytest.raises(ValidationError, match="'json', 'yaml' or 'toml'"):
        schema.parse({"schema": "s.json", "data": ["x"], "format": "ini"})


def test_json_pointer_escapes() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["gates", 3, "retry"]) == "/gates/3/retry"
    assert json_pointer(["a/b", "m~n"]) == "/a~1b/m~0n"


def test_a_reference_to_a_missing_sibling_raises(run_check, write) -> None:
    write("s.json", '{"$ref": "defs.json"}')
    write("d.json", "{}")
    with pytest.raises(CheckError) as info:
        run_check(schema, {"schema": "s.json", "data": ["d.json"]})
    assert str(info.value) == (
        "the schema has a reference that cannot be resolved: Unresolvable: defs.json"
    )
