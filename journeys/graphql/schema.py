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
        description="The workspace's personas.", extensions=requires(Scope.JOURNEYS_READ)
    )
    touchpoints: TouchpointConnection = strawberry_django.connection(
        description="The workspace's touchpoint catalogue.",
        extensions=requires(Scope.JOURNEYS_READ),
    )
    milestones: MilestoneConnection = strawberry_django.connection(
        description="The workspace's milestone catalogue.", extensions=requires(Scope.JOURNEYS_READ)
    )
    journey_maps: JourneyMapConnection = strawberry_django.connection(
        description="The workspace's journey maps (drafts, published, archived, templates).",
        extensions=requires(Scope.JOURNEYS_READ),
    )
    stages: StageConnection = strawberry_django.connection(
        description="Stages of the workspace's journey maps.", extensions=_read()
    )

    persona: PersonaType | None = strawberry_django.node(
        description="One persona by its global id; null when there is none in this workspace.",
        extensions=_read(),
    )
    touchpoint: TouchpointType | None = strawberry_django.node(
        description="One touchpoint by its global id; null when there is none in this workspace.",
        extensions=requires(Scope.JOURNEYS_READ),
    )
    milestone: MilestoneType | None = strawberry_django.node(
        description="One milestone by its global id; null when there is none in this workspace.",
        extensions=requires(Scope.JOURNEYS_READ),
    )
    journey_map: JourneyMapType | None = strawberry_django.node(
        description="One journey map by its global id; null when there is none in this workspace.",
        extensions=requires(Scope.JOURNEYS_READ),
    )
    stage: StageType | None = strawberry_django.node(
        description="One stage by its global id; null when there is none in this workspace.",
        extensions=_read(),
    )
