"""Webhook queries and mutations: thin resolvers over notifications.services, for
callers holding webhooks:manage (workspace admins)."""

from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from notifications import services
from notifications.graphql.types import (
    WebhookDeliveryConnection,
    WebhookDeliveryFilter,
    WebhookDeliveryType,
    WebhookEndpointConnection,
    WebhookEndpointType,
    WebhookEndpointWithSecret,
    WebhookEventType,
)
from workspaces.access import Scope
from workspaces.graphql.base import Deleted, current_workspace, load
from workspaces.graphql.permissions import get_access, requires

EndpointId = Annotated[relay.GlobalID, strawberry.argument(description="The endpoint.")]


def _manage():
    return requires(Scope.WEBHOOKS_MANAGE)


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description="Where events are POSTed; https, public address.")
    event_types: list[WebhookEventType] = strawberry.field(description="What it receives.")
    description: str = strawberry.field(default="", description="What it is for.")
    enabled: bool = strawberry.field(default=True, description="Send events to it from now.")


@strawberry.input(description="Changes to a webhook endpoint; fields left out stay.")
class WebhookEndpointUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    event_types: list[WebhookEventType] | None = strawberry.field(
        default=None, description="The new set of event types."
    )
    description: str | None = strawberry.field(default=None, description="A new description.")
    enabled: bool | None = strawberry.field(
        default=None, description="Enable (clears the reason it was disabled) or disable it."
    )


def _with_secret(created: services.CreatedEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(endpoint=created.endpoint, secret=created.secret)


def _types(values) -> list[str] | None:
    return None if values is None else [value.value for value in values]


@strawberry.type
class WebhooksQuery:
    webhook_endpoints: WebhookEndpointConnection = strawberry_django.connection(
        extensions=_manage(), description="The workspace's webhook endpoints."
    )
    webhook_deliveries: WebhookDeliveryConnection = strawberry_django.connection(
        extensions=_manage(),
        filters=WebhookDeliveryFilter,
        description="The delivery log of every endpoint, newest first.",
    )


@strawberry.type
class WebhooksMutation:
    @strawberry_django.mutation(
        extensions=_manage(),
        description="Add a webhook endpoint. The answer holds its signing secret, this once.",
    )
    def webhook_endpoint_create(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointCreateInput, strawberry.argument(description="The new endpoint.")
        ],
    ) -> WebhookEndpointWithSecret:
        created = services.webhook_endpoint_create(
            workspace=current_workspace(info),
            created_by=get_access(info).user,
            url=input.url,
            event_types=_types(input.event_types),
            description=input.description,
            enabled=input.enabled,
        )
        return _with_secret(created)

    @strawberry_django.mutation(extensions=_manage(), description="Change a webhook endpoint.")
    def webhook_endpoint_update(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointUpdateInput, strawberry.argument(description="What to change.")
        ],
    ) -> WebhookEndpointType:
        return services.webhook_endpoint_update(
            endpoint=load(info, input.id, WebhookEndpointType, field="id"),
            url=input.url,
            event_types=_types(input.event_types),
            description=input.description,
            enabled=input.enabled,
        )

    @strawberry_django.mutation(
        extensions=_manage(),
        description="Give an endpoint a new signing secret (shown this once); the old one "
        "stops signing at once.",
    )
    def webhook_endpoint_rotate_secret(
        self,
        info: Info,
        id: EndpointId,
    ) -> WebhookEndpointWithSecret:
        endpoint = load(info, id, WebhookEndpointType, field="id")
        return _with_secret(services.webhook_endpoint_rotate_secret(endpoint=endpoint))

    @strawberry_django.mutation(
        extensions=_manage(), description="Delete an endpoint and its delivery log."
    )
    def webhook_endpoint_delete(
        self,
        info: Info,
        id: EndpointId,
    ) -> Deleted:
        services.webhook_endpoint_delete(endpoint=load(info, id, WebhookEndpointType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(
        extensions=_manage(),
        description="Send a delivery again now: same event id and body, a fresh series of retries.",
    )
    def webhook_delivery_redeliver(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The delivery.")],
    ) -> WebhookDeliveryType:
        delivery = load(info, id, WebhookDeliveryType, field="id")
        return services.webhook_delivery_redeliver(delivery=delivery)
