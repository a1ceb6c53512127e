from typing import Annotated

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from journeys.graphql.types import (
    JourneyMapConnection,
    JourneyMapType,
    JourneyMapVersionConnection,
    JourneyMapVersionType,
    MilestoneConnection,
    MilestoneType,
    PersonaConnection,
    PersonaType,
    StageConnection,
    StageType,
    TouchpointConnection,
    TouchpointType,
)
from journeys.graphql.versions import VersionDiffType, diff_type
from workspaces.access import Scope
from workspaces.graphql.base import load
from workspaces.graphql.permissions import requires


def _read():
    return requires(Scope.JOURNEYS_READ)


@strawberry.type
class JourneysQuery:
    personas: PersonaConnection = strawberry_django.connection(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    touchpoints: TouchpointConnection = strawberry_django.connection(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    milestones: MilestoneConnection = strawberry_django.connection(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    journey_maps: JourneyMapConnection = strawberry_django.connection(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    stages: StageConnection = strawberry_django.connection(extensions=_read())

    persona: PersonaType | None = strawberry_django.node(extensions=_read())
    touchpoint: TouchpointType | None = strawberry_django.node(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    milestone: MilestoneType | None = strawberry_django.node(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    journey_map: JourneyMapType | None = strawberry_django.node(
        extensions=requires(Scope.JOURNEYS_READ)
    )
    stage: StageType | None = strawberry_django.node(extensions=_read())
    journey_map_versions: JourneyMapVersionConnection = strawberry_django.connection(
        extensions=_read(), description="Published versions of the personas' maps."
    )
    journey_map_version: JourneyMapVersionType | None = strawberry_django.node(
        extensions=_read(), description="One map version by id."
    )

    @strawberry.field(
        extensions=_read(),
        description="What changed from map version a to map version b: stages added, "
        "removed, moved and renamed, lane changes, placements and exit milestones.",
    )
    def journey_map_version_diff(
        self,
        info: Info,
        a: Annotated[relay.GlobalID, strawberry.argument(description="The earlier version's id.")],
        b: Annotated[relay.GlobalID, strawberry.argument(description="The later version's id.")],
    ) -> VersionDiffType:
        try:
            versions = [
                load(info, a, JourneyMapVersionType, field="a"),
                load(info, b, JourneyMapVersionType, field="b"),
            ]
        except ValidationError as error:
            # A query has no payload for field errors: a GraphQL error carries the code.
            [(field, [problem])] = error.error_dict.items()
            raise GraphQLError(
                problem.message, extensions={"code": problem.code, "field": field}
            ) from error
        return diff_type(*versions)
