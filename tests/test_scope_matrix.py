"""Every root field and mutation against every scope and every role.

A token holding every scope but the one a field declares is refused with that scope
named; a token holding only that scope gets through; a user gets through exactly when
their role includes the scope. Fields added later are covered without edits.
"""

import pytest

from config.schema import schema
from tests.conftest import _member_client, one_row_of_every_node_type, token_client
from tests.factories import UserFactory
from tests.schema_walk import operation_for, root_fields
from workspaces.access import Scope
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db

OPEN_FIELDS = {"me", "login", "logout"}


def declared_scopes() -> dict[tuple[str, str], Scope | None]:
    """(root, field name) -> the scope its @requires directive names."""
    declared = {}
    for root, root_type in (("query", schema.query), ("mutation", schema.mutation)):
        for field in root_type.__strawberry_definition__.fields:
            name = schema.config.name_converter.get_graphql_name(field)
            rules = [d for d in field.directives if type(d).__name__ == "Requires"]
            if rules:
                declared[(root, name)] = Scope(rules[0].scope) if rules[0].scope else None
    return declared


DECLARED = declared_scopes()
CASES = [
    (root, field)
    for root in ("query", "mutation")
    for field in root_fields(root)
    if field["name"] not in OPEN_FIELDS
]


def test_every_field_is_in_the_matrix():
    names = {(root, field["name"]) for root, field in CASES}
    assert names == set(DECLARED)


def denial_of(result, field_name: str) -> dict | None:
    """The field's denial, or None when the call went through without any error."""
    assert result.status == 200, result.body
    for error in result.errors:
        assert error.get("path", [None])[0] == field_name, error
        assert error["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}, error
        return error["extensions"]
    return None


@pytest.fixture
def rows(workspace):
    return one_row_of_every_node_type(workspace)


@pytest.fixture
def creator(workspace):
    user = UserFactory(username="token-creator")
    Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    return user


@pytest.mark.parametrize(
    ("root", "field"), CASES, ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_tokens_need_exactly_the_declared_scope(workspace, rows, creator, root, field):
    scope = DECLARED[(root, field["name"])]
    operation, variables, _ = operation_for(root, field, rows)
    if scope is None:
        anything = token_client(workspace, [Scope.ACCOUNTS_READ], creator)
        assert denial_of(anything(operation, variables), field["name"]) is None
        return
    lacking = token_client(workspace, [s for s in Scope if s is not scope], creator)
    denial = denial_of(lacking(operation, variables), field["name"])
    assert denial == {
        "code": "FORBIDDEN",
        "requiredScope": str(scope),
        "requiredRole": scope.role.value,
    }
    holding = token_client(workspace, [scope], creator)
    assert denial_of(holding(operation, variables), field["name"]) is None


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("root", "field"), CASES, ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_users_pass_when_their_role_includes_the_scope(workspace, rows, role, root, field):
    scope = DECLARED[(root, field["name"])]
    client = _member_client(workspace, role, f"user-{role}")
    operation, variables, _ = operation_for(root, field, rows)
    denial = denial_of(client(operation, variables), field["name"])
    allowed = scope is None or role.allows(scope.role)
    assert (denial is None) is allowed, denial
