"""Bad input that used to be masked as INTERNAL_ERROR: each a clear answer now."""

import pytest
from strawberry import relay

from journeys.models import Milestone, Persona
from tests.factories import PersonaFactory
from tests.graphql_helpers import gid

pytestmark = pytest.mark.django_db

NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.mark.parametrize("raw", ["Persona:abc", "Persona:", "NoSuchType:1", ":1", "Persona:-1"])
def test_node_with_an_id_of_no_row_kind_is_invalid_id(editor, raw):
    type_name, _, node_id = raw.partition(":")
    result = editor(NODE, {"id": relay.to_base64(type_name, node_id)})
    assert result.body["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in result.errors] == ["INVALID_ID"]


def test_node_with_an_id_of_no_existing_row_is_null(editor, workspace):
    persona = PersonaFactory(workspace=workspace)
    assert editor(NODE, {"id": gid(persona)}).data == {"node": {"id": gid(persona)}}
    assert editor(NODE, {"id": relay.to_base64("Persona", 999999)}).data == {"node": None}


def test_explicit_nulls_on_optional_texts_are_stored_empty(editor):
    result = editor(
        """mutation {
          milestoneCreate(input: {key: "won", name: "Won", description: null}) { __typename }
          personaCreate(input: {key: "ops", name: "Ops", revenueBand: null}) { __typename }
        }"""
    )
    assert result.data == {
        "milestoneCreate": {"__typename": "Milestone"},
        "personaCreate": {"__typename": "Persona"},
    }
    assert Milestone.objects.get().description == ""
    assert Persona.objects.get().revenue_band == ""


def test_a_null_for_a_required_text_is_a_field_error(editor, workspace):
    persona = PersonaFactory(workspace=workspace)
    result = editor(
        """mutation($id: ID!) { personaUpdate(input: {id: $id, name: null}) {
          __typename ... on OperationInfo { messages { field code } } } }""",
        {"id": gid(persona)},
    )
    assert result.data["personaUpdate"] == {
        "__typename": "OperationInfo",
        "messages": [{"field": "name", "code": "blank"}],
    }


def test_a_huge_spend_amount_is_out_of_range(editor):
    result = editor(
        """mutation { spendCreate(input: {campaign: "c", periodStart: "2026-01-01",
          periodEnd: "2026-01-31", amount: "1e40"}) {
          __typename ... on OperationInfo { messages { field code } } } }"""
    )
    assert result.data["spendCreate"] == {
        "__typename": "OperationInfo",
        "messages": [{"field": "amount", "code": "invalid"}],
    }


def test_fields_after_logout_in_the_same_document_act_logged_out(editor, workspace):
    persona = PersonaFactory(workspace=workspace)
    result = editor(
        'mutation($p: ID!) { logout journeyMapCreate(input: {name: "x", persona: $p}) '
        "{ __typename } }",
        {"p": gid(persona)},
    )
    assert result.body["data"] is None or result.body["data"]["logout"] is True
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]
