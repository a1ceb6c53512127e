"""Map fit reports in GraphQL: the request input and mutation, and the result typed.

The lead mounts `MapFitReportMutation` and adds `Report.mapFit` resolving to
`MapFitResult.from_report(report)`. analytics/map_fit/report.py documents the stored JSON.
"""

from datetime import datetime
from typing import Any

import strawberry
import strawberry_django
from strawberry import UNSET, relay
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.graphql.types import ReportType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires


@strawberry.input(
    description="Parameters of a map fit report: a published journey map against the "
    "accounts of its persona. Left-out (or null) optional fields take their defaults."
)
class MapFitReportInput(ReportParametersInput):
    journey_map: relay.GlobalID = strawberry.field(
        description="The published journey map to fit (other maps are refused)."
    )
    period_from: datetime | None = strawberry.field(
        default=UNSET, description="Only activity at or after this time. Default: all."
    )
    period_to: datetime | None = strawberry.field(
        default=UNSET,
        description="Only activity before this time. Default (and at the latest): the "
        "report's data cut-off.",
    )
    stall_days: int | None = strawberry.field(
        default=UNSET,
        description="Days without activity or advancing after which an account in a stage "
        "counts as stalled (1 to 3650). Default: 90.",
    )
    map_version: int | None = strawberry.field(
        default=UNSET,
        description="Pin this version number of the persona's map: its stages and "
        "placements, every event read under it. Default: the given map's stages, each "
        "event read under the version in force when it happened.",
    )


@strawberry.type(name="MapFitStage", description="A stage of the fitted map.")
class MapFitStage:
    id: relay.GlobalID
    position: int
    name: str

    @classmethod
    def of(cls, row: dict[str, Any], prefix: str = "stage") -> "MapFitStage":
        return cls(
            id=relay.GlobalID("Stage", str(row[f"{prefix}_id"])),
            position=int(row[f"{prefix}_position"]),
            name=str(row[f"{prefix}_name"]),
        )


@strawberry.type(name="MapFitTouchpoint", description="A touchpoint of a map fit row.")
class MapFitTouchpoint:
    id: relay.GlobalID
    key: str
    name: str
    channel: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> "MapFitTouchpoint":
        return cls(
            id=relay.GlobalID("Touchpoint", str(row["touchpoint_id"])),
            key=str(row["touchpoint_key"]),
            name=str(row["touchpoint_name"]),
            channel=str(row["channel"]),
        )


@strawberry.type(
    description="A touchpoint used at a stage where the map does not place it: accounts "
    "interacted with it while they were at that stage."
)
class MapFitOffMapRow:
    stage: MapFitStage
    touchpoint: MapFitTouchpoint
    interactions: int
    accounts: int = strawberry.field(description="Distinct accounts behind the interactions.")


@strawberry.type(description="A touchpoint placed at a stage with no interaction there.")
class MapFitUnusedRow:
    stage: MapFitStage
    touchpoint: MapFitTouchpoint
    interactions_elsewhere: int = strawberry.field(
        description="Interactions with it at other stages in the period."
    )


@strawberry.type(
    description="Accounts that first reached an exit milestone of `reached` (in the "
    "period) before reaching any exit milestone of the earlier stage `expected`."
)
class MapFitOutOfOrderRow:
    expected: MapFitStage
    reached: MapFitStage
    accounts: int
    reached_later: int = strawberry.field(
        description="Of them, those that reached the earlier stage's exit afterwards "
        "(the rest skipped it so far)."
    )


@strawberry.type(
    description="A stage's designed emotion beside its measured stall rate and the emotion "
    "its customers' feedback shows."
)
class MapFitStageRow:
    stage: MapFitStage
    emotion_score: int | None = strawberry.field(description="Designed, from -5 to 5.")
    emotion_label: str
    entered: int = strawberry.field(description="Accounts at the stage during the period.")
    stalled: int = strawberry.field(
        description="Of them, still there at the period's end without activity for stallDays."
    )
    stall_rate: float | None = strawberry.field(description="stalled / entered; null if 0.")
    measured_score: float | None = strawberry.field(
        description="The mean of the scored feedback responses (NPS, CSAT, CES, ratings) given "
        "while accounts were at the stage in the period, each mapped linearly from its scale "
        "onto -5 to 5; null without responses."
    )
    measured_responses: int = strawberry.field(description="The responses behind it.")
    emotion_gap: float | None = strawberry.field(
        description="measuredScore - emotionScore: below 0, customers feel worse than designed."
    )


@strawberry.type(description="How the period's data fits the map.")
class MapFitTotals:
    accounts: int = strawberry.field(description="Accounts of the map's persona.")
    interactions: int = strawberry.field(description="Their interactions in the period.")
    off_map_interactions: int


@strawberry.type(description="The result of a map fit report.")
class MapFitResult:
    journey_map: relay.GlobalID
    journey_map_name: str
    persona: str = strawberry.field(description="The key of the map's persona.")
    version: int | None = strawberry.field(
        description="The map version whose stages the result lays out."
    )
    period_from: datetime | None
    period_to: datetime = strawberry.field(
        description="The period's end: periodTo or the data cut-off, whichever is earlier."
    )
    stall_days: int
    totals: MapFitTotals
    off_map: list[MapFitOffMapRow]
    unused: list[MapFitUnusedRow]
    out_of_order: list[MapFitOutOfOrderRow]
    stages: list[MapFitStageRow]

    @classmethod
    def from_report(cls, report: models.Report) -> "MapFitResult | None":
        if (
            report.kind != models.ReportKind.MAP_FIT
            or report.status != models.Report.Status.SUCCEEDED
            or not report.result
        ):
            return None
        return cls.of(report.result)

    @classmethod
    def of(cls, result: dict[str, Any]) -> "MapFitResult":
        journey_map = result["journey_map"]
        period = result["period"]
        totals = result["totals"]
        return cls(
            journey_map=relay.GlobalID.from_id(journey_map["id"]),
            journey_map_name=str(journey_map["name"]),
            persona=str(journey_map["persona"]),
            version=journey_map.get("version"),
            period_from=datetime.fromisoformat(period["from"]) if period.get("from") else None,
            period_to=datetime.fromisoformat(period["to"]),
            stall_days=int(result["stall_days"]),
            totals=MapFitTotals(
                accounts=int(totals["accounts"]),
                interactions=int(totals["interactions"]),
                off_map_interactions=int(totals["off_map_interactions"]),
            ),
            off_map=[
                MapFitOffMapRow(
                    stage=MapFitStage.of(row),
                    touchpoint=MapFitTouchpoint.of(row),
                    interactions=int(row["interactions"]),
                    accounts=int(row["accounts"]),
                )
                for row in result["off_map"]
            ],
            unused=[
                MapFitUnusedRow(
                    stage=MapFitStage.of(row),
                    touchpoint=MapFitTouchpoint.of(row),
                    interactions_elsewhere=int(row["interactions_elsewhere"]),
                )
                for row in result["unused"]
            ],
            out_of_order=[
                MapFitOutOfOrderRow(
                    expected=MapFitStage.of(row, "expected_stage"),
                    reached=MapFitStage.of(row, "reached_stage"),
                    accounts=int(row["accounts"]),
                    reached_later=int(row["reached_later"]),
                )
                for row in result["out_of_order"]
            ],
            stages=[
                MapFitStageRow(
                    stage=MapFitStage.of(row),
                    emotion_score=row["emotion_score"],
                    emotion_label=str(row["emotion_label"]),
                    entered=int(row["entered"]),
                    stalled=int(row["stalled"]),
                    stall_rate=row["stall_rate"],
                    # Results stored before the measured columns existed have none.
                    measured_score=row.get("measured_score"),
                    measured_responses=int(row.get("measured_responses", 0)),
                    emotion_gap=row.get("emotion_gap"),
                )
                for row in result["stages"]
            ],
        )


@strawberry.type
class MapFitReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a map fit report: a published journey map against the "
        "accounts of its persona. It is answered at once, QUEUED, and computed in the "
        "background: poll `report(id:)`. Bad parameters (a map that is not published, "
        "say) are field errors, and nothing is queued.",
    )
    def map_fit_report_request(self, info: Info, input: MapFitReportInput) -> ReportType:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.MAP_FIT,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
