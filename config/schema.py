"""The root GraphQL schema, assembled from each app's Query and Mutation."""

import strawberry
import strawberry_django
from django.conf import settings
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry_django.optimizer import DjangoOptimizerExtension

from accounts.graphql.mutations import AccountsMutation
from accounts.graphql.scalars import SCALARS as ACCOUNT_SCALARS
from accounts.graphql.schema import AccountsQuery
from analytics.graphql.feedback import FeedbackReportMutation
from analytics.graphql.funnel import FunnelReportMutation
from analytics.graphql.map_fit import MapFitReportMutation
from analytics.graphql.map_versions import MapVersionsReportMutation
from analytics.graphql.mutations import AnalyticsMutation
from analytics.graphql.paths import PathsReportMutation
from analytics.graphql.retention import RetentionReportMutation
from analytics.graphql.schema import AnalyticsQuery
from config.limits import graphql_limits, is_unexpected
from config.schema_descriptions import describe_generated
from journeys.graphql.mutations import JourneysMutation
from journeys.graphql.schema import JourneysQuery
from notifications.graphql.schema import WebhooksMutation, WebhooksQuery
from workspaces.graphql.audit import AuditQuery
from workspaces.graphql.audit_extension import AuditLogExtension
from workspaces.graphql.base import CheckGlobalId
from workspaces.graphql.permissions import requires
from workspaces.graphql.scalars import SCALARS as WORKSPACE_SCALARS
from workspaces.graphql.schema import SessionMutation, WorkspacesQuery
from workspaces.graphql.tokens import TokensMutation, TokensQuery
from workspaces.observability import count_error

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


@strawberry.type(description="Reads: the request's workspace only, by what the caller may see.")
class Query(
    WorkspacesQuery,
    TokensQuery,
    AuditQuery,
    JourneysQuery,
    AccountsQuery,
    AnalyticsQuery,
    WebhooksQuery,
):
    node: relay.Node | None = strawberry_django.node(
        extensions=[*requires(None), CheckGlobalId()],
        description="Any row of the request's workspace by its global id.",
    )


@strawberry.type(
    description="Writes: each root mutation is one transaction, recorded in the audit log."
)
class Mutation(
    SessionMutation,
    TokensMutation,
    JourneysMutation,
    AccountsMutation,
    AnalyticsMutation,
    PathsReportMutation,
    FunnelReportMutation,
    MapFitReportMutation,
    MapVersionsReportMutation,
    RetentionReportMutation,
    FeedbackReportMutation,
    WebhooksMutation,
):
    pass


class OperationName(SchemaExtension):
    """Names the operation on the request, for its log line (waymark.request)."""

    def on_operation(self):
        yield
        request = getattr(self.execution_context.context, "request", None)
        if request is not None:
            try:
                name = self.execution_context.operation_name
            except Exception:  # a document that did not parse has no operation
                name = None
            request.graphql_operation = name or "(anonymous)"


class WaymarkSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        for error in errors:
            if is_unexpected(error):
                count_error("INTERNAL_ERROR")
                continue
            if not (error.extensions or {}).get("code"):
                # Syntax errors and documents that do not match the schema.
                error.extensions = {**(error.extensions or {}), "code": VALIDATION_FAILED}
            count_error(error.extensions["code"])
        # Denials, bad queries and wrong credentials are answers, not faults: log only
        # exceptions the code did not mean to raise.
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


if settings.GRAPHQL_OPENTELEMETRY:
    from strawberry.extensions.tracing import OpenTelemetryExtensionSync

    from workspaces.observability import configure_tracing

    configure_tracing()

schema = WaymarkSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
        OperationName,
        *([OpenTelemetryExtensionSync] if settings.GRAPHQL_OPENTELEMETRY else []),
        DjangoOptimizerExtension,
        AuditLogExtension,  # each root mutation: one transaction with its audit record
        *graphql_limits(),  # depth, aliases, tokens, lists, pages, introspection, masking
    ],
    config=StrawberryConfig(
        scalar_map={**WORKSPACE_SCALARS, **ACCOUNT_SCALARS},
        relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE,
        disable_field_suggestions=not settings.GRAPHQL_INTROSPECTION,
    ),
)
describe_generated(schema._schema)  # what strawberry generates; the rest is described in code
