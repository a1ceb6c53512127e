"""GraphQL for the audit log: read-only, for workspace admins and tokens with tokens:manage."""

from datetime import datetime

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto
from strawberry_django.relay import DjangoListConnection

from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode
from workspaces.graphql.describe import described_enum
from workspaces.graphql.permissions import requires
from workspaces.models import AuditEvent

AuditSource = described_enum(
    AuditEvent.Source, name="AuditSource", description="Where an audited change came from."
)


@strawberry_django.filter_type(AuditEvent)
class AuditEventFilter:
    operation: str | None = strawberry.UNSET
    source: AuditSource | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Only events at or after this time.")
    def created_after(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__gte": value})

    @strawberry_django.filter_field(description="Only events before this time.")
    def created_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__lt": value})

    @strawberry_django.filter_field(
        description="Case-insensitive match on the actor: a username, a token's name or prefix."
    )
    def actor(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}actor__icontains": value})


@strawberry_django.order_type(AuditEvent)
class AuditEventOrder:
    created_at: auto


@strawberry_django.type(
    AuditEvent, name="AuditEvent", filters=AuditEventFilter, ordering=AuditEventOrder
)
class AuditEventType(WorkspaceNode):
    read_scopes = (Scope.TOKENS_MANAGE,)

    created_at: auto
    operation: str = strawberry_django.field(
        description="What was done: the mutation's name for GraphQL changes."
    )
    source: AuditSource
    object_ids: list[strawberry.ID] = strawberry_django.field(
        description="Global ids of the rows it changed (of deleted rows too)."
    )
    actor: str = strawberry_django.field(
        description="Who did it, as recorded then: a user, a token (name and prefix) or an "
        "operator."
    )

    @strawberry_django.field(
        select_related=["user"],
        description="The user who acted (a token's creator for token calls); null for "
        "operators and deleted users.",
    )
    def user(self, root: AuditEvent) -> str | None:
        return root.user.get_username() if root.user else None

    @strawberry_django.field(
        select_related=["token"],
        description="The public prefix of the API token used, or null. Never a secret.",
    )
    def token_prefix(self, root: AuditEvent) -> str | None:
        return root.token.prefix if root.token else None


@strawberry.type
class AuditQuery:
    audit_events: DjangoListConnection[AuditEventType] = strawberry_django.connection(
        extensions=requires(Scope.TOKENS_MANAGE),
        description="The workspace's audit log, newest first: changes, who made them, when.",
    )
