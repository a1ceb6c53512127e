"""Inputs of the analytics API.

Report parameters name milestones and personas by their keys, not by global ids: the
parameters are stored as they are (on a report, and on a saved definition that runs for
months), keys are the stable business names the ingestion API and the CSV imports use
too, and result rows name what they credit by key. A key that the workspace does not
have is a field error (`not_found`), the same answer a key of another workspace gets.
Rows that a mutation changes (spend, definitions) are named by global id, as everywhere.
"""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from analytics.graphql.enums import (
    AttributionDimension,
    AttributionModel,
    MarkovState,
    PositionPreset,
    ReportSchedule,
)
from analytics.graphql.report_inputs import ReportParametersInput

UNSET = strawberry.UNSET


@strawberry.input(
    description="Parameters of an attribution report. Every field is optional: left out "
    "(or null), it takes its default. Milestones and the persona are named by key."
)
class AttributionReportInput(ReportParametersInput):
    models: list[AttributionModel] | None = strawberry.field(
        default=UNSET, description="The models to compute. Default: all."
    )
    conversion_milestones: list[str] | None = strawberry.field(
        default=UNSET,
        description="Keys of the milestones that count as conversions. Default: every "
        "milestone flagged as a conversion.",
    )
    lookback_days: int | None = strawberry.field(
        default=UNSET,
        description="Credit only touches at most this many days (1 to 3650) before the "
        "conversion. Default: no limit.",
    )
    conversions_from: datetime | None = strawberry.field(
        default=UNSET, description="Only conversions at or after this time. Default: all."
    )
    conversions_to: datetime | None = strawberry.field(
        default=UNSET, description="Only conversions before this time. Default: all."
    )
    persona: str | None = strawberry.field(
        default=UNSET, description="Key of a persona: only its accounts' journeys count."
    )
    dimensions: list[AttributionDimension] | None = strawberry.field(
        default=UNSET, description="What the rows are grouped by. Default: all."
    )
    half_life_days: float | None = strawberry.field(
        default=UNSET, description="Half-life of the time-decay model, in days. Default: 7."
    )
    position_preset: PositionPreset | None = strawberry.field(
        default=UNSET, description="Shares of the position-based model. Default: U_SHAPED."
    )
    position_first: float | None = strawberry.field(
        default=UNSET,
        description="The first touch's share (0 to 1), with positionLast instead of a preset.",
    )
    position_last: float | None = strawberry.field(
        default=UNSET,
        description="The last touch's share (0 to 1), with positionFirst instead of a preset.",
    )
    lead_milestone: str | None = strawberry.field(
        default=UNSET,
        description="Key of the milestone that makes an account a lead: the touch before "
        "it is a key position of the W-shaped and full-path models. Default: none.",
    )
    opportunity_milestone: str | None = strawberry.field(
        default=UNSET,
        description="Key of the milestone that makes an account an opportunity: the touch "
        "before it is a key position of the W-shaped and full-path models. Default: none.",
    )
    markov_order: int | None = strawberry.field(
        default=UNSET, description="Order of the Markov chain: 1, 2 or 3. Default: 1."
    )
    markov_state: MarkovState | None = strawberry.field(
        default=UNSET, description="What a state of the Markov chain is. Default: CHANNEL."
    )
    stage_version: int | None = strawberry.field(
        default=UNSET,
        description="Read every touch's STAGE under this version number of its persona's "
        "map. Default: under the version in force when the touch happened.",
    )


@strawberry.input
class ReportDefinitionCreateInput:
    name: str
    attribution: AttributionReportInput = strawberry.field(
        description="An attribution report with these parameters. Defaults are filled in "
        "at each run (e.g. the conversion milestones flagged then)."
    )
    schedule: ReportSchedule = strawberry.field(
        default=ReportSchedule.NONE, description="Run it daily or weekly, or only on demand."
    )
    next_run_at: datetime | None = strawberry.field(
        default=UNSET,
        description="When the first scheduled run is due (with a UTC offset). Default: now, "
        "so the scheduler runs it within 15 minutes.",
    )


@strawberry.input
class ReportDefinitionUpdateInput:
    id: relay.GlobalID
    name: str | None = UNSET
    attribution: AttributionReportInput | None = strawberry.field(
        default=UNSET,
        description="Replaces all the parameters (left-out ones: defaults; null: all defaults).",
    )
    schedule: ReportSchedule | None = UNSET
    next_run_at: datetime | None = strawberry.field(
        default=UNSET,
        description="When the next scheduled run is due. Default when a schedule is set "
        "and none was due: now.",
    )


@strawberry.input
class SpendCreateInput:
    touchpoint: relay.GlobalID | None = strawberry.field(
        default=None, description="The touchpoint the money was spent on."
    )
    campaign: str = strawberry.field(
        default="",
        description="The campaign (as interactions name it) the money was spent on; give "
        "a touchpoint, a campaign or both.",
    )
    period_start: date
    period_end: date = strawberry.field(description="Inclusive.")
    amount: Decimal = strawberry.field(description="At least 0; rounded to cents, half up.")
    currency: str = strawberry.field(default="", description="ISO 4217 code, e.g. EUR.")


@strawberry.input
class SpendUpdateInput:
    id: relay.GlobalID
    touchpoint: relay.GlobalID | None = UNSET
    campaign: str | None = UNSET
    period_start: date | None = UNSET
    period_end: date | None = UNSET
    amount: Decimal | None = UNSET
    currency: str | None = UNSET
