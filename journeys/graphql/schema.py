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
from workspaces.graphql.permissions import read_journeys


@strawberry.type
class JourneysQuery:
    personas: PersonaConnection = strawberry_django.connection(extensions=[read_journeys()])
    touchpoints: TouchpointConnection = strawberry_django.connection(extensions=[read_journeys()])
    milestones: MilestoneConnection = strawberry_django.connection(extensions=[read_journeys()])
    journey_maps: JourneyMapConnection = strawberry_django.connection(extensions=[read_journeys()])
    stages: StageConnection = strawberry_django.connection(extensions=[read_journeys()])

    persona: PersonaType | None = strawberry_django.node(extensions=[read_journeys()])
    touchpoint: TouchpointType | None = strawberry_django.node(extensions=[read_journeys()])
    milestone: MilestoneType | None = strawberry_django.node(extensions=[read_journeys()])
    journey_map: JourneyMapType | None = strawberry_django.node(extensions=[read_journeys()])
    stage: StageType | None = strawberry_django.node(extensions=[read_journeys()])
