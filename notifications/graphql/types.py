"""Webhook endpoints and their delivery log as GraphQL types (for workspace admins)."""

from enum import Enum

import strawberry
import strawberry_django
from strawberry import auto, relay
from strawberry.scalars import JSON
from strawberry_django.relay import DjangoListConnection

from notifications import models
from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode


def _described_enum(name: str, choices, description: str):
    """A GraphQL enum from TextChoices: names are the upper-cased values with dots and
    other separators as underscores; each value is described by its label."""
    members = {
        value.upper().replace(".", "_"): strawberry.enum_value(value, description=label)
        for value, label in choices.choices
    }
    return strawberry.enum(Enum(name, members, module=__name__), name=name, description=description)


WebhookEventType = _described_enum(
    "WebhookEventType", models.EventType, "An event a webhook endpoint can subscribe to."
)
WebhookDeliveryStatus = _described_enum(
    "WebhookDeliveryStatus", models.WebhookDelivery.Status, "Where a delivery stands."
)


@strawberry_django.filter_type(models.WebhookDelivery)
class WebhookDeliveryFilter:
    endpoint: relay.GlobalID | None = strawberry_django.filter_field(
        description="Only deliveries to this endpoint."
    )
    status: WebhookDeliveryStatus | None = strawberry_django.filter_field(
        description="Only deliveries in this status."
    )


@strawberry_django.type(models.WebhookEndpoint, name="WebhookEndpoint")
class WebhookEndpointType(WorkspaceNode):
    read_scopes = (Scope.WEBHOOKS_MANAGE,)

    url: auto
    description: auto = strawberry_django.field(description="What the endpoint is for.")
    enabled: auto = strawberry_django.field(description="Whether events are sent to it.")
    disabled_reason: auto = strawberry_django.field(
        description="Why it was disabled (by a user, or after failing every retry)."
    )
    disabled_at: auto = strawberry_django.field(description="When it was disabled.")
    last_success_at: auto = strawberry_django.field(description="Its last delivered attempt.")
    last_failure_at: auto = strawberry_django.field(description="Its last failed attempt.")
    created_at: auto = strawberry_django.field(description="When it was added.")
    deliveries: DjangoListConnection["WebhookDeliveryType"] = strawberry_django.connection(
        filters=WebhookDeliveryFilter, description="Its deliveries, newest first."
    )

    @strawberry_django.field(only=["event_types"], description="The event types it receives.")
    def event_types(self, root: models.WebhookEndpoint) -> list[WebhookEventType]:
        return [WebhookEventType(value) for value in root.event_types]


@strawberry_django.type(models.WebhookAttempt, name="WebhookAttempt")
class WebhookAttemptType:
    number: auto = strawberry_django.field(description="1 for the first attempt, and so on.")
    started_at: auto = strawberry_django.field(description="When the request was made.")
    response_status: auto = strawberry_django.field(
        description="The receiver's HTTP status; null without an answer."
    )
    latency_ms: auto = strawberry_django.field(description="How long the answer took.")
    error: auto = strawberry_django.field(description="Why it failed; empty when it did not.")
    succeeded: auto = strawberry_django.field(description="Whether the receiver took it (2xx).")


@strawberry_django.type(models.WebhookDelivery, name="WebhookDelivery")
class WebhookDeliveryType(WorkspaceNode):
    read_scopes = (Scope.WEBHOOKS_MANAGE,)

    endpoint: WebhookEndpointType = strawberry_django.field(description="Where it is sent.")
    attempts: auto = strawberry_django.field(description="Requests made so far.")
    next_attempt_at: auto = strawberry_django.field(
        description="When it is tried next, while pending."
    )
    last_attempt_at: auto = strawberry_django.field(description="When it was last tried.")
    response_status: auto = strawberry_django.field(
        description="The HTTP status of the last answer; null without one."
    )
    latency_ms: auto = strawberry_django.field(description="How long the last answer took.")
    last_error: auto = strawberry_django.field(description="Why the last attempt failed.")
    delivered_at: auto = strawberry_django.field(description="When the receiver took it.")
    created_at: auto = strawberry_django.field(description="When the event was queued.")
    log: list[WebhookAttemptType] = strawberry_django.field(description="Every attempt, in order.")

    @strawberry_django.field(only=["status"], description="Where the delivery stands.")
    def status(self, root: models.WebhookDelivery) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(root.status)

    @strawberry_django.field(
        select_related=["event"], description="The event id (the Webhook-Id header)."
    )
    def event_id(self, root: models.WebhookDelivery) -> str:
        return root.event.event_id

    @strawberry_django.field(select_related=["event"], description="The event type.")
    def event_type(self, root: models.WebhookDelivery) -> WebhookEventType:
        return WebhookEventType(root.event.type)

    @strawberry_django.field(select_related=["event"], description="The JSON body sent.")
    def payload(self, root: models.WebhookDelivery) -> JSON:
        import json

        return json.loads(root.event.body)


@strawberry.type(description="An endpoint with its signing secret, shown this once.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpointType = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret (whsec_...): verify each request's Webhook-Signature "
        "with it."
    )


WebhookEndpointConnection = DjangoListConnection[WebhookEndpointType]
WebhookDeliveryConnection = DjangoListConnection[WebhookDeliveryType]
