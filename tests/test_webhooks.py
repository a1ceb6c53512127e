"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signed deliveries of every
event type, retries, de-duplication, disabling, redelivery, refused URLs, the GraphQL API
and the admin."""

import base64
import itertools
import json
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.identity import AccountRef
from accounts.ingestion import AchievementItem, milestones_record
from analytics.models import Report
from notifications import services
from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from notifications.services import MAX_ATTEMPTS, RETRY_DELAYS
from tests.admin_helpers import messages_of, staff_client
from tests.conftest import token_client
from tests.factories import AccountFactory, MilestoneFactory
from tests.graphql_helpers import gid, messages, run
from tests.webhook_receiver import Receiver, verify
from workspaces.access import Scope
from workspaces.models import Role

Status = WebhookDelivery.Status


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def milestone(workspace):
    return MilestoneFactory(
        workspace=workspace, key="paid-plan", name="Paid plan", is_conversion=True, value=990
    )


def endpoint_for(workspace, url, types=("milestone.reached",)):
    return services.webhook_endpoint_create(
        workspace=workspace, created_by=None, url=url, event_types=list(types)
    )


def record(workspace, client_id="deal-1", at="2026-03-02T10:00:00Z", domain="acme.com"):
    return milestones_record(
        workspace=workspace,
        items=[
            AchievementItem(
                client_id=client_id,
                milestone="paid-plan",
                occurred_at=at,
                account=AccountRef(domain=domain, name="Acme"),
            )
        ],
    )


def make_due(delivery: WebhookDelivery) -> None:
    """Time passes: the delivery's next attempt is due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_milestone_reaches_the_receiver_signed(
    workspace, milestone, receiver, django_capture_on_commit_callbacks
):
    created = endpoint_for(workspace, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)

    [request] = receiver.requests
    assert request.path == "/hooks/waymark"
    assert verify(created.secret, request.headers, request.body)
    assert not verify(created.secret[:-4] + "AAA=", request.headers, request.body)
    assert request.headers["content-type"] == "application/json"
    body = request.json
    event = WebhookEvent.objects.get()
    assert request.headers["webhook-id"] == body["id"] == event.event_id
    assert body["id"].startswith("evt_")
    timestamp = int(request.headers["webhook-timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 300
    assert request.body.decode() == event.body  # the stored body is what was sent
    data = body.pop("data")
    assert body == {
        "id": event.event_id,
        "type": "milestone.reached",
        "schemaVersion": 1,
        "timestamp": body["timestamp"],
        "workspace": "acme",
    }
    from accounts.models import Account, MilestoneAchievement

    stored = MilestoneAchievement.objects.get()
    acme = Account.objects.get()
    assert data == {
        "achievement": {
            "id": gid(stored),
            "clientId": "deal-1",
            "occurredAt": "2026-03-02T10:00:00.000000Z",
            "value": "990.00",
            "currency": "",
            "origin": "REPORTED",
        },
        "milestone": {
            "id": gid(milestone),
            "key": "paid-plan",
            "name": "Paid plan",
            "isConversion": True,
        },
        "account": {"id": gid(acme), "name": "Acme", "domain": "acme.com"},
        "contact": None,
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.SUCCEEDED,
        1,
        200,
    )
    assert delivery.latency_ms is not None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_signature_checks_out_with_openssl(
    workspace, milestone, receiver, django_capture_on_commit_callbacks, tmp_path
):
    created = endpoint_for(workspace, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)
    [request] = receiver.requests
    signed = tmp_path / "signed"
    signed.write_bytes(
        f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
        + request.body
    )
    key_hex = base64.b64decode(created.secret.removeprefix("whsec_")).hex()

    digest = subprocess.run(
        [
            "openssl",
            "dgst",
            "-sha256",
            "-mac",
            "HMAC",
            "-macopt",
            f"hexkey:{key_hex}",
            "-binary",
            str(signed),
        ],
        check=True,
        capture_output=True,
    ).stdout

    expected = "v1," + base64.b64encode(digest).decode()
    assert request.headers["webhook-signature"] == expected


def test_a_failed_delivery_is_retried_with_the_same_id_and_body(
    workspace, milestone, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[503]) as receiver:
        created = endpoint_for(workspace, receiver.url)
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            record(workspace)

        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == (
            Status.PENDING,
            1,
            503,
        )
        assert delivery.last_error == "HTTP 503"
        assert before + RETRY_DELAYS[0] <= delivery.next_attempt_at
        assert delivery.next_attempt_at <= timezone.now() + RETRY_DELAYS[0]

        # Not due yet: the sweeper leaves it alone.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.queue_due_deliveries() == 0
        make_due(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.queue_due_deliveries() == 1

        first, second = receiver.requests
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert first.body == second.body
        assert verify(created.secret, second.headers, second.body)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_status) == (
            Status.SUCCEEDED,
            2,
            200,
        )
        log = list(delivery.log.values_list("number", "response_status", "succeeded", "error"))
        assert log == [(1, 503, False, "HTTP 503"), (2, 200, True, "")]
        # A stray duplicate of the task sends nothing more.
        assert services.deliver(delivery.pk) is None
        assert len(receiver.requests) == 2


def test_the_retry_schedule_spans_more_than_a_day_and_grows():
    assert sum(RETRY_DELAYS, timedelta()) >= timedelta(hours=24)
    assert all(b >= a for a, b in itertools.pairwise(RETRY_DELAYS))
    assert RETRY_DELAYS[:4] == tuple(timedelta(minutes=m) for m in (1, 2, 4, 8))
    assert MAX_ATTEMPTS == 13


def test_an_endpoint_that_keeps_failing_is_disabled_with_a_reason(
    workspace, milestone, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500] * MAX_ATTEMPTS) as receiver:
        endpoint = endpoint_for(workspace, receiver.url).endpoint
        with django_capture_on_commit_callbacks(execute=True):
            record(workspace)
        delivery = WebhookDelivery.objects.get()
        delays = []
        for _ in range(MAX_ATTEMPTS - 1):
            delivery.refresh_from_db()
            delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
            make_due(delivery)
            with django_capture_on_commit_callbacks(execute=True):
                services.queue_due_deliveries()

        delivery.refresh_from_db()
        endpoint.refresh_from_db()
        assert len(receiver.requests) == MAX_ATTEMPTS
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
        assert (delivery.status, delivery.attempts) == (Status.FAILED, MAX_ATTEMPTS)
        # Each delay is the scheduled one (counted from the attempt's start, so a little less).
        for delay, scheduled in zip(delays, RETRY_DELAYS, strict=True):
            assert scheduled - timedelta(seconds=5) <= delay <= scheduled + timedelta(seconds=5)
        assert not endpoint.enabled
        assert endpoint.disabled_reason.startswith(
            f"Event {delivery.event.event_id} failed 13 attempts over 32.5 hours; last: HTTP 500"
        )

        # Disabled: new events are not delivered to it, nor can it be redelivered.
        with django_capture_on_commit_callbacks(execute=True):
            record(workspace, client_id="deal-2")
        assert WebhookDelivery.objects.count() == 1
        with pytest.raises(ValidationError, match="enable it first"):
            services.webhook_delivery_redeliver(delivery=delivery)

        # Enabled again, a manual redelivery sends the same event, with fresh retries.
        with django_capture_on_commit_callbacks(execute=True):
            services.webhook_endpoint_update(endpoint=endpoint, enabled=True)
            services.webhook_delivery_redeliver(delivery=delivery)
        delivery.refresh_from_db()
        assert delivery.status == Status.SUCCEEDED
        assert receiver.requests[-1].headers["webhook-id"] == delivery.event.event_id
        endpoint.refresh_from_db()
        assert (endpoint.enabled, endpoint.disabled_reason) == (True, "")


def test_an_event_published_twice_is_stored_and_delivered_once(
    workspace, milestone, receiver, django_capture_on_commit_callbacks
):
    from notifications import tasks

    endpoint_for(workspace, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)
        record(workspace)  # the integration's retry: a duplicate, nothing announced
    with django_capture_on_commit_callbacks(execute=True):
        # The publish task delivered twice by the broker.
        assert tasks.publish(workspace.pk, "milestones", {"client_ids": ["deal-1"]}) == 0

    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_only_subscribed_enabled_endpoints_of_the_workspace_get_events(
    workspace, other_workspace, milestone, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(workspace, receiver.url, types=["report.failed"])
    endpoint_for(other_workspace, receiver.url)
    off = endpoint_for(workspace, receiver.url).endpoint
    services.webhook_endpoint_update(endpoint=off, enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)

    assert receiver.requests == []
    assert WebhookEvent.objects.count() == 0  # nobody subscribed: nothing stored


def test_stage_changes_are_sent(workspace, receiver, django_capture_on_commit_callbacks):
    from accounts.stages import recompute_stages
    from journeys.models import JourneyMap
    from tests.factories import JourneyMapFactory, PersonaFactory, StageFactory

    persona = PersonaFactory(workspace=workspace)
    journey = JourneyMapFactory(
        workspace=workspace, persona=persona, status=JourneyMap.Status.PUBLISHED, name="SMB"
    )
    stage = StageFactory(journey_map=journey, position=1, name="Aware", expected_duration_days=5)
    endpoint_for(workspace, receiver.url, types=["stage.entered", "stage.status_changed"])
    start = timezone.now() - timedelta(days=7)
    account = AccountFactory(workspace=workspace, persona=persona, first_seen_at=start)

    with django_capture_on_commit_callbacks(execute=True):
        recompute_stages(workspace=workspace, account_ids=[account.pk], now=start)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_stages(workspace=workspace, account_ids=[account.pk])

    entered, changed = (r.json for r in receiver.requests)
    assert entered["type"] == "stage.entered"
    stage_ref = {"id": gid(stage), "name": "Aware", "position": 1}
    assert entered["data"]["stage"] == stage_ref
    assert entered["data"]["previousStage"] is None
    assert entered["data"]["journeyMap"] == {"id": gid(journey), "name": "SMB"}
    assert entered["data"]["account"]["id"] == gid(account)
    assert changed["type"] == "stage.status_changed"
    assert (changed["data"]["previousStatus"], changed["data"]["status"]) == (
        "ON_TRACK",
        "BEHIND",
    )
    due = (start + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert changed["data"]["changedAt"] == changed["data"]["dueAt"] == due


def test_report_outcomes_are_sent(workspace, receiver, django_capture_on_commit_callbacks):
    from analytics import runner

    endpoint_for(workspace, receiver.url, types=["report.succeeded", "report.failed"])
    MilestoneFactory(workspace=workspace, is_conversion=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = runner.report_request(workspace=workspace, kind="attribution", parameters={})
    with django_capture_on_commit_callbacks(execute=True):
        failed = runner.report_request_failed(
            workspace=workspace, kind="attribution", parameters={}, error="Milestone gone."
        )

    succeeded, refused = (r.json for r in receiver.requests)
    assert succeeded["type"] == "report.succeeded"
    assert succeeded["data"]["report"]["id"] == gid(report)
    assert succeeded["data"]["report"]["status"] == "SUCCEEDED"
    assert Report.objects.get(pk=report.pk).status == "succeeded"
    assert refused["type"] == "report.failed"
    assert refused["data"]["report"] | {"createdAt": None, "finishedAt": None} == {
        "id": gid(failed),
        "kind": "ATTRIBUTION",
        "status": "FAILED",
        "error": "Milestone gone.",
        "createdAt": None,
        "finishedAt": None,
        "definition": None,
    }


def test_merges_are_sent(workspace, receiver, django_capture_on_commit_callbacks):
    from accounts.services import account_merge

    endpoint_for(workspace, receiver.url, types=["account.merged"])
    source = AccountFactory(workspace=workspace, name="Acme Old", domain="")
    target = AccountFactory(workspace=workspace, name="Acme", domain="acme.com")
    source_id = gid(source)

    with django_capture_on_commit_callbacks(execute=True):
        account_merge(source=source, target=target)

    [request] = receiver.requests
    assert request.json["type"] == "account.merged"
    data = request.json["data"]
    assert data["source"] == {"id": source_id, "name": "Acme Old", "domain": ""}
    assert data["target"] == {"id": gid(target), "name": "Acme", "domain": "acme.com"}
    assert data["mergedAt"].endswith("Z")


# Refused URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/x", "insecure_scheme"),
        ("ftp://hooks.example.com/x", "insecure_scheme"),
        ("https://127.0.0.1/x", "private_address"),
        ("https://localhost:8443/x", "private_address"),
        ("https://10.1.2.3/x", "private_address"),
        ("https://192.168.0.10/x", "private_address"),
        ("https://172.16.5.4/x", "private_address"),
        ("https://169.254.169.254/latest/meta-data/", "private_address"),
        ("https://100.64.0.1/x", "private_address"),
        ("https://[::1]/x", "private_address"),
        ("https://[fd00:ec2::254]/x", "private_address"),
        ("https://[::ffff:127.0.0.1]/x", "private_address"),
        ("https://0.0.0.0/x", "private_address"),
        ("https://user:pass@93.184.215.14/x", "credentials_in_url"),
        ("https://no-such-host.invalid/x", "unresolvable"),
        ("https:///x", "invalid"),
    ],
)
def test_internal_and_insecure_urls_are_refused(workspace, settings, url, code):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(ValidationError) as raised:
        endpoint_for(workspace, url)

    assert raised.value.error_dict["url"][0].code == code
    assert WebhookEndpoint.objects.count() == 0


def test_a_public_https_address_is_accepted(workspace, settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert endpoint_for(workspace, "https://93.184.215.14/hooks").endpoint.pk


def test_metadata_addresses_are_refused_even_when_private_ones_are_allowed(workspace):
    with pytest.raises(ValidationError) as raised:
        endpoint_for(workspace, "http://169.254.169.254/latest/meta-data/")
    assert raised.value.error_dict["url"][0].code == "private_address"


def test_the_address_is_checked_again_before_each_request(
    workspace, milestone, receiver, settings, django_capture_on_commit_callbacks
):
    endpoint_for(workspace, receiver.url)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False  # e.g. DNS now answers 127.0.0.1

    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert "loopback, private" in delivery.last_error


# GraphQL ----------------------------------------------------------------------------------

ENDPOINT = "id url description enabled eventTypes disabledReason"
CREATE_SELECTION = f"secret endpoint {{ {ENDPOINT} }}"


def create(client, **value):
    value = {"url": "https://93.184.215.14/hooks", "eventTypes": ["MILESTONE_REACHED"]} | value
    return run(
        client, "webhookEndpointCreate", "WebhookEndpointWithSecret", CREATE_SELECTION, value
    )


def test_admins_manage_endpoints_over_graphql(workspace, admin_member):
    payload = create(
        admin_member, description="CRM", eventTypes=["STAGE_ENTERED", "MILESTONE_REACHED"]
    )

    assert payload["secret"].startswith("whsec_")
    endpoint = payload["endpoint"]
    assert endpoint["eventTypes"] == ["MILESTONE_REACHED", "STAGE_ENTERED"]
    assert (endpoint["description"], endpoint["enabled"]) == ("CRM", True)
    assert WebhookEndpoint.objects.get().secret == payload["secret"]

    updated = run(
        admin_member,
        "webhookEndpointUpdate",
        "WebhookEndpoint",
        ENDPOINT,
        {"id": endpoint["id"], "enabled": False, "eventTypes": ["REPORT_FAILED"]},
    )
    assert (updated["enabled"], updated["eventTypes"]) == (False, ["REPORT_FAILED"])
    assert updated["disabledReason"] == "Disabled by a user."

    rotated = admin_member(
        "mutation($id: ID!) { webhookEndpointRotateSecret(id: $id) {"
        " ... on WebhookEndpointWithSecret { secret } } }",
        {"id": endpoint["id"]},
    ).data["webhookEndpointRotateSecret"]["secret"]
    assert rotated.startswith("whsec_")
    assert rotated != payload["secret"]

    listed = admin_member("{ webhookEndpoints { edges { node { url } } } }").data
    assert listed["webhookEndpoints"]["edges"] == [{"node": {"url": "https://93.184.215.14/hooks"}}]


def test_bad_endpoint_input_is_answered_on_its_field(admin_member, settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    assert messages(create(admin_member, url="http://93.184.215.14/x")) == [
        ("url", "insecure_scheme")
    ]
    assert messages(create(admin_member, eventTypes=[])) == [("eventTypes", "required")]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_only_admins_manage_webhooks(workspace, role):
    from tests.conftest import _member_client

    client = _member_client(workspace, role, f"user-{role}")
    result = client("{ webhookEndpoints { edges { node { id } } } }")
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert result.errors[0]["extensions"]["requiredScope"] == "webhooks:manage"


def test_tokens_need_the_webhooks_scope(workspace, admin_member):
    holding = token_client(workspace, [Scope.WEBHOOKS_MANAGE], created_by=admin_member.user)
    lacking = token_client(workspace, list(set(Scope) - {Scope.WEBHOOKS_MANAGE}))

    assert create(holding)["secret"].startswith("whsec_")
    denied = lacking("{ webhookEndpoints { edges { node { id } } } }")
    assert denied.errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_the_delivery_log_and_redelivery_over_graphql(
    workspace, milestone, admin_member, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500]) as receiver:
        endpoint_for(workspace, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            record(workspace)

        query = """{ webhookDeliveries(filters: { status: PENDING }) { edges { node {
            id eventId eventType status attempts responseStatus latencyMs lastError
            payload log { number responseStatus succeeded error }
        } } } }"""
        [edge] = admin_member(query).data["webhookDeliveries"]["edges"]
        node = edge["node"]
        event = WebhookEvent.objects.get()
        assert node | {"id": None, "latencyMs": None} == {
            "id": None,
            "eventId": event.event_id,
            "eventType": "MILESTONE_REACHED",
            "status": "PENDING",
            "attempts": 1,
            "responseStatus": 500,
            "latencyMs": None,
            "lastError": "HTTP 500",
            "payload": json.loads(event.body),
            "log": [{"number": 1, "responseStatus": 500, "succeeded": False, "error": "HTTP 500"}],
        }

        with django_capture_on_commit_callbacks(execute=True):
            redelivered = run(
                admin_member,
                "webhookDeliveryRedeliver",
                "WebhookDelivery",
                "status attempts",
                node["id"],
                arg="id",
                arg_type="ID!",
            )
        assert redelivered == {"__typename": "WebhookDelivery", "status": "PENDING", "attempts": 1}
        assert WebhookDelivery.objects.get().status == Status.SUCCEEDED
        assert [r.headers["webhook-id"] for r in receiver.requests] == [event.event_id] * 2


def test_another_workspaces_endpoint_is_not_found(workspace, other_workspace, admin_member):
    theirs = endpoint_for(other_workspace, "https://93.184.215.14/hooks").endpoint
    payload = run(
        admin_member,
        "webhookEndpointUpdate",
        "WebhookEndpoint",
        "id",
        {"id": gid(theirs), "enabled": False},
    )
    assert messages(payload) == [("id", "not_found")]


# Admin ------------------------------------------------------------------------------------


def test_admins_add_endpoints_and_redeliver_in_the_admin(
    workspace, milestone, receiver, django_capture_on_commit_callbacks
):
    admin_client = staff_client(workspace, Role.ADMIN, "boss")
    response = admin_client.post(
        "/admin/notifications/webhookendpoint/add/",
        {
            "workspace": workspace.pk,
            "url": receiver.url,
            "description": "CRM",
            "event_types": ["milestone.reached"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.event_types == ["milestone.reached"]

    with django_capture_on_commit_callbacks(execute=True):
        record(workspace)
    delivery = WebhookDelivery.objects.get()
    assert admin_client.get("/admin/notifications/webhookdelivery/").status_code == 200
    assert (
        admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/").status_code
        == 200
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "Queued 1 delivery(ies)." in messages_of(response)
    assert len(receiver.requests) == 2


def test_editors_do_not_see_webhooks_in_the_admin(workspace):
    editor_client = staff_client(workspace, Role.EDITOR, "ed")
    assert editor_client.get("/admin/notifications/webhookendpoint/").status_code == 403


def test_amounts_are_strings_in_payloads(
    workspace, milestone, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(workspace, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        milestones_record(
            workspace=workspace,
            items=[
                AchievementItem(
                    client_id="deal-9",
                    milestone="paid-plan",
                    occurred_at="2026-03-02T10:00:00Z",
                    account=AccountRef(domain="acme.com"),
                    value=Decimal("1234.5"),
                    currency="eur",
                )
            ],
        )
    achievement = receiver.requests[0].json["data"]["achievement"]
    assert (achievement["value"], achievement["currency"]) == ("1234.50", "EUR")


def test_milestones_derived_from_rules_are_sent(
    workspace, receiver, django_capture_on_commit_callbacks
):
    from accounts.rules import derive_rule_milestones
    from tests.factories import InteractionFactory, TouchpointFactory

    invited = TouchpointFactory(workspace=workspace, key="user-invited")
    MilestoneFactory(
        workspace=workspace,
        key="team-formed",
        rule={"touchpoint": "user-invited", "min_count": 2, "within_days": 7},
    )
    account = AccountFactory(workspace=workspace)
    for day in (1, 2):
        InteractionFactory(
            account=account, touchpoint=invited, occurred_at=timezone.now() - timedelta(days=day)
        )
    endpoint_for(workspace, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        assert derive_rule_milestones(workspace=workspace) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert derive_rule_milestones(workspace=workspace) == 0  # nothing new: nothing sent

    [request] = receiver.requests
    data = request.json["data"]
    assert (data["milestone"]["key"], data["achievement"]["origin"]) == ("team-formed", "RULE")
    assert data["account"]["id"] == gid(account)
