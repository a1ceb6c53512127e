import strawberry
import strawberry_django

from journeys.graphql.types import (
    JourneyMapConnection,
    JourneyMapType,
    MilestoneConnection,
    MilestoneType,
    PersonaConnection,
    PersonaType,
    StageConnection,
    StageType,
    TouchpointConnection,
    TouchpointType,
)
from workspaces.access import Scope
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
