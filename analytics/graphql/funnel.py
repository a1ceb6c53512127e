"""The funnel report in the API: its input, its typed result and its request mutation.

The lead mounts `FunnelReportMutation` in the schema and adds a `Report.funnel` field
that returns `FunnelResult.from_report(report)`.
"""

from datetime import datetime
from typing import Any

import strawberry
import strawberry_django
from django.utils.dateparse import parse_datetime
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.graphql.types import ReportType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires

UNSET = strawberry.UNSET


@strawberry.input(
    description="Parameters of a stage funnel report. The journey map is named by the key "
    "of the persona whose published map it is; the other fields are optional and take "
    "their defaults when left out (or null)."
)
class FunnelReportInput(ReportParametersInput):
    map_persona: str = strawberry.field(
        description="Key of the persona whose PUBLISHED journey map gives the stages. A "
        "persona without a published map is a field error (not_published)."
    )
    stall_days: int | None = strawberry.field(
        default=UNSET,
        description="An account is stalled (and a converted one churned) after this many "
        "days (1 to 3650) without any activity. Default: 90.",
    )
    as_of: datetime | None = strawberry.field(
        default=UNSET,
        description="Measure the funnel at this time (with a UTC offset): only events that "
        "occurred by then count, and inactivity is counted back from it. Default: the "
        "report's data cut-off.",
    )
    by_persona: bool | None = strawberry.field(
        default=UNSET,
        description="Also give the stages per persona of the accounts. Default: false.",
    )
    map_version: int | None = strawberry.field(
        default=UNSET,
        description="Pin this version number of the persona's map: its stages, and every "
        "achievement read under it. Default: the latest version's stages, each achievement "
        "read under the version in force when it happened.",
    )


@strawberry.type(description="One stage of a funnel: who entered, advanced, stalled, churned.")
class FunnelStage:
    stage_id: str = strawberry.field(description="The stage's database id.")
    position: int
    name: str
    entered: int = strawberry.field(description="Accounts that entered the stage.")
    advanced: int = strawberry.field(
        description="Accounts that reached an exit milestone of the stage or of a later one."
    )
    in_stage: int = strawberry.field(description="entered - advanced: still in the stage.")
    conversion_rate: float | None = strawberry.field(
        description="advanced / entered; null when no account entered."
    )
    skipped: int = strawberry.field(
        description="Accounts that went through the stage at the instant they entered it "
        "(a later stage's exit milestone moved them on): counted as entered and advanced, "
        "left out of the times."
    )
    median_days: float | None = strawberry.field(
        description="Median days in the stage of the accounts that advanced (not skipped)."
    )
    p90_days: float | None = strawberry.field(
        description="90th percentile of the same days (linear interpolation)."
    )
    timed: int = strawberry.field(description="How many accounts the times are of.")
    stalled: int = strawberry.field(
        description="Entered, not advanced, no activity for stallDays before asOf."
    )
    churned: int = strawberry.field(
        description="Converted accounts, currently in this stage, with no activity for "
        "stallDays before asOf."
    )
    value_lost: float = strawberry.field(description="The churned accounts' conversion value.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "FunnelStage":
        rate = row.get("conversion_rate")
        median, p90 = row.get("median_days"), row.get("p90_days")
        return cls(
            stage_id=str(row["stage_id"]),
            position=int(row["position"]),
            name=str(row.get("name") or ""),
            entered=int(row.get("entered") or 0),
            advanced=int(row.get("advanced") or 0),
            in_stage=int(row.get("in_stage") or 0),
            conversion_rate=None if rate is None else float(rate),
            skipped=int(row.get("skipped") or 0),
            median_days=None if median is None else float(median),
            p90_days=None if p90 is None else float(p90),
            timed=int(row.get("timed") or 0),
            stalled=int(row.get("stalled") or 0),
            churned=int(row.get("churned") or 0),
            value_lost=float(row.get("value_lost") or 0),
        )


@strawberry.type(description="The funnel of the accounts of one persona.")
class FunnelPersona:
    persona: str = strawberry.field(description='Persona key; "" for accounts without one.')
    label: str
    stages: list[FunnelStage]


@strawberry.type(description="The journey map a funnel was computed on.")
class FunnelJourneyMap:
    id: str = strawberry.field(description="The map's database id.")
    name: str
    persona: str = strawberry.field(description="Key of the persona it is published for.")
    version: int | None = strawberry.field(
        description="The map version whose stages the funnel lays out."
    )


@strawberry.type(description="The funnel's totals.")
class FunnelTotals:
    accounts: int = strawberry.field(description="Accounts that entered the first stage.")
    churned: int
    value_lost: float


@strawberry.type(description="The result of a stage funnel report.")
class FunnelResult:
    journey_map: FunnelJourneyMap
    as_of: datetime
    stall_days: int
    totals: FunnelTotals
    stages: list[FunnelStage] = strawberry.field(description="Every stage, by position.")
    personas: list[FunnelPersona] = strawberry.field(
        description="Per persona when byPersona was asked; empty otherwise."
    )

    @classmethod
    def from_report(cls, report: models.Report) -> "FunnelResult | None":
        if (
            report.kind != models.ReportKind.FUNNEL
            or report.status != models.Report.Status.SUCCEEDED
            or report.result is None
        ):
            return None
        result = report.result
        journey_map = result.get("journey_map") or {}
        totals = result.get("totals") or {}
        return cls(
            journey_map=FunnelJourneyMap(
                id=str(journey_map.get("id") or ""),
                name=str(journey_map.get("name") or ""),
                persona=str(journey_map.get("persona") or ""),
                version=journey_map.get("version"),
            ),
            as_of=parse_datetime(result["as_of"]),
            stall_days=int(result.get("stall_days") or 0),
            totals=FunnelTotals(
                accounts=int(totals.get("accounts") or 0),
                churned=int(totals.get("churned") or 0),
                value_lost=float(totals.get("value_lost") or 0),
            ),
            stages=[FunnelStage.of(row) for row in result.get("stages") or []],
            personas=[
                FunnelPersona(
                    persona=str(entry.get("persona") or ""),
                    label=str(entry.get("label") or ""),
                    stages=[FunnelStage.of(row) for row in entry.get("stages") or []],
                )
                for entry in result.get("personas") or []
            ],
        )


@strawberry.type
class FunnelReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a stage funnel report on a persona's published journey map. "
        "It is answered at once, QUEUED, and computed in the background: poll "
        "`report(id:)` for its status and progress. Bad parameters (among them a persona "
        "without a published map) are field errors, and nothing is queued.",
    )
    def funnel_report_request(self, info: Info, input: FunnelReportInput) -> ReportType:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.FUNNEL,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
