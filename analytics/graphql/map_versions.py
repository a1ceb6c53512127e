"""The map versions report in the API: its input, its typed result and its request
mutation."""

from datetime import datetime
from typing import Any

import strawberry
import strawberry_django
from django.utils.dateparse import parse_datetime
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.funnel import FunnelStage
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.graphql.types import ReportType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires

UNSET = strawberry.UNSET


@strawberry.input(
    description="Parameters of a map versions report: every published version of a "
    "persona's map, each measured over its own live window. Optional fields take their "
    "defaults when left out (or null)."
)
class MapVersionsReportInput(ReportParametersInput):
    map_persona: str = strawberry.field(
        description="Key of the persona whose map versions to compare. A persona without "
        "a published version is a field error (not_published)."
    )
    stall_days: int | None = strawberry.field(
        default=UNSET,
        description="An account in a stage is stalled after this many days (1 to 3650) "
        "without activity before its version's window ended. Default: 90.",
    )
    retention_days: int | None = strawberry.field(
        default=UNSET,
        description="The length of a retention period in days (1 to 366). Default: 30.",
    )
    retention_period: int | None = strawberry.field(
        default=UNSET,
        description="Retention is measured in period k (0 to 120) after an account "
        "entered the map: an interaction k to k + 1 periods later. Default: 1.",
    )


@strawberry.type(description="A version's live window.")
class MapVersionWindow:
    start: datetime = strawberry.field(description="Its publish time (the window's start).")
    end: datetime = strawberry.field(
        description="The next publish, its map's archiving or the data cut-off (exclusive)."
    )
    days: float = strawberry.field(description="The window's length in days.")
    live: bool = strawberry.field(description="Still the live version at the cut-off.")


@strawberry.type(description="Accounts of the persona in a version's window.")
class MapVersionAccounts:
    entered: int = strawberry.field(description="Accounts that entered the first stage.")
    active: int = strawberry.field(description="Accounts with any activity in the window.")


@strawberry.type(description="A version's funnel, summed over its stages.")
class MapVersionFunnel:
    entered: int = strawberry.field(description="Stage entries in the window.")
    advanced: int = strawberry.field(description="Of those, advanced by the window's end.")
    conversion_rate: float | None = strawberry.field(
        description="advanced / entered; null without entries."
    )
    stalled: int = strawberry.field(description="Entries stalled at the window's end.")


@strawberry.type(description="How much of a version's activity happened off its map.")
class MapVersionOffMap:
    interactions: int = strawberry.field(description="The persona's interactions in the window.")
    off_map_interactions: int = strawberry.field(
        description="Of those, at a stage where the version did not place the touchpoint."
    )
    share: float | None = strawberry.field(
        description="offMapInteractions / interactions; null without interactions."
    )


@strawberry.type(description="Retention of the accounts a version's window brought in.")
class MapVersionRetention:
    eligible: int = strawberry.field(
        description="Accounts that entered in the window whose retention period ended by "
        "the cut-off."
    )
    retained: int = strawberry.field(description="Of those, active in the retention period.")
    rate: float | None = strawberry.field(description="retained / eligible; null if none.")


@strawberry.type(description="One map version measured over its live window.")
class MapVersionOutcome:
    number: int = strawberry.field(description="The version number.")
    map_name: str = strawberry.field(description="The map's name in that version.")
    window: MapVersionWindow = strawberry.field(description="Its live window.")
    accounts: MapVersionAccounts = strawberry.field(description="Account counts.")
    funnel: MapVersionFunnel = strawberry.field(description="The funnel's totals.")
    stages: list[FunnelStage] = strawberry.field(description="The funnel by the version's stages.")
    off_map: MapVersionOffMap = strawberry.field(description="The off-map share.")
    retention: MapVersionRetention = strawberry.field(description="Retention in period k.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "MapVersionOutcome":
        window, funnel = row["window"], row["funnel"]
        return cls(
            number=int(row["number"]),
            map_name=str(row["map_name"]),
            window=MapVersionWindow(
                start=parse_datetime(window["from"]),
                end=parse_datetime(window["to"]),
                days=float(window["days"]),
                live=bool(window["live"]),
            ),
            accounts=MapVersionAccounts(**row["accounts"]),
            funnel=MapVersionFunnel(**funnel),
            stages=[FunnelStage.of(stage) for stage in row["stages"]],
            off_map=MapVersionOffMap(**row["off_map"]),
            retention=MapVersionRetention(**row["retention"]),
        )


@strawberry.type(description="The result of a map versions report.")
class MapVersionsResult:
    persona: str = strawberry.field(description="The key of the persona.")
    stall_days: int = strawberry.field(description="The stall threshold used, in days.")
    retention_days: int = strawberry.field(description="The retention period's length.")
    retention_period: int = strawberry.field(description="The retention period measured (k).")
    versions: list[MapVersionOutcome] = strawberry.field(description="Every version, by number.")
    notes: list[str] = strawberry.field(
        description="Caveats, among them that the windows differ in time (seasonality)."
    )

    @classmethod
    def from_report(cls, report: models.Report) -> "MapVersionsResult | None":
        if (
            report.kind != models.ReportKind.MAP_VERSIONS
            or report.status != models.Report.Status.SUCCEEDED
            or not report.result
        ):
            return None
        result = report.result
        return cls(
            persona=str(result["persona"]),
            stall_days=int(result["stall_days"]),
            retention_days=int(result["retention"]["days"]),
            retention_period=int(result["retention"]["period"]),
            versions=[MapVersionOutcome.of(row) for row in result["versions"]],
            notes=[str(note) for note in result.get("notes") or []],
        )


@strawberry.type
class MapVersionsReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a map versions report: every published version of a "
        "persona's map, each measured over its live window. Answered at once, QUEUED, "
        "computed in the background: poll `report(id:)`. Bad parameters are field errors.",
    )
    def map_versions_report_request(self, info: Info, input: MapVersionsReportInput) -> ReportType:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.MAP_VERSIONS,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
