"""`manage.py create_api_token`: the token alone on the last line, errors that write nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from strawberry import relay

from tests.factories import MembershipFactory, UserFactory
from workspaces.access import Scope, token_access
from workspaces.models import ApiToken, AuditEvent, Role
from workspaces.token_services import api_token_authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def base_args(**overrides: str) -> list[str]:
    options = {"workspace": "acme", "name": "CRM sync", "scopes": "journeys:read,accounts:write"}
    options |= overrides
    args = []
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return args


def test_prints_a_description_and_the_token_alone_on_the_last_line(workspace):
    lines = run(*base_args())

    token = ApiToken.objects.get()
    raw = lines[-1]
    assert raw.startswith(f"{token.prefix}_")
    assert raw.strip() == raw
    assert api_token_authenticate(raw, client_ip=None) == token
    description = "\n".join(lines[:-1])
    assert f'"CRM sync" ({token.prefix}) in workspace "acme"' in description
    assert "accounts:write, journeys:read" in description
    assert "Expires: never." in description
    assert "operator's token" in description
    assert raw not in description
    assert (token.workspace, token.name, token.scopes) == (
        workspace,
        "CRM sync",
        ["accounts:write", "journeys:read"],
    )
    assert (token.created_by, token.expires_at, token.allowed_ips) == (None, None, [])


def test_an_operators_token_acts_with_its_scopes_alone(workspace):
    raw = run(*base_args())[-1]

    access = token_access(api_token_authenticate(raw, client_ip=None))
    assert access.role is None
    assert access.can(Scope.JOURNEYS_READ)
    assert access.can(Scope.ACCOUNTS_WRITE)
    assert not access.can(Scope.JOURNEYS_WRITE)


def test_writes_an_audit_record(workspace):
    run(*base_args())

    token = ApiToken.objects.get()
    event = AuditEvent.objects.get()
    assert (event.workspace, event.operation, event.source, event.actor) == (
        workspace,
        "apiTokenCreate",
        AuditEvent.Source.COMMAND,
        "operator",
    )
    assert event.object_ids == [relay.to_base64("ApiToken", token.pk)]
    assert (event.user, event.token) == (None, None)


def test_expiry_allowed_ips_and_creator(workspace):
    alice = UserFactory(username="alice")
    MembershipFactory(workspace=workspace, user=alice, role=Role.EDITOR)
    before = timezone.now()

    lines = run(
        *base_args(scopes="journeys:read,tokens:manage"),
        "--expires-in-days",
        "30",
        "--allowed-ips",
        "203.0.113.0/24, 2001:db8::/32",
        "--created-by",
        "alice",
    )

    token = ApiToken.objects.get()
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert token.allowed_ips == ["203.0.113.0/24", "2001:db8::/32"]
    assert token.created_by == alice
    description = "\n".join(lines[:-1])
    assert f"Expires: {token.expires_at:%Y-%m-%d}" in description
    assert "Allowed from: 203.0.113.0/24, 2001:db8::/32." in description
    assert "Acts as: alice (currently editor)" in description
    assert "Warning: tokens:manage" in description
    assert api_token_authenticate(lines[-1], client_ip="203.0.113.7") == token
    assert api_token_authenticate(lines[-1], client_ip="198.51.100.1") is None
    # Still the operator who ran it, not alice, in the log.
    assert AuditEvent.objects.get().actor == "operator"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (base_args(workspace="nope"), 'No workspace with slug "nope"'),
        (base_args(scopes="journeys:read,root"), r"Unknown scope\(s\): root\. Known scopes: "),
        (base_args(scopes=" , "), "at least one scope"),
        ([*base_args(), "--allowed-ips", "10.0.0.0/8,not-an-ip"], "allowed_ips: Item 1"),
        ([*base_args(), "--created-by", "nobody"], 'No user with username "nobody"'),
        ([*base_args(), "--created-by", "stranger"], 'User "stranger" is not a member'),
        ([*base_args(), "--expires-in-days", "0"], "--expires-in-days must be 1 or more"),
        ([*base_args(), "--expires-in-days", "99999999"], "--expires-in-days is too large"),
        (base_args(name=""), "name: This field cannot be blank"),
        (base_args(name="x" * 101), "name: Ensure this value has at most 100"),
    ],
    ids=[
        "workspace",
        "scope",
        "no-scope",
        "ip",
        "user",
        "non-member",
        "zero-days",
        "huge-days",
        "blank-name",
        "long-name",
    ],
)
def test_errors_say_what_was_wrong_and_write_nothing(workspace, args, message):
    UserFactory(username="stranger")

    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_required_options_are_required(workspace):
    with pytest.raises(CommandError, match="--scopes"):
        run("--workspace", "acme", "--name", "CRM")
