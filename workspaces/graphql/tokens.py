"""GraphQL for API tokens: list, create (secret shown once), revoke, roll."""

from datetime import datetime, timedelta

import strawberry
import strawberry_django
from django.db.models import Q
from django.utils import timezone
from strawberry import auto, relay
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection

from workspaces import token_services
from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode, current_workspace, load
from workspaces.graphql.describe import described, described_enum, from_model
from workspaces.graphql.permissions import get_access, requires
from workspaces.models import ApiToken

ApiScope = described_enum(
    Scope,
    name="ApiScope",
    description="What an API token may do (scopes are listed with each field's @requires).",
    values={
        "JOURNEYS_READ": "Read personas, touchpoints, milestones, journey maps and stages.",
        "JOURNEYS_WRITE": "Every journey mutation.",
        "ACCOUNTS_READ": "Read accounts, contacts, their timelines and current stages.",
        "ACCOUNTS_WRITE": "Ingest events, upsert and merge accounts.",
        "ANALYTICS_READ": "Read reports, saved reports and spend.",
        "ANALYTICS_WRITE": "Request and delete reports; manage saved reports and spend.",
        "TOKENS_MANAGE": "List, create, roll and revoke API tokens; read the audit log.",
        "WEBHOOKS_MANAGE": "List, create, change and delete webhooks; read their deliveries.",
    },
)


@strawberry_django.filter_type(ApiToken)
class ApiTokenFilter:
    @strawberry_django.filter_field(description="Only tokens that are neither revoked nor expired.")
    def active(self, value: bool, prefix: str) -> Q:
        now = timezone.now()
        live = Q(**{f"{prefix}revoked_at__isnull": True}) & (
            Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
        )
        return live if value else ~live


@strawberry_django.type(ApiToken, name="ApiToken", filters=ApiTokenFilter)
class ApiTokenType(WorkspaceNode):
    read_scopes = (Scope.TOKENS_MANAGE,)

    name: auto
    prefix: str = strawberry_django.field(
        only=["key_id"], description="The token's public part: wmk_<key id>. Never the secret."
    )
    scopes: list[ApiScope]
    allowed_ips: list[str]
    expires_at: auto
    revoked_at: auto
    last_used_at: auto
    created_at: auto

    @strawberry_django.field(
        only=["revoked_at", "expires_at"], description="Neither revoked nor expired."
    )
    def is_active(self, root: ApiToken) -> bool:
        return root.is_active(timezone.now())

    @strawberry_django.field(
        select_related=["created_by"], description="Who created it; null for operators' tokens."
    )
    def created_by(self, root: ApiToken) -> str | None:
        return root.created_by.get_username() if root.created_by else None


@described(token="The token's details (never the secret again).")
@strawberry.type(description="A token with its secret, shown this once: store it now.")
class IssuedApiToken:
    token: ApiTokenType
    secret: str = strawberry.field(description="The full token, for the Authorization header.")


@from_model(
    ApiToken,
    "A new API token of the request's workspace.",
    scopes="What the token may do; only scopes the caller holds.",
)
@strawberry.input
class ApiTokenCreateInput:
    name: str
    scopes: list[ApiScope]
    expires_at: datetime | None = None
    allowed_ips: list[str] = strawberry.field(
        default_factory=list, description="IP addresses or CIDR ranges; empty: anywhere."
    )


@from_model(
    ApiToken,
    "Which token gets a new secret, and how long the old one keeps working.",
    id="Global id of the token to roll.",
)
@strawberry.input
class ApiTokenRollInput:
    id: relay.GlobalID
    grace_hours: int = strawberry.field(
        default=24, description="How long the old secret keeps working (0 to 720 hours)."
    )


def _issued(issued: token_services.IssuedToken) -> IssuedApiToken:
    return IssuedApiToken(token=issued.token, secret=issued.plaintext)


def _manage():
    return requires(Scope.TOKENS_MANAGE)


@strawberry.type
class TokensQuery:
    api_tokens: DjangoListConnection[ApiTokenType] = strawberry_django.connection(
        extensions=_manage(), description="The workspace's API tokens (never their secrets)."
    )


@strawberry.type
class TokensMutation:
    @strawberry_django.mutation(
        description="Issue an API token of the request's workspace; its secret is shown once.",
        extensions=_manage(),
    )
    def api_token_create(self, info: Info, input: ApiTokenCreateInput) -> IssuedApiToken:
        access = get_access(info)
        issued = token_services.api_token_create(
            workspace=current_workspace(info),
            created_by=access.user if access.user.is_authenticated else None,
            grantable=access.token.scopes if access.token is not None else None,
            name=input.name,
            scopes=[str(scope) for scope in input.scopes],
            expires_at=input.expires_at,
            allowed_ips=input.allowed_ips,
        )
        return _issued(issued)

    @strawberry_django.mutation(
        description="Revoke an API token at once, old and rolled secrets alike.",
        extensions=_manage(),
    )
    def api_token_revoke(self, info: Info, id: relay.GlobalID) -> ApiTokenType:
        return token_services.api_token_revoke(token=load(info, id, ApiTokenType, field="id"))

    @strawberry_django.mutation(
        extensions=_manage(),
        description="Give the token a new secret; the old one works for graceHours more.",
    )
    def api_token_roll(self, info: Info, input: ApiTokenRollInput) -> IssuedApiToken:
        token = load(info, input.id, ApiTokenType, field="id")
        issued = token_services.api_token_roll(
            token=token, grace=timedelta(hours=input.grace_hours)
        )
        return _issued(issued)
