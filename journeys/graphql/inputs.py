from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from journeys.graphql.enums import Channel, Phase, Seniority

UNSET = strawberry.UNSET


@strawberry.input
class PersonaFields:
    name: str | None = UNSET
    description: str | None = UNSET
    role: str | None = UNSET
    department: str | None = UNSET
    seniority: Seniority | None = UNSET
    industry: str | None = UNSET
    headcount_band: str | None = UNSET
    revenue_band: str | None = UNSET
    region: str | None = UNSET
    goals: list[str] | None = UNSET
    pain_points: list[str] | None = UNSET
    objections: list[str] | None = UNSET
    preferred_channels: list[Channel] | None = UNSET
    matching_rules: JSON | None = strawberry.field(
        default=UNSET,
        description='{"priority": N, "match": CONDITION}: the accounts it matches get it as '
        "their persona (unless set by hand). Checked against the grammar; try it first with "
        "personaMatchPreview.",
    )


@strawberry.input
class PersonaCreateInput(PersonaFields):
    key: str
    name: str


@strawberry.input
class PersonaUpdateInput(PersonaFields):
    id: relay.GlobalID
    key: str | None = UNSET


@strawberry.input
class TouchpointFields:
    description: str | None = UNSET
    is_online: bool | None = UNSET
    owner_team: str | None = UNSET


@strawberry.input
class TouchpointCreateInput(TouchpointFields):
    key: str
    name: str
    channel: Channel
    phase: Phase


@strawberry.input
class TouchpointUpdateInput(TouchpointFields):
    id: relay.GlobalID
    key: str | None = UNSET
    name: str | None = UNSET
    channel: Channel | None = UNSET
    phase: Phase | None = UNSET


@strawberry.input(
    description="When activity achieves the milestone. Give one kind: touchpointKey with "
    "minCount (and optionally withinDays, properties): touched at least minCount times "
    "within withinDays days; touchpointKey with distinctContacts (and optionally "
    "properties): that many different contacts touched it; feedback with minScore and/or "
    "maxScore: a response so scored; or allOf / anyOf: a basket of rules."
)
class MilestoneRuleInput:
    touchpoint_key: str | None = strawberry.field(default=None, description="A touchpoint key.")
    min_count: int | None = strawberry.field(default=None, description="At least this often.")
    within_days: int | None = strawberry.field(
        default=None, description="All within this many days. Left out: at any times."
    )
    distinct_contacts: int | None = strawberry.field(
        default=None, description="At least this many different contacts of the account."
    )
    properties: JSON | None = strawberry.field(
        default=None,
        description="Only interactions whose properties have these values (texts, whole "
        'numbers or booleans), e.g. {"plan": "pro"}.',
    )
    feedback: str | None = strawberry.field(
        default=None, description="A feedback instrument: nps, csat, ces or rating."
    )
    min_score: float | None = strawberry.field(default=None, description="Scored at least.")
    max_score: float | None = strawberry.field(default=None, description="Scored at most.")
    all_of: list["MilestoneRuleInput"] | None = strawberry.field(
        default=None, description="Every one of these rules holds (the last one decides when)."
    )
    any_of: list["MilestoneRuleInput"] | None = strawberry.field(
        default=None, description="One of these rules holds (the first one decides when)."
    )

    def to_json(self) -> dict:
        """The rule in the model's JSON shape (journeys.milestone_rules)."""
        if self.all_of is not None:
            return {"all": [part.to_json() for part in self.all_of]}
        if self.any_of is not None:
            return {"any": [part.to_json() for part in self.any_of]}
        names = {
            "touchpoint": self.touchpoint_key,
            "min_count": self.min_count,
            "within_days": self.within_days,
            "distinct_contacts": self.distinct_contacts,
            "properties": self.properties,
            "feedback": self.feedback,
            "min_score": self.min_score,
            "max_score": self.max_score,
        }
        return {name: value for name, value in names.items() if value is not None}


@strawberry.input
class MilestoneFields:
    description: str | None = UNSET
    is_conversion: bool | None = UNSET
    value: Decimal | None = UNSET
    rule: MilestoneRuleInput | None = UNSET


@strawberry.input
class MilestoneCreateInput(MilestoneFields):
    key: str
    name: str


@strawberry.input
class MilestoneUpdateInput(MilestoneFields):
    id: relay.GlobalID
    key: str | None = UNSET
    name: str | None = UNSET


@strawberry.input
class JourneyMapCreateInput:
    name: str
    persona: relay.GlobalID | None = None
    description: str | None = UNSET
    is_template: bool | None = UNSET


@strawberry.input
class JourneyMapUpdateInput:
    id: relay.GlobalID
    name: str | None = UNSET
    persona: relay.GlobalID | None = UNSET
    description: str | None = UNSET
    is_template: bool | None = UNSET


@strawberry.input
class JourneyMapDuplicateInput:
    id: relay.GlobalID
    name: str | None = strawberry.field(default=None, description="Defaults to '<name> (copy)'.")
    persona: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="Defaults to the source map's persona."
    )
    is_template: bool = False


@strawberry.input
class StageFields:
    description: str | None = UNSET
    customer_goal: str | None = UNSET
    actions: list[str] | None = UNSET
    thoughts: list[str] | None = UNSET
    emotion_score: int | None = UNSET
    emotion_label: str | None = UNSET
    pain_points: list[str] | None = UNSET
    opportunities: list[str] | None = UNSET
    kpis: list[str] | None = UNSET
    owner_team: str | None = UNSET
    expected_duration_days: int | None = UNSET


@strawberry.input
class StageCreateInput(StageFields):
    journey_map: relay.GlobalID
    name: str
    position: int | None = strawberry.field(
        default=None, description="1-based; defaults to after the last stage."
    )


@strawberry.input
class StageUpdateInput(StageFields):
    id: relay.GlobalID
    name: str | None = UNSET


@strawberry.input
class StageMoveInput:
    id: relay.GlobalID
    position: int = strawberry.field(description="The stage's new 1-based position.")


@strawberry.input
class TouchpointPlacementInput:
    touchpoint: relay.GlobalID
    notes: str = ""


@strawberry.input
class StageTouchpointsSetInput:
    id: relay.GlobalID = strawberry.field(description="The stage.")
    touchpoints: list[TouchpointPlacementInput] = strawberry.field(
        description="The stage's touchpoints, in order; at most 100."
    )


@strawberry.input
class StageMilestonesSetInput:
    id: relay.GlobalID = strawberry.field(description="The stage.")
    milestones: list[relay.GlobalID] = strawberry.field(
        description="The milestones that mark the stage's exit."
    )
