"""API tokens: storage, authentication, the uniform 401, expiry, revocation, rolling,
pepper rotation, last-use throttling, IP ranges and the token's power."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import GraphQLClient, token_client
from tests.factories import MembershipFactory, PersonaFactory, UserFactory
from tests.graphql_helpers import gid, messages, run
from workspaces import token_services, tokens
from workspaces.access import Scope
from workspaces.models import ApiToken, Role

pytestmark = pytest.mark.django_db

COUNT = "{ personas { totalCount } }"


def post(raw_authorization: str | None, query: str = COUNT, **extra):
    headers = {"Authorization": raw_authorization} if raw_authorization is not None else {}
    return Client(**extra).post(
        "/graphql/",
        json.dumps({"query": query}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def creator(workspace):
    user = UserFactory(username="integrator")
    MembershipFactory(workspace=workspace, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def crm(workspace, creator):
    return token_client(workspace, [Scope.JOURNEYS_READ, Scope.JOURNEYS_WRITE], creator)


def test_token_format_and_only_the_hmac_is_stored(workspace, creator):
    issued = token_services.api_token_create(
        workspace=workspace, created_by=creator, name="CRM", scopes=["journeys:read"]
    )
    plaintext = issued.plaintext
    assert plaintext.startswith(f"wmk_{issued.token.key_id}_")
    assert len(plaintext) == len("wmk_") + 16 + 1 + 40 + 6
    parts = tokens.parse_token(plaintext)
    stored = ApiToken.objects.filter(pk=issued.token.pk).values().get()
    assert parts.secret not in json.dumps(stored, default=str)
    expected = hmac.new(
        tokens.settings.API_TOKEN_PEPPERS[stored["pepper_id"]].encode(),
        parts.secret.encode(),
        hashlib.sha256,
    ).hexdigest()
    assert stored["secret_hash"] == expected


def test_a_valid_token_reads_its_workspace(crm, workspace):
    PersonaFactory(workspace=workspace)
    result = crm(COUNT)
    assert result.status == 200
    assert result.data == {"personas": {"totalCount": 1}}


def _tampered(plaintext: str) -> str:
    """A well-formed token with a valid checksum but a wrong secret."""
    parts = tokens.parse_token(plaintext)
    return tokens.format_token(tokens.TokenParts(parts.key_id, "x" * 40))


def _bad_checksum(plaintext: str) -> str:
    return plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")


def _unknown_key(plaintext: str) -> str:
    return tokens.format_token(tokens.TokenParts("0" * 16, tokens.new_secret()))


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda t: f"Bearer {t}", id="valid-but-expired-by-setup"),
        pytest.param(lambda t: "Bearer wmk_nonsense", id="malformed"),
        pytest.param(lambda t: f"Bearer {_bad_checksum(t)}", id="checksum"),
        pytest.param(lambda t: f"Bearer {_tampered(t)}", id="wrong-secret"),
        pytest.param(lambda t: f"Bearer {_unknown_key(t)}", id="unknown-key"),
        pytest.param(lambda t: f"Basic {t}", id="wrong-scheme"),
        pytest.param(lambda t: "Bearer ", id="empty"),
    ],
)
def test_every_bad_token_gets_the_same_401(crm, make_header):
    ApiToken.objects.filter(pk=crm.token.pk).update(expires_at=timezone.now())
    response = post(make_header(crm.plaintext))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="waymark"'
    assert response.json() == {
        "errors": [
            {
                "message": "Invalid, expired or revoked API token; send it as "
                "'Authorization: Bearer <token>'.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


def test_malformed_tokens_are_refused_without_a_database_query(crm):
    with CaptureQueriesContext(connection) as captured:
        assert post(f"Bearer {_bad_checksum(crm.plaintext)}").status_code == 401
        assert post("Bearer wmk_123").status_code == 401
    assert [q for q in captured.captured_queries if "apitoken" in q["sql"]] == []


def test_expired_and_revoked_tokens(crm, workspace, admin_member):
    ApiToken.objects.filter(pk=crm.token.pk).update(
        expires_at=timezone.now() + timedelta(seconds=30)
    )
    assert crm(COUNT).status == 200
    ApiToken.objects.filter(pk=crm.token.pk).update(expires_at=timezone.now())
    assert crm(COUNT).status == 401
    ApiToken.objects.filter(pk=crm.token.pk).update(expires_at=None)
    revoked = run(
        admin_member,
        "apiTokenRevoke",
        "ApiToken",
        "isActive revokedAt",
        gid(crm.token),
        arg="id",
        arg_type="ID!",
    )
    assert revoked["isActive"] is False
    assert revoked["revokedAt"]
    assert crm(COUNT).status == 401
    again = run(
        admin_member, "apiTokenRevoke", "ApiToken", "id", gid(crm.token), arg="id", arg_type="ID!"
    )
    assert messages(again) == [(None, "invalid_transition")]


def test_roll_keeps_the_old_secret_for_the_grace_period(crm, admin_member):
    rolled = run(
        admin_member,
        "apiTokenRoll",
        "IssuedApiToken",
        "secret token { prefix }",
        {"id": gid(crm.token), "graceHours": 2},
    )
    new = GraphQLClient(Client(), headers={"Authorization": f"Bearer {rolled['secret']}"})
    assert rolled["token"]["prefix"] == crm.token.prefix
    assert rolled["secret"] != crm.plaintext
    assert new(COUNT).status == 200
    assert crm(COUNT).status == 200  # the old secret, within the grace period
    ApiToken.objects.filter(pk=crm.token.pk).update(
        previous_valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert crm(COUNT).status == 401
    assert new(COUNT).status == 200


def test_roll_without_grace_and_its_bounds(crm, admin_member):
    payload = run(
        admin_member,
        "apiTokenRoll",
        "IssuedApiToken",
        "secret",
        {"id": gid(crm.token), "graceHours": 721},
    )
    assert messages(payload) == [("graceHours", "invalid")]
    run(
        admin_member,
        "apiTokenRoll",
        "IssuedApiToken",
        "secret",
        {"id": gid(crm.token), "graceHours": 0},
    )
    assert crm(COUNT).status == 401


def test_pepper_rotation(settings, workspace, creator):
    settings.API_TOKEN_PEPPERS = {"old": "o" * 40}
    settings.API_TOKEN_PEPPER_ID = "old"
    client = token_client(workspace, [Scope.JOURNEYS_READ], creator)
    assert client.token.pepper_id == "old"

    settings.API_TOKEN_PEPPERS = {"old": "o" * 40, "new": "n" * 40}
    settings.API_TOKEN_PEPPER_ID = "new"
    assert client(COUNT).status == 200
    client.token.refresh_from_db()
    assert client.token.pepper_id == "new"  # re-hashed on use

    settings.API_TOKEN_PEPPERS = {"new": "n" * 40}
    assert client(COUNT).status == 200

    stale = token_client(workspace, [Scope.JOURNEYS_READ], creator)
    settings.API_TOKEN_PEPPERS = {"newer": "m" * 40}
    settings.API_TOKEN_PEPPER_ID = "newer"
    assert stale(COUNT).status == 401  # its pepper is gone


def test_last_use_is_written_at_most_once_a_minute(crm):
    assert crm.token.last_used_at is None
    crm(COUNT)
    crm.token.refresh_from_db()
    first = crm.token.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as captured:
        crm(COUNT)
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    crm.token.refresh_from_db()
    assert crm.token.last_used_at == first
    earlier = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.filter(pk=crm.token.pk).update(last_used_at=earlier)
    crm(COUNT)
    crm.token.refresh_from_db()
    assert crm.token.last_used_at > earlier


@pytest.mark.parametrize(
    ("remote", "allowed"),
    [("10.1.2.3", True), ("192.168.0.9", False), ("2001:db8::5", True), ("2001:db9::1", False)],
)
def test_allowed_ip_ranges(workspace, creator, remote, allowed):
    client = token_client(
        workspace, [Scope.JOURNEYS_READ], creator, allowed_ips=["10.0.0.0/8", "2001:db8::/32"]
    )
    response = post(f"Bearer {client.plaintext}", REMOTE_ADDR=remote)
    assert (response.status_code == 200) is allowed


def test_client_ip_header_behind_a_proxy(settings, workspace, creator):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    client = token_client(workspace, [Scope.JOURNEYS_READ], creator, allowed_ips=["10.0.0.1"])
    raw = f"Bearer {client.plaintext}"
    ok = Client(REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.1")
    forged = Client(REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1, 1.2.3.4")
    body = json.dumps({"query": COUNT})
    kwargs = {"content_type": "application/json", "headers": {"Authorization": raw}}
    assert ok.post("/graphql/", body, **kwargs).status_code == 200
    assert forged.post("/graphql/", body, **kwargs).status_code == 401


def test_tokens_need_no_csrf_set_no_cookies_and_ignore_the_workspace_header(
    crm, workspace, other_workspace
):
    PersonaFactory(workspace=other_workspace)
    browserless = Client(enforce_csrf_checks=True)
    response = browserless.post(
        "/graphql/",
        json.dumps(
            {"query": 'mutation { personaCreate(input: {key: "k", name: "K"}) { __typename } }'}
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {crm.plaintext}", "X-Workspace": "globex"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"personaCreate": {"__typename": "Persona"}}}
    assert not response.cookies
    assert workspace.pk == crm.token.workspace_id
    assert crm(COUNT, **{"X-Workspace": "globex"}).data == {"personas": {"totalCount": 1}}


def test_a_token_lacking_a_scope_is_told_which(workspace, creator):
    reader = token_client(workspace, [Scope.JOURNEYS_READ], creator)
    query = "mutation($id: ID!) { personaDelete(id: $id) { __typename } }"
    error = reader(query, {"id": gid(PersonaFactory(workspace=workspace))}).errors[0]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "requiredScope": "journeys:write",
        "requiredRole": "editor",
    }
    assert error["message"] == "This API token lacks the scope journeys:write."


def test_power_is_scopes_intersected_with_the_creators_current_role(workspace, creator):
    client = token_client(workspace, [Scope.JOURNEYS_READ, Scope.JOURNEYS_WRITE], creator)
    create = 'mutation { personaCreate(input: {key: "k", name: "K"}) { __typename } }'
    assert client(create).data == {"personaCreate": {"__typename": "Persona"}}
    creator.memberships.update(role=Role.VIEWER)
    error = client(create).errors[0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "creator is a viewer" in error["message"]
    assert client(COUNT).data == {"personas": {"totalCount": 1}}
    creator.memberships.all().delete()
    assert client(COUNT).errors[0]["message"] == (
        "The token's creator is no longer a member of this workspace."
    )


def test_operator_tokens_act_with_their_scopes(workspace):
    client = token_client(workspace, [Scope.JOURNEYS_WRITE])
    payload = run(client, "personaCreate", "Persona", "key", {"key": "op", "name": "Op"})
    assert payload == {"__typename": "Persona", "key": "op"}
    assert client(COUNT).errors[0]["extensions"]["requiredScope"] == "journeys:read"


def test_api_token_create_over_graphql_shows_the_secret_once(admin_member, workspace):
    issued = run(
        admin_member,
        "apiTokenCreate",
        "IssuedApiToken",
        "secret token { id name prefix scopes allowedIps isActive createdBy expiresAt }",
        {
            "name": "Website tracker",
            "scopes": ["ACCOUNTS_WRITE", "JOURNEYS_READ"],
            "allowedIps": ["203.0.113.0/24"],
        },
    )
    assert issued["token"]["scopes"] == ["ACCOUNTS_WRITE", "JOURNEYS_READ"]
    assert issued["token"]["createdBy"] == "admin"
    assert issued["token"]["allowedIps"] == ["203.0.113.0/24"]
    assert issued["secret"].startswith(issued["token"]["prefix"] + "_")
    listing = admin_member("{ apiTokens { totalCount edges { node { name prefix } } } }")
    assert issued["secret"] not in json.dumps(listing.body)
    assert listing.data["apiTokens"]["totalCount"] == 1
    assert issued["secret"] not in json.dumps(list(ApiToken.objects.values()), default=str)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "x", "scopes": []}, [("scopes", "required")]),
        ({"name": "", "scopes": ["JOURNEYS_READ"]}, [("name", "blank")]),
        (
            {"name": "x", "scopes": ["JOURNEYS_READ"], "allowedIps": ["not-an-ip"]},
            [("allowedIps", "invalid")],
        ),
        (
            {"name": "x", "scopes": ["JOURNEYS_READ"], "expiresAt": "2001-01-01T00:00:00+00:00"},
            [("expiresAt", "invalid")],
        ),
    ],
)
def test_api_token_create_errors(admin_member, value, expected):
    payload = run(admin_member, "apiTokenCreate", "IssuedApiToken", "secret", value)
    assert messages(payload) == expected
    assert not ApiToken.objects.exists()


def test_a_token_cannot_grant_scopes_it_lacks(workspace, creator):
    manager = token_client(workspace, [Scope.TOKENS_MANAGE, Scope.JOURNEYS_READ], creator)
    payload = run(
        manager,
        "apiTokenCreate",
        "IssuedApiToken",
        "secret",
        {"name": "escalate", "scopes": ["JOURNEYS_WRITE"]},
    )
    assert messages(payload) == [("scopes", "forbidden")]
    allowed = run(
        manager,
        "apiTokenCreate",
        "IssuedApiToken",
        "token { scopes }",
        {"name": "narrower", "scopes": ["JOURNEYS_READ"]},
    )
    assert allowed["token"]["scopes"] == ["JOURNEYS_READ"]


def test_only_workspace_admins_manage_tokens(editor):
    error = editor("{ apiTokens { totalCount } }").errors[0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["requiredRole"] == "admin"
