"""Journey mutations: thin resolvers that load rows in the workspace and call services."""

from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from journeys import services
from journeys.graphql import inputs
from journeys.graphql.types import (
    JourneyMapType,
    MilestoneType,
    PersonaType,
    StageType,
    TouchpointType,
)
from workspaces.access import Scope
from workspaces.graphql.base import Deleted, current_workspace, input_data, load, load_many
from workspaces.graphql.permissions import requires


def _rule(data: dict) -> dict:
    """Store a typed rule input in the model's JSON shape."""
    rule = data.get("rule")
    if rule:
        data["rule"] = rule.to_json()
    return data


def _persona_ref(info: Info, data: dict) -> dict:
    if data.get("persona") is not None:
        data["persona"] = load(info, data["persona"], PersonaType, field="persona")
    return data


def _actor(info: Info):
    """The signed-in user who makes a change; None for API tokens."""
    user = info.context.request.user
    return user if user.is_authenticated else None


def _write():
    return requires(Scope.JOURNEYS_WRITE)


@strawberry.type
class JourneysMutation:
    @strawberry_django.mutation(extensions=_write())
    def persona_create(self, info: Info, input: inputs.PersonaCreateInput) -> PersonaType:
        return services.persona_create(workspace=current_workspace(info), **input_data(input))

    @strawberry_django.mutation(extensions=_write())
    def persona_update(self, info: Info, input: inputs.PersonaUpdateInput) -> PersonaType:
        persona = load(info, input.id, PersonaType, field="id")
        return services.persona_update(persona=persona, **input_data(input))

    @strawberry_django.mutation(extensions=_write())
    def persona_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.persona_delete(persona=load(info, id, PersonaType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(extensions=_write())
    def touchpoint_create(self, info: Info, input: inputs.TouchpointCreateInput) -> TouchpointType:
        return services.touchpoint_create(workspace=current_workspace(info), **input_data(input))

    @strawberry_django.mutation(extensions=_write())
    def touchpoint_update(self, info: Info, input: inputs.TouchpointUpdateInput) -> TouchpointType:
        touchpoint = load(info, input.id, TouchpointType, field="id")
        return services.touchpoint_update(touchpoint=touchpoint, **input_data(input))

    @strawberry_django.mutation(extensions=_write())
    def touchpoint_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.touchpoint_delete(touchpoint=load(info, id, TouchpointType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(extensions=_write())
    def milestone_create(self, info: Info, input: inputs.MilestoneCreateInput) -> MilestoneType:
        data = _rule(input_data(input))
        return services.milestone_create(workspace=current_workspace(info), **data)

    @strawberry_django.mutation(extensions=_write())
    def milestone_update(self, info: Info, input: inputs.MilestoneUpdateInput) -> MilestoneType:
        milestone = load(info, input.id, MilestoneType, field="id")
        return services.milestone_update(milestone=milestone, **_rule(input_data(input)))

    @strawberry_django.mutation(extensions=_write())
    def milestone_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.milestone_delete(milestone=load(info, id, MilestoneType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(extensions=_write())
    def journey_map_create(self, info: Info, input: inputs.JourneyMapCreateInput) -> JourneyMapType:
        return services.journey_map_create(
            workspace=current_workspace(info),
            created_by=_actor(info),
            **_persona_ref(info, input_data(input)),
        )

    @strawberry_django.mutation(extensions=_write())
    def journey_map_update(self, info: Info, input: inputs.JourneyMapUpdateInput) -> JourneyMapType:
        journey_map = load(info, input.id, JourneyMapType, field="id")
        return services.journey_map_update(
            journey_map=journey_map, **_persona_ref(info, input_data(input))
        )

    @strawberry_django.mutation(extensions=_write())
    def journey_map_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.journey_map_delete(journey_map=load(info, id, JourneyMapType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Publish a map as the next version of its persona's map: a snapshot is "
        "stored, the previously published map is archived.",
    )
    def journey_map_publish(self, info: Info, id: relay.GlobalID) -> JourneyMapType:
        journey_map = load(info, id, JourneyMapType, field="id")
        return services.journey_map_publish(journey_map=journey_map)

    @strawberry_django.mutation(extensions=_write())
    def journey_map_archive(self, info: Info, id: relay.GlobalID) -> JourneyMapType:
        journey_map = load(info, id, JourneyMapType, field="id")
        return services.journey_map_archive(journey_map=journey_map)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Deep-copy a map (or template) with its stages and placements as a draft.",
    )
    def journey_map_duplicate(
        self, info: Info, input: inputs.JourneyMapDuplicateInput
    ) -> JourneyMapType:
        source = load(info, input.id, JourneyMapType, field="id")
        return services.journey_map_duplicate(
            journey_map=source,
            created_by=_actor(info),
            **_persona_ref(info, input_data(input)),
        )

    @strawberry_django.mutation(
        extensions=_write(),
        description="A draft copy of a published map for the persona's next version: edit "
        "the draft, then publish it with journeyMapPublish.",
    )
    def journey_map_draft_from_published(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The published map's id.")],
    ) -> JourneyMapType:
        return services.journey_map_draft_from_published(
            journey_map=load(info, id, JourneyMapType, field="id"),
            created_by=_actor(info),
        )

    @strawberry_django.mutation(extensions=_write())
    def stage_create(self, info: Info, input: inputs.StageCreateInput) -> StageType:
        data = input_data(input, exclude=("journey_map",))
        journey_map = load(info, input.journey_map, JourneyMapType, field="journeyMap")
        return services.stage_create(journey_map=journey_map, **data)

    @strawberry_django.mutation(extensions=_write())
    def stage_update(self, info: Info, input: inputs.StageUpdateInput) -> StageType:
        stage = load(info, input.id, StageType, field="id")
        return services.stage_update(stage=stage, **input_data(input))

    @strawberry_django.mutation(
        extensions=_write(),
        description="Delete a stage; later stages close up.",
    )
    def stage_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.stage_delete(stage=load(info, id, StageType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Move a stage to a new position; the stages in between shift by one.",
    )
    def stage_move(self, info: Info, input: inputs.StageMoveInput) -> StageType:
        stage = load(info, input.id, StageType, field="id")
        return services.stage_move(stage=stage, position=input.position)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Make the stage's touchpoints exactly this ordered list.",
    )
    def stage_touchpoints_set(
        self, info: Info, input: inputs.StageTouchpointsSetInput
    ) -> StageType:
        stage = load(info, input.id, StageType, field="id")
        touchpoints = load_many(
            info,
            [item.touchpoint for item in input.touchpoints],
            TouchpointType,
            field="touchpoints",
        )
        placements = [
            services.TouchpointPlacement(touchpoint=touchpoint, notes=item.notes)
            for touchpoint, item in zip(touchpoints, input.touchpoints, strict=True)
        ]
        services.stage_touchpoints_set(stage=stage, placements=placements)
        return stage

    @strawberry_django.mutation(
        extensions=_write(),
        description="Make these milestones the stage's exit milestones.",
    )
    def stage_milestones_set(self, info: Info, input: inputs.StageMilestonesSetInput) -> StageType:
        stage = load(info, input.id, StageType, field="id")
        milestones = load_many(info, input.milestones, MilestoneType, field="milestones")
        services.stage_milestones_set(stage=stage, milestones=milestones)
        return stage
