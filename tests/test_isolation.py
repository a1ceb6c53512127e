"""Tenant isolation, walked over the whole schema by introspection.

Workspace A holds one row of every node type. An admin of workspace B, by session or by
token, must not read, count, filter or change any of them, through any root field, node,
connection or mutation - including fields added later, which this suite discovers itself.
"""

import pytest

from tests.conftest import one_row_of_every_node_type
from tests.factories import JourneyMapFactory, StageFactory
from tests.graphql_helpers import OPERATION_INFO, gid
from tests.schema_walk import operation_for, root_fields, unwrap

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows_of_a(workspace) -> dict:
    """One row of every node type in workspace A, keyed by GraphQL type name."""
    return one_row_of_every_node_type(workspace)


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


def test_mutations_cannot_touch_another_workspace(rows_of_a, outsider):
    before = snapshot(rows_of_a)
    checked = []
    for field in root_fields("mutation"):
        selection = f"{{ __typename {OPERATION_INFO} }}"
        operation, variables, used = operation_for(
            "mutation", field, rows_of_a, selection=selection
        )
        if not used:
            continue  # creates nothing from A's rows
        payload = outsider(operation, variables).data[field["name"]]
        codes = {message["code"] for message in payload.get("messages", [])}
        assert payload["__typename"] == "OperationInfo", (field["name"], payload)
        assert codes == {"not_found"}, (field["name"], payload)
        checked.append(field["name"])
    expected = {"personaDelete", "stageMove", "stageCreate", "journeyMapDuplicate", "apiTokenRoll"}
    assert expected <= set(checked)
    assert snapshot(rows_of_a) == before


def test_optional_references_to_another_workspace_are_not_found(rows_of_a, outsider):
    query = (
        'mutation($persona: ID) { journeyMapCreate(input: {name: "X", persona: $persona})'
        f" {{ __typename {OPERATION_INFO} }} }}"
    )
    payload = outsider(query, {"persona": gid(rows_of_a["Persona"])}).data["journeyMapCreate"]
    assert [(m["field"], m["code"]) for m in payload["messages"]] == [("persona", "not_found")]
