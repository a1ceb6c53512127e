"""The root GraphQL schema, assembled from each app's Query and Mutation."""

import strawberry
import strawberry_django
from django.conf import settings
from graphql import GraphQLError
from strawberry import relay
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
from journeys.graphql.mutations import JourneysMutation
from journeys.graphql.schema import JourneysQuery
from workspaces.graphql.audit import AuditQuery
from workspaces.graphql.audit_extension import AuditLogExtension
from workspaces.graphql.base import CheckGlobalId
from workspaces.graphql.permissions import requires
from workspaces.graphql.scalars import SCALARS as WORKSPACE_SCALARS
from workspaces.graphql.schema import SessionMutation, WorkspacesQuery
from workspaces.graphql.tokens import TokensMutation, TokensQuery


@strawberry.type
class Query(WorkspacesQuery, TokensQuery, AuditQuery, JourneysQuery, AccountsQuery, AnalyticsQuery):
    node: relay.Node | None = strawberry_django.node(
        extensions=[*requires(None), CheckGlobalId()],
        description="Any row of the request's workspace by its global id.",
    )


@strawberry.type
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
):
    pass


class WaymarkSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        # Denials, bad queries and wrong credentials are answers, not faults: log only
        # exceptions the code did not mean to raise.
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = WaymarkSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
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
