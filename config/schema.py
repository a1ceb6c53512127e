"""The root GraphQL schema, assembled from each app's Query and Mutation."""

import strawberry
import strawberry_django
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry_django.optimizer import DjangoOptimizerExtension

from journeys.graphql.mutations import JourneysMutation
from journeys.graphql.schema import JourneysQuery
from workspaces.graphql.permissions import requires
from workspaces.graphql.schema import SessionMutation, WorkspacesQuery
from workspaces.graphql.tokens import TokensMutation, TokensQuery


@strawberry.type
class Query(WorkspacesQuery, TokensQuery, JourneysQuery):
    node: relay.Node | None = strawberry_django.node(
        extensions=requires(None),
        description="Any row of the request's workspace by its global id.",
    )


@strawberry.type
class Mutation(SessionMutation, TokensMutation, JourneysMutation):
    pass


class WaymarkSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        # Denials, bad queries and wrong credentials are answers, not faults: log only
        # exceptions the code did not mean to raise.
        unexpected = [
            error
            for error in errors
            if error.original_error is not None
            and not isinstance(error.original_error, GraphQLError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = WaymarkSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
        DjangoOptimizerExtension,
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
    ],
)
