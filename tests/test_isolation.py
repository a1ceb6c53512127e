"""Tenant isolation, walked over the whole schema by introspection.

Workspace A holds one row of every node type. An admin of workspace B, by session or by
token, must not read, count, filter or change any of them, through any root field, node,
connection or mutation - including fields added later, which this suite discovers itself.
"""

import pytest

from config.schema import schema
from journeys.models import StageMilestone, StageTouchpoint
from tests.factories import (
    JourneyMapFactory,
    MilestoneFactory,
    StageFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import OPERATION_INFO, gid
from workspaces.token_services import api_token_create

pytestmark = pytest.mark.django_db

INTROSPECTION = schema.introspect()["__schema"]
TYPES = {item["name"]: item for item in INTROSPECTION["types"]}
NODE_TYPES = {
    item["name"]
    for item in INTROSPECTION["types"]
    if any(iface["name"] == "Node" for iface in item.get("interfaces") or [])
}


def unwrap(type_ref: dict) -> dict:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref


def root_fields(root: str) -> list[dict]:
    return TYPES[INTROSPECTION[f"{root}Type"]["name"]]["fields"]


@pytest.fixture
def rows_of_a(workspace) -> dict:
    """One row of every node type in workspace A, keyed by GraphQL type name."""
    stage = StageFactory(journey_map=JourneyMapFactory(workspace=workspace), position=1)
    touchpoint = TouchpointFactory(workspace=workspace)
    milestone = MilestoneFactory(workspace=workspace)
    placement = StageTouchpoint.objects.create(
        workspace=workspace, stage=stage, touchpoint=touchpoint, position=1
    )
    StageMilestone.objects.create(
        workspace=workspace, journey_map=stage.journey_map, stage=stage, milestone=milestone
    )
    rows = {
        "JourneyMap": stage.journey_map,
        "Persona": stage.journey_map.persona,
        "Stage": stage,
        "Touchpoint": touchpoint,
        "Milestone": milestone,
        "StageTouchpoint": placement,
    }
    rows["ApiToken"] = api_token_create(
        workspace=workspace, created_by=None, name="crm", scopes=["journeys:read"]
    ).token
    missing = NODE_TYPES - set(rows)
    assert not missing, f"add a row of {missing} to this fixture"
    return rows


def snapshot(rows: dict) -> dict:
    return {
        name: type(row).objects.filter(pk=row.pk).values().first() for name, row in rows.items()
    }


def test_connections_show_nothing_of_another_workspace(rows_of_a, admin_member, outsider):
    ids_of_a = {gid(row) for row in rows_of_a.values()}
    connections = [
        field["name"]
        for field in root_fields("query")
        if unwrap(field["type"])["name"].endswith("Connection")
    ]
    assert connections
    for name in connections:
        query = f"{{ {name} {{ totalCount edges {{ node {{ id }} }} }} }}"
        assert admin_member(query).data[name]["totalCount"] >= 1, name
        seen = outsider(query).data[name]
        ids = {edge["node"]["id"] for edge in seen["edges"]}
        assert not ids & ids_of_a, name
        # Whatever B sees is B's own (its own token, for instance), and counted as such.
        assert seen["totalCount"] == len(ids), name


def test_filters_cannot_reach_another_workspace(rows_of_a, outsider):
    journey_map = rows_of_a["JourneyMap"]
    query = "query($id: ID!) { journeyMaps(filters: {persona: $id}) { totalCount } }"
    result = outsider(query, {"id": gid(journey_map.persona)})
    assert result.data["journeyMaps"]["totalCount"] == 0
    query = "query($id: ID!) { stages(filters: {journeyMap: $id}) { totalCount } }"
    assert outsider(query, {"id": gid(journey_map)}).data["stages"]["totalCount"] == 0


def test_single_row_fields_and_node_answer_null(rows_of_a, admin_member, outsider):
    single_fields = [
        field for field in root_fields("query") if any(arg["name"] == "id" for arg in field["args"])
    ]
    assert {field["name"] for field in single_fields} >= {"node", "journeyMap", "stage"}
    for field in single_fields:
        type_name = unwrap(field["type"])["name"]
        targets = rows_of_a if type_name == "Node" else {type_name: rows_of_a[type_name]}
        for row in targets.values():
            query = f'{{ {field["name"]}(id: "{gid(row)}") {{ id }} }}'
            assert admin_member(query).data[field["name"]] == {"id": gid(row)}, query
            assert outsider(query).data[field["name"]] is None, query


def test_nested_relations_do_not_leak(rows_of_a, outsider, other_workspace):
    # B's own map cannot be pointed at A's rows, so nested reads stay in B.
    own = StageFactory(journey_map=JourneyMapFactory(workspace=other_workspace), position=1)
    query = (
        "query($id: ID!) { journeyMap(id: $id) { persona { id }"
        " stages { touchpoints { id } milestones { id } } }"
        " personas { edges { node { journeyMaps { id } } } } }"
    )
    data = outsider(query, {"id": gid(own.journey_map)}).data
    assert data["journeyMap"]["stages"] == [{"touchpoints": [], "milestones": []}]
    seen = {edge["node"]["journeyMaps"][0]["id"] for edge in data["personas"]["edges"]}
    assert seen == {gid(own.journey_map)}


def _node_type_for(name: str, prefix_of: str | None = None) -> str | None:
    """The node type an argument refers to, from its name (`persona`, `milestones`, `id`)."""
    if name == "id" and prefix_of is not None:
        matches = [
            t
            for t in NODE_TYPES
            if prefix_of.lower().startswith(t.lower()) and prefix_of[len(t) : len(t) + 1].isupper()
        ]
        return max(matches, key=len) if matches else None
    candidate = name[0].upper() + name[1:]
    for option in (candidate, candidate.removesuffix("s")):
        if option in NODE_TYPES:
            return option
    return None


def _value_for(type_ref: dict, name: str, mutation: str, rows: dict, used: list):
    """A value for a required argument that points at workspace A wherever it can."""
    kind = type_ref["kind"]
    if kind == "NON_NULL":
        return _value_for(type_ref["ofType"], name, mutation, rows, used)
    if kind == "LIST":
        return [_value_for(type_ref["ofType"], name, mutation, rows, used)]
    type_name = type_ref["name"]
    if type_name == "ID":
        node_type = _node_type_for(name, mutation)
        used.append(node_type)
        return gid(rows[node_type])
    if kind == "INPUT_OBJECT":
        return {
            field["name"]: _value_for(field["type"], field["name"], mutation, rows, used)
            for field in TYPES[type_name]["inputFields"]
            if field["type"]["kind"] == "NON_NULL" and field["defaultValue"] is None
        }
    if kind == "ENUM":
        return TYPES[type_name]["enumValues"][0]["name"]
    return {"String": "x", "Int": 1, "Boolean": False, "Decimal": "1"}[type_name]


def _type_literal(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return _type_literal(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return f"[{_type_literal(type_ref['ofType'])}]"
    return type_ref["name"]


def mutations_touching_existing_rows(rows: dict):
    for field in root_fields("mutation"):
        used: list = []
        variables = {
            arg["name"]: _value_for(arg["type"], arg["name"], field["name"], rows, used)
            for arg in field["args"]
        }
        if used:
            yield field, variables


def test_mutations_cannot_touch_another_workspace(rows_of_a, outsider):
    before = snapshot(rows_of_a)
    checked = []
    for field, variables in mutations_touching_existing_rows(rows_of_a):
        declared = ", ".join(
            f"${arg['name']}: {_type_literal(arg['type'])}" for arg in field["args"]
        )
        passed = ", ".join(f"{arg['name']}: ${arg['name']}" for arg in field["args"])
        selection = f"{{ __typename {OPERATION_INFO} }}"
        query = f"mutation({declared}) {{ {field['name']}({passed}) {selection} }}"
        payload = outsider(query, variables).data[field["name"]]
        codes = {message["code"] for message in payload.get("messages", [])}
        assert payload["__typename"] == "OperationInfo", (field["name"], payload)
        assert codes == {"not_found"}, (field["name"], payload)
        checked.append(field["name"])
    assert {"personaDelete", "stageMove", "stageCreate", "journeyMapDuplicate"} <= set(checked)
    assert snapshot(rows_of_a) == before


def test_optional_references_to_another_workspace_are_not_found(rows_of_a, outsider):
    query = (
        'mutation($persona: ID) { journeyMapCreate(input: {name: "X", persona: $persona})'
        f" {{ __typename {OPERATION_INFO} }} }}"
    )
    payload = outsider(query, {"persona": gid(rows_of_a["Persona"])}).data["journeyMapCreate"]
    assert [(m["field"], m["code"]) for m in payload["messages"]] == [("persona", "not_found")]
