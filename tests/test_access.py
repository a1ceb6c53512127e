"""Who may do what: sessions, CSRF, workspace selection and roles."""

import json

import pytest
from django.test import Client

from tests.conftest import GraphQLClient
from tests.factories import MembershipFactory, PersonaFactory, UserFactory, WorkspaceFactory
from tests.graphql_helpers import run
from workspaces.models import Role

pytestmark = pytest.mark.django_db

ME = "{ me { username workspace { slug role } memberships { slug role } } }"
CREATE_PERSONA = 'mutation { personaCreate(input: {key: "cfo", name: "CFO"}) { __typename } }'


def test_login_me_and_logout_with_csrf(workspace):
    user = UserFactory(username="ann")
    MembershipFactory(workspace=workspace, user=user, role=Role.VIEWER)
    browser = Client(enforce_csrf_checks=True)
    # Any GET of /graphql/ hands out the CSRF cookie.
    assert browser.get("/graphql/", {"query": "{ me { username } }"}).status_code == 200
    token = browser.cookies["csrftoken"].value

    def post(query, csrf=True, **variables):
        headers = {"X-CSRFToken": token} if csrf else {}
        return browser.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
            headers=headers,
        )

    login = 'mutation($p: String!) { login(username: "ann", password: $p) { username } }'
    assert post(login, csrf=False, p="secret-pass").status_code == 403
    wrong = post(login, p="nope").json()
    assert wrong["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert post(login, p="secret-pass").json() == {"data": {"login": {"username": "ann"}}}
    token = browser.cookies["csrftoken"].value  # rotated on login
    assert post(ME).json()["data"]["me"] == {
        "username": "ann",
        "workspace": {"slug": "acme", "role": "VIEWER"},
        "memberships": [{"slug": "acme", "role": "VIEWER"}],
    }
    assert post("mutation { logout }").json() == {"data": {"logout": True}}
    assert post(ME).json() == {"data": {"me": None}}


def test_anonymous_callers_are_told_to_authenticate(anonymous):
    result = anonymous("{ personas { totalCount } }")
    assert result.body["data"] is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous(CREATE_PERSONA).errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_viewers_read_but_do_not_write(viewer, workspace):
    PersonaFactory(workspace=workspace)
    assert viewer("{ personas { totalCount } }").data == {"personas": {"totalCount": 1}}
    error = viewer(CREATE_PERSONA).errors[0]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "requiredScope": "journeys:write",
        "requiredRole": "editor",
    }
    assert "viewer" in error["message"]


@pytest.mark.parametrize("client_fixture", ["editor", "admin_member"])
def test_editors_and_admins_write(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    payload = run(client, "personaCreate", "Persona", "key", {"key": "cfo", "name": "CFO"})
    assert payload == {"__typename": "Persona", "key": "cfo"}


def test_members_of_several_workspaces_name_one_in_a_header(workspace, other_workspace):
    user = UserFactory(username="multi")
    MembershipFactory(workspace=workspace, user=user, role=Role.VIEWER)
    MembershipFactory(workspace=other_workspace, user=user, role=Role.EDITOR)
    PersonaFactory(workspace=workspace, name="Acme persona")
    PersonaFactory(workspace=other_workspace, name="Globex persona")
    client = Client()
    client.force_login(user)
    gql = GraphQLClient(client)
    names = "{ personas { edges { node { name } } } }"

    unselected = gql(names)
    assert unselected.errors[0]["extensions"]["code"] == "NO_WORKSPACE"
    assert "X-Workspace" in unselected.errors[0]["message"]
    acme = gql(names, **{"X-Workspace": "acme"}).data["personas"]["edges"]
    assert acme == [{"node": {"name": "Acme persona"}}]
    globex = gql(names, **{"X-Workspace": "globex"}).data["personas"]["edges"]
    assert globex == [{"node": {"name": "Globex persona"}}]
    me = gql(ME, **{"X-Workspace": "globex"}).data["me"]
    assert me["workspace"] == {"slug": "globex", "role": "EDITOR"}
    # The role is the one held in the named workspace.
    assert gql(CREATE_PERSONA, **{"X-Workspace": "acme"}).errors[0]["extensions"]["code"] == (
        "FORBIDDEN"
    )


def test_a_workspace_the_user_does_not_belong_to_is_not_found(editor):
    WorkspaceFactory(slug="secret")
    result = editor("{ personas { totalCount } }", **{"X-Workspace": "secret"})
    assert result.errors[0]["extensions"]["code"] == "NO_WORKSPACE"
    assert "'secret' not found" in result.errors[0]["message"]


def test_users_without_membership_have_no_workspace(db):
    client = Client()
    client.force_login(UserFactory(username="loner"))
    result = GraphQLClient(client)("{ journeyMaps { totalCount } }")
    assert result.errors[0]["extensions"]["code"] == "NO_WORKSPACE"
    assert GraphQLClient(client)(ME).data["me"]["workspace"] is None


def test_every_field_and_mutation_declares_who_may_use_it():
    from config.schema import schema

    open_fields = {"me", "login", "logout"}
    for root in (schema.query, schema.mutation):
        for field in root.__strawberry_definition__.fields:
            name = field.graphql_name or field.name
            declared = [d for d in field.directives if type(d).__name__ == "Requires"]
            assert declared or name in open_fields, f"{name} declares no access rule"


def test_no_input_lets_a_client_set_workspace_role_or_creator():
    from tests.schema_walk import TYPES, unwrap

    forbidden = {"workspace", "createdBy", "user", "token"}
    for type_ in TYPES.values():
        if type_["kind"] == "INPUT_OBJECT":
            names = {field["name"] for field in type_["inputFields"]}
            assert not names & forbidden, (type_["name"], names & forbidden)
            # A persona's `role` is a job title; a workspace Role is never an input.
            types = {unwrap(field["type"])["name"] for field in type_["inputFields"]}
            assert "Role" not in types, type_["name"]
