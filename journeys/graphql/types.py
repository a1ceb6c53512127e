from datetime import datetime
from decimal import Decimal

import strawberry
import strawberry_django
from strawberry import auto
from strawberry.scalars import JSON
from strawberry_django.relay import DjangoListConnection

from journeys import models
from journeys.graphql.enums import Channel, JourneyMapStatus, Phase, Seniority
from journeys.graphql.filters import (
    JourneyMapFilter,
    JourneyMapOrder,
    MilestoneFilter,
    MilestoneOrder,
    PersonaFilter,
    PersonaOrder,
    StageFilter,
    StageOrder,
    TouchpointFilter,
    TouchpointOrder,
)
from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode


@strawberry_django.type(
    models.Persona, name="Persona", filters=PersonaFilter, ordering=PersonaOrder
)
class PersonaType(WorkspaceNode):
    key: auto
    name: auto
    description: auto
    role: auto
    department: auto
    industry: auto
    headcount_band: auto
    revenue_band: auto
    region: auto
    goals: list[str]
    pain_points: list[str]
    objections: list[str]
    preferred_channels: list[Channel]
    matching_rules: JSON = strawberry_django.field(
        description='Which accounts fit this persona: {"priority": N, "match": CONDITION} '
        "(docs/analytics.md, Personas that assign themselves); {} for none."
    )
    created_at: auto
    updated_at: auto
    journey_maps: list["JourneyMapType"] = strawberry_django.field(
        description="The maps designed for this persona."
    )
    map_versions: list["JourneyMapVersionType"] = strawberry_django.field(
        description="Every published version of this persona's map, by number."
    )

    @strawberry_django.field(only=["seniority"], description="Seniority, or null when not set.")
    def seniority(self, root: models.Persona) -> Seniority | None:
        return Seniority(root.seniority) if root.seniority else None


@strawberry_django.type(
    models.Touchpoint, name="Touchpoint", filters=TouchpointFilter, ordering=TouchpointOrder
)
class TouchpointType(WorkspaceNode):
    # Observed activity names its touchpoints: readers of activity may read them too.
    read_scopes = (Scope.JOURNEYS_READ, Scope.ACCOUNTS_READ, Scope.ANALYTICS_READ)

    key: auto
    name: auto
    description: auto
    channel: Channel
    phase: Phase
    is_online: auto
    owner_team: auto
    created_at: auto
    updated_at: auto


@strawberry.type(
    description="When activity achieves the milestone: one kind of rule, as MilestoneRuleInput "
    "describes; the fields of the other kinds are null."
)
class MilestoneRule:
    touchpoint_key: str | None = strawberry.field(description="A touchpoint key.")
    min_count: int | None = strawberry.field(description="At least this often.")
    within_days: int | None = strawberry.field(description="All within this many days.")
    distinct_contacts: int | None = strawberry.field(
        description="At least this many different contacts of the account."
    )
    properties: JSON | None = strawberry.field(description="Property values to match.")
    feedback: str | None = strawberry.field(description="A feedback instrument.")
    min_score: float | None = strawberry.field(description="Scored at least.")
    max_score: float | None = strawberry.field(description="Scored at most.")
    all_of: list["MilestoneRule"] | None = strawberry.field(description="Every one holds.")
    any_of: list["MilestoneRule"] | None = strawberry.field(description="One of them holds.")

    @classmethod
    def of(cls, rule: dict) -> "MilestoneRule":
        def number(name: str) -> float | None:
            return None if rule.get(name) is None else float(rule[name])

        return cls(
            touchpoint_key=rule.get("touchpoint"),
            min_count=rule.get("min_count"),
            within_days=rule.get("within_days"),
            distinct_contacts=rule.get("distinct_contacts"),
            properties=rule.get("properties"),
            feedback=rule.get("feedback"),
            min_score=number("min_score"),
            max_score=number("max_score"),
            all_of=[cls.of(part) for part in rule["all"]] if "all" in rule else None,
            any_of=[cls.of(part) for part in rule["any"]] if "any" in rule else None,
        )


@strawberry_django.type(
    models.Milestone, name="Milestone", filters=MilestoneFilter, ordering=MilestoneOrder
)
class MilestoneType(WorkspaceNode):
    read_scopes = (Scope.JOURNEYS_READ, Scope.ACCOUNTS_READ, Scope.ANALYTICS_READ)

    key: auto
    name: auto
    description: auto
    is_conversion: auto
    value: Decimal | None
    created_at: auto
    updated_at: auto

    @strawberry_django.field(only=["rule"], description="The rule that derives it, if any.")
    def rule(self, root: models.Milestone) -> MilestoneRule | None:
        if not root.rule:
            return None
        return MilestoneRule.of(root.rule)


@strawberry_django.type(models.StageTouchpoint, name="StageTouchpoint")
class StageTouchpointType(WorkspaceNode):
    position: auto
    notes: auto
    touchpoint: TouchpointType


@strawberry_django.type(models.Stage, name="Stage", filters=StageFilter, ordering=StageOrder)
class StageType(WorkspaceNode):
    position: auto
    name: auto
    description: auto
    customer_goal: auto
    actions: list[str]
    thoughts: list[str]
    emotion_score: auto
    emotion_label: auto
    pain_points: list[str]
    opportunities: list[str]
    kpis: list[str]
    owner_team: auto
    expected_duration_days: auto
    created_at: auto
    updated_at: auto
    journey_map: "JourneyMapType"
    touchpoints: list[StageTouchpointType] = strawberry_django.field(
        field_name="touchpoint_placements",
        description="The touchpoints placed in this stage, in order, with notes.",
    )
    milestones: list[MilestoneType] = strawberry_django.field(
        field_name="exit_milestones", description="The milestones that mark this stage's exit."
    )


@strawberry_django.type(
    models.JourneyMap, name="JourneyMap", filters=JourneyMapFilter, ordering=JourneyMapOrder
)
class JourneyMapType(WorkspaceNode):
    name: auto
    description: auto
    status: JourneyMapStatus
    is_template: auto
    persona: PersonaType | None
    duplicated_from: "JourneyMapType | None"
    published_at: datetime | None
    archived_at: datetime | None
    created_at: auto
    updated_at: auto
    stages: list[StageType] = strawberry_django.field(description="The stages, in order.")
    versions: list["JourneyMapVersionType"] = strawberry_django.field(
        description="The versions this map was published as (usually one)."
    )


@strawberry_django.type(models.JourneyMapVersion, name="JourneyMapVersion")
class JourneyMapVersionType(WorkspaceNode):
    number: int = strawberry_django.field(description="1, 2, ... per persona, in publish order.")
    published_at: datetime = strawberry_django.field(description="When it was published.")
    live_until: datetime | None = strawberry_django.field(
        description="When the next version replaced it or its map was archived; null: live."
    )
    snapshot: JSON = strawberry_django.field(
        description="The map as published: name, stages with their lanes, touchpoint "
        "placements and exit milestones (docs/journeys.md)."
    )
    persona: PersonaType = strawberry_django.field(description="The persona whose map it is.")
    journey_map: JourneyMapType | None = strawberry_django.field(
        description="The map row that was published (null once that map is deleted)."
    )


PersonaConnection = DjangoListConnection[PersonaType]
TouchpointConnection = DjangoListConnection[TouchpointType]
MilestoneConnection = DjangoListConnection[MilestoneType]
JourneyMapConnection = DjangoListConnection[JourneyMapType]
StageConnection = DjangoListConnection[StageType]
JourneyMapVersionConnection = DjangoListConnection[JourneyMapVersionType]
