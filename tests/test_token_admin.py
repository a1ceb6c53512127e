"""The API token admin: the secret shown once, rename, revoke, roll, audit, scoping."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from strawberry import relay

from tests.admin_helpers import messages_of, staff_client
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces import token_services, tokens
from workspaces.models import ApiToken, AuditEvent, Role

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"wmk_[0-9a-f]{16}_[0-9A-Za-z]{46}")
CHANGELIST = reverse("admin:workspaces_apitoken_changelist")
ADD = reverse("admin:workspaces_apitoken_add")


def change_url(token: ApiToken) -> str:
    return reverse("admin:workspaces_apitoken_change", args=[token.pk])


def secrets_in(response) -> list[str]:
    return TOKEN_RE.findall(response.content.decode())


def issue(workspace, creator=None, name="CRM sync", scopes=("journeys:read",), **fields):
    return token_services.api_token_create(
        workspace=workspace, created_by=creator, name=name, scopes=list(scopes), **fields
    )


def add_data(workspace, **overrides) -> dict:
    data = {
        "workspace": str(workspace.pk),
        "name": "CRM sync",
        "scopes": ["journeys:read", "accounts:write"],
        "expires_at_0": "",
        "expires_at_1": "",
        "allowed_ips": "",
    }
    return data | overrides


def run_action(client, action: str, selected, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [token.pk for token in selected], **extra},
    )


def gid(token: ApiToken) -> str:
    return relay.to_base64("ApiToken", token.pk)


@pytest.fixture
def ws_admin(workspace):
    return staff_client(workspace, Role.ADMIN, "ws-admin")


# Issuing -------------------------------------------------------------------------------


def test_add_shows_the_secret_once_and_stores_only_its_hmac(ws_admin, workspace):
    page = ws_admin.get(ADD)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["workspace"] == workspace.pk
    assert "secret_hash" not in page.content.decode()

    response = ws_admin.post(
        ADD, add_data(workspace, allowed_ips="203.0.113.0/24\n\n 2001:db8::1 \n")
    )

    assert response.status_code == 200
    assert "admin/workspaces/apitoken/token_issued.html" in [t.name for t in response.templates]
    assert "no-store" in response["Cache-Control"]
    [plaintext] = set(secrets_in(response))
    assert "Copy this token now" in response.content.decode()

    token = ApiToken.objects.get()
    assert (token.workspace, token.name, token.created_by) == (workspace, "CRM sync", ws_admin.user)
    assert token.scopes == ["accounts:write", "journeys:read"]
    assert token.allowed_ips == ["203.0.113.0/24", "2001:db8::1/128"]
    assert token.expires_at is None
    parts = tokens.parse_token(plaintext)
    assert token.secret_hash == tokens.secret_digest(parts.secret, token.pepper_id)
    stored = json.dumps(ApiToken.objects.filter(pk=token.pk).values().get(), default=str)
    assert parts.secret not in stored
    assert token_services.api_token_authenticate(plaintext, client_ip="203.0.113.9") == token

    # Never again: not in messages, cookies, the changelist, the change page or history.
    assert not any(parts.secret in message for message in messages_of(response))
    assert not any(parts.secret in cookie.value for cookie in response.cookies.values())
    history = reverse("admin:workspaces_apitoken_history", args=[token.pk])
    for url in (CHANGELIST, change_url(token), history):
        later = ws_admin.get(url)
        assert later.status_code == 200
        body = later.content.decode()
        assert parts.secret not in body
        assert token.secret_hash not in body
        assert token.prefix in body


def test_add_writes_an_audit_record(ws_admin, workspace):
    ws_admin.post(ADD, add_data(workspace))

    token = ApiToken.objects.get()
    event = AuditEvent.objects.get()
    assert (event.workspace, event.operation, event.source) == (
        workspace,
        "apiTokenCreate",
        AuditEvent.Source.ADMIN,
    )
    assert event.object_ids == [gid(token)]
    assert (event.user, event.token, event.actor) == (ws_admin.user, None, "user ws-admin")


def test_add_with_an_expiry(ws_admin, workspace):
    later = timezone.now() + timedelta(days=10)
    response = ws_admin.post(
        ADD,
        add_data(
            workspace, expires_at_0=later.strftime("%Y-%m-%d"), expires_at_1=later.strftime("%H:%M")
        ),
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert abs(token.expires_at - later.replace(second=0, microsecond=0)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"allowed_ips": "10.0.0.0/8\nnot-an-ip"}, "allowed_ips", "Item 1 ('not-an-ip')"),
        ({"scopes": []}, "scopes", "This field is required."),
        ({"scopes": ["journeys:read", "root"]}, "scopes", "Select a valid choice."),
        ({"expires_at_0": "2001-01-01", "expires_at_1": "10:00"}, "expires_at", "future"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_invalid_input_is_a_form_error(ws_admin, workspace, overrides, field, message):
    response = ws_admin.post(ADD, add_data(workspace, **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_service_refusal_becomes_a_message_not_a_500(ws_admin, workspace, monkeypatch):
    def refuse(**kwargs):
        raise token_services.field_error("scopes", "No tokens today.", "forbidden")

    monkeypatch.setattr(token_services, "api_token_create", refuse)

    response = ws_admin.post(ADD, add_data(workspace), follow=True)

    assert response.status_code == 200
    assert "No tokens today." in messages_of(response)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_only_workspaces_where_the_user_is_admin_can_be_picked(ws_admin, other_workspace):
    MembershipFactory(workspace=other_workspace, user=ws_admin.user, role=Role.EDITOR)

    page = ws_admin.get(ADD)
    choices = [value for value, _ in page.context["adminform"].form.fields["workspace"].choices]
    assert other_workspace.pk not in [getattr(value, "value", value) for value in choices]

    response = ws_admin.post(ADD, add_data(other_workspace))
    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_a_superuser_issues_tokens_only_where_they_are_admin(admin_client, workspace):
    superuser = admin_client.get(ADD).wsgi_request.user

    refused = admin_client.post(ADD, add_data(workspace))
    assert refused.status_code == 200
    assert "not an admin of this workspace" in str(refused.context["adminform"].form.errors)
    assert not ApiToken.objects.exists()

    MembershipFactory(workspace=workspace, user=superuser, role=Role.ADMIN)
    issued = admin_client.post(ADD, add_data(workspace))
    assert issued.status_code == 200
    assert len(set(secrets_in(issued))) == 1
    assert ApiToken.objects.get().created_by == superuser


# Changing ------------------------------------------------------------------------------


def test_only_the_name_is_editable_and_renaming_is_audited(ws_admin, workspace):
    token = issue(workspace, ws_admin.user).token

    page = ws_admin.get(change_url(token))
    assert list(page.context["adminform"].form.fields) == ["name"]
    body = page.content.decode()
    assert token.secret_hash not in body
    assert "pepper" not in body.lower()

    response = ws_admin.post(
        change_url(token), {"name": "Renamed", "scopes": '["tokens:manage"]', "revoked_at": ""}
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.scopes, token.revoked_at) == ("Renamed", ["journeys:read"], None)
    event = AuditEvent.objects.get()
    assert (event.operation, event.object_ids) == ("apiTokenUpdate", [gid(token)])


def test_workspace_admins_cannot_delete_tokens_but_superusers_can(
    ws_admin, admin_client, workspace
):
    token = issue(workspace, ws_admin.user).token
    delete = reverse("admin:workspaces_apitoken_delete", args=[token.pk])

    assert ws_admin.post(delete, {"post": "yes"}).status_code == 403
    actions = ws_admin.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [name for name, _ in actions if name] == ["revoke_tokens", "roll_tokens"]

    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.get().operation == "apiTokenDelete"


# Actions -------------------------------------------------------------------------------


def test_revoke_asks_first_then_revokes_and_audits(ws_admin, workspace):
    issued = issue(workspace, ws_admin.user)
    keep = issue(workspace, ws_admin.user, name="Keep")

    confirm = run_action(ws_admin, "revoke_tokens", [issued.token])
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None

    done = run_action(ws_admin, "revoke_tokens", [issued.token], post="yes")

    assert done.status_code == 302
    assert "1 token(s) revoked." in messages_of(done)
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=keep.token.pk).revoked_at is None
    assert token_services.api_token_authenticate(issued.plaintext, client_ip=None) is None
    event = AuditEvent.objects.get()
    assert (event.operation, event.source, event.user) == (
        "apiTokenRevoke",
        AuditEvent.Source.ADMIN,
        ws_admin.user,
    )
    assert event.object_ids == [gid(issued.token)]

    again = run_action(ws_admin, "revoke_tokens", [issued.token], post="yes")
    assert any("already revoked" in message for message in messages_of(again))
    assert AuditEvent.objects.count() == 1


def test_roll_shows_the_new_secrets_and_the_old_ones_work_for_24_hours(ws_admin, workspace):
    first = issue(workspace, ws_admin.user, name="First")
    second = issue(workspace, ws_admin.user, name="Second")

    response = run_action(ws_admin, "roll_tokens", [first.token, second.token])

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = set(secrets_in(response))
    assert len(shown) == 2
    assert not shown & {first.plaintext, second.plaintext}
    for old in (first, second):
        [new] = [raw for raw in shown if raw.startswith(old.token.prefix + "_")]
        token = ApiToken.objects.get(pk=old.token.pk)
        assert token_services.api_token_authenticate(new, client_ip=None) == token
        assert token_services.api_token_authenticate(old.plaintext, client_ip=None) == token
        grace = token.previous_valid_until - timezone.now()
        assert timedelta(hours=23, minutes=59) < grace <= timedelta(hours=24)
    assert sorted(AuditEvent.objects.values_list("operation", flat=True)) == ["apiTokenRoll"] * 2
    assert sorted(id_ for e in AuditEvent.objects.all() for id_ in e.object_ids) == sorted(
        [gid(first.token), gid(second.token)]
    )
    assert not any(secret in message for message in messages_of(response) for secret in shown)

    ApiToken.objects.update(previous_valid_until=timezone.now() - timedelta(seconds=1))
    assert token_services.api_token_authenticate(first.plaintext, client_ip=None) is None


def test_rolling_a_revoked_token_is_refused_with_a_message(ws_admin, workspace):
    token = issue(workspace, ws_admin.user).token
    token_services.api_token_revoke(token=token)

    response = run_action(ws_admin, "roll_tokens", [token])

    assert response.status_code == 302
    assert any("Only an active token can be rolled." in m for m in messages_of(response))
    assert not AuditEvent.objects.exists()


# Who sees what -------------------------------------------------------------------------


def test_a_workspace_editor_cannot_see_or_touch_tokens(workspace):
    editor = staff_client(workspace, Role.EDITOR, "ed")
    issued = issue(workspace, name="Secretive")

    assert editor.get(CHANGELIST).status_code == 403
    assert editor.get(ADD).status_code == 403
    assert editor.get(change_url(issued.token)).status_code in (302, 403)
    assert editor.post(ADD, add_data(workspace)).status_code == 403
    assert run_action(editor, "revoke_tokens", [issued.token], post="yes").status_code == 403
    assert run_action(editor, "roll_tokens", [issued.token]).status_code == 403
    index = editor.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "API tokens" not in index.content.decode()
    assert ApiToken.objects.get().revoked_at is None
    assert ApiToken.objects.count() == 1


def test_admins_see_only_their_workspaces_tokens_and_superusers_see_all(
    ws_admin, admin_client, workspace, other_workspace
):
    mine = issue(workspace, name="Mine").token
    theirs = issue(other_workspace, name="Theirs").token

    assert list(ws_admin.get(CHANGELIST).context["cl"].result_list) == [mine]
    assert ws_admin.get(change_url(theirs)).status_code == 302  # "does not exist"
    run_action(ws_admin, "revoke_tokens", [theirs], post="yes")
    run_action(ws_admin, "roll_tokens", [theirs])
    theirs.refresh_from_db()
    assert (theirs.revoked_at, theirs.previous_valid_until) == (None, None)

    listed = admin_client.get(CHANGELIST).context["cl"].result_list
    assert set(listed) == {mine, theirs}
    assert admin_client.get(change_url(theirs)).status_code == 200


def test_search_by_name_or_prefix_and_filters(ws_admin, workspace):
    crm = issue(workspace, name="CRM sync", scopes=["accounts:write"]).token
    tracker = issue(workspace, name="Web tracker", scopes=["journeys:read"]).token
    token_services.api_token_revoke(token=tracker)
    old = issue(workspace, name="Old", expires_at=timezone.now() + timedelta(seconds=30)).token
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))

    def listed(**params):
        return list(ws_admin.get(CHANGELIST, params).context["cl"].result_list)

    assert listed(q="crm") == [crm]
    assert listed(q=tracker.prefix) == [tracker]
    assert listed(q=tracker.key_id[:8]) == [tracker]
    assert listed(status="active") == [crm]
    assert listed(status="revoked") == [tracker]
    assert listed(status="expired") == [old]
    assert listed(scope="accounts:write") == [crm]
    assert listed(scope="journeys:write") == []


def test_changelist_queries_do_not_grow_with_rows(
    ws_admin, workspace, django_assert_max_num_queries
):
    def count_queries():
        with django_assert_max_num_queries(15) as captured:
            assert ws_admin.get(CHANGELIST).status_code == 200
        return len(captured)

    creator = UserFactory(username="someone")
    MembershipFactory(workspace=workspace, user=creator, role=Role.ADMIN)
    issue(workspace, creator)
    few = count_queries()
    for _ in range(5):
        issue(workspace, creator)
        issue(workspace, None)
    assert count_queries() == few


def test_other_workspace_admins_see_nothing_of_this_one(workspace):
    outsider = staff_client(WorkspaceFactory(slug="initech"), Role.ADMIN, "outsider")
    issue(workspace)
    assert list(outsider.get(CHANGELIST).context["cl"].result_list) == []
