"""Hostile input through every argument of the API, generated from the schema so that
fields added later are covered by themselves: a NUL character in every text, and
impossible offsets and years in every DateTime. Each must be a clear error with a code
(or, inside an ingestion batch, the rejection of its item) - never INTERNAL_ERROR."""

import pytest

from tests.conftest import one_row_of_every_node_type
from tests.schema_walk import TYPES, root_fields, type_literal, value_for

pytestmark = pytest.mark.django_db

MAX_DEPTH = 4
NUL_TEXT = "a\u0000b"
BAD_MOMENTS = (
    "2026-01-01T00:00:00+16:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
)


def leaf_paths(type_ref: dict, scalar: str, depth: int = 0):
    """Paths (lists of keys, "[]" for a list) to every `scalar` inside an input type."""
    kind = type_ref["kind"]
    if kind in ("NON_NULL", "LIST"):
        inner = leaf_paths(type_ref["ofType"], scalar, depth)
        yield from ((["[]", *path] if kind == "LIST" else path) for path in inner)
        return
    if kind == "SCALAR" and type_ref["name"] == scalar:
        yield []
    if kind != "INPUT_OBJECT" or depth > MAX_DEPTH:
        return
    for field in TYPES[type_ref["name"]]["inputFields"]:
        for path in leaf_paths(field["type"], scalar, depth + 1):
            yield [field["name"], *path]


def with_value(base, type_ref: dict, path: list, value, rows, field_name: str):
    """`base` (a value for the type) with `value` placed at `path`, filling what it needs."""
    if not path:
        return value
    while type_ref["kind"] == "NON_NULL":
        type_ref = type_ref["ofType"]
    if path[0] == "[]":
        inner = base[0] if isinstance(base, list) and base else None
        inner = (
            inner if inner is not None else value_for(type_ref["ofType"], "", field_name, rows, [])
        )
        return [with_value(inner, type_ref["ofType"], path[1:], value, rows, field_name)]
    fields = {f["name"]: f for f in TYPES[type_ref["name"]]["inputFields"]}
    current = dict(base or {})
    field = fields[path[0]]
    inner = current.get(path[0])
    if inner is None and len(path) > 1:
        inner = value_for(field["type"], path[0], field_name, rows, []) if path[1] != "[]" else []
    current[path[0]] = with_value(inner, field["type"], path[1:], value, rows, field_name)
    return current


def cases(scalar: str):
    """(root, field, argument, path) for every `scalar` reachable from a root argument."""
    for root in ("query", "mutation"):
        for field in root_fields(root):
            for arg in field["args"]:
                for path in leaf_paths(arg["type"], scalar):
                    yield pytest.param(
                        root, field, arg, path, id=f"{field['name']}.{arg['name']}.{'.'.join(path)}"
                    )


def call(client, rows, root, field, arg, path, value):
    required = [
        a for a in field["args"] if a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None
    ]
    arguments = {a["name"]: a for a in [*required, arg]}
    variables = {
        name: value_for(a["type"], name, field["name"], rows, []) for name, a in arguments.items()
    }
    variables[arg["name"]] = with_value(
        variables.get(arg["name"]), arg["type"], path, value, rows, field["name"]
    )
    declared = ", ".join(f"${n}: {type_literal(a['type'])}" for n, a in arguments.items())
    passed = ", ".join(f"{n}: ${n}" for n in arguments)
    document = f"{root}({declared}) {{ {field['name']}({passed}) {{ __typename }} }}"
    if _is_leaf(field["type"]):
        document = f"{root}({declared}) {{ {field['name']}({passed}) }}"
    return client(document, variables)


def _is_leaf(type_ref: dict) -> bool:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref["kind"] in ("SCALAR", "ENUM")


def codes(result) -> set[str]:
    return {(error.get("extensions") or {}).get("code") for error in result.errors}


@pytest.fixture
def rows(workspace):
    return one_row_of_every_node_type(workspace)


STRING_CASES = list(cases("String"))
DATETIME_CASES = list(cases("DateTime"))


def test_the_generated_cases_reach_the_inputs_of_the_api():
    # Guards the generator itself: it must find texts and times where we know they are.
    names = {case.id for case in STRING_CASES}
    assert {"personaCreate.input.name", "personas.filters.search"} <= names
    assert any(case.id.startswith("reportDefinitionCreate") for case in DATETIME_CASES)
    assert len(STRING_CASES) > 50


@pytest.mark.parametrize(("root", "field", "arg", "path"), STRING_CASES)
def test_a_nul_character_in_any_text_is_refused_with_a_code(
    admin_member, rows, root, field, arg, path
):
    result = call(admin_member, rows, root, field, arg, path, NUL_TEXT)
    assert result.status == 200
    assert "INVALID_CHARACTER" in codes(result), result.body
    assert "INTERNAL_ERROR" not in codes(result), result.body


@pytest.mark.parametrize("moment", BAD_MOMENTS)
@pytest.mark.parametrize(("root", "field", "arg", "path"), DATETIME_CASES)
def test_impossible_offsets_and_years_in_any_datetime_are_refused(
    admin_member, rows, root, field, arg, path, moment
):
    result = call(admin_member, rows, root, field, arg, path, moment)
    assert result.status == 200
    assert "INVALID_DATETIME" in codes(result), result.body
    assert "INTERNAL_ERROR" not in codes(result), result.body
