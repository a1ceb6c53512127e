"""Journey health over GraphQL: counts per stage and status of a map, and per week."""

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from accounts import selectors
from accounts.graphql.types import JourneyHealthStatus
from accounts.models import HealthStatus
from journeys.graphql.types import JourneyMapType, StageType
from journeys.models import JourneyMap
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires

MapArgument = Annotated[relay.GlobalID, strawberry.argument(description="The journey map.")]


def _journey_map(info: Info, global_id: relay.GlobalID) -> JourneyMap:
    """The named map of the request's workspace (accounts:read is enough to count its
    accounts), or an error on the argument."""
    node_id = global_id.node_id
    journey = None
    if global_id.type_name == "JourneyMap" and node_id.isdigit() and len(node_id) < 19:
        journey = JourneyMap.objects.filter(workspace=current_workspace(info), pk=node_id).first()
    if journey is None:
        raise GraphQLError(
            "Journey map not found.",
            extensions={"code": "NOT_FOUND", "argument": "journeyMap"},
        )
    return journey


@strawberry.type(description="How many accounts stand in one stage, by health status.")
class StageHealthCount:
    stage: StageType = strawberry.field(description="The stage.")
    on_track: int = strawberry.field(description="Accounts on track in the stage.")
    behind: int = strawberry.field(description="Accounts behind in the stage.")
    stuck: int = strawberry.field(description="Accounts stuck in the stage.")
    total: int = strawberry.field(description="All accounts currently in the stage.")

    @classmethod
    def of(cls, row: selectors.StageHealth) -> "StageHealthCount":
        return cls(
            stage=row.stage,
            on_track=row.counts[HealthStatus.ON_TRACK],
            behind=row.counts[HealthStatus.BEHIND],
            stuck=row.counts[HealthStatus.STUCK],
            total=row.total,
        )


@strawberry.type(description="Journey health of a map's accounts, per stage.")
class JourneyHealthSummary:
    journey_map: JourneyMapType = strawberry.field(description="The map.")
    stages: list[StageHealthCount] = strawberry.field(description="Every stage, in order.")

    @strawberry.field(description="Accounts on track in any stage of the map.")
    def on_track(self) -> int:
        return sum(row.on_track for row in self.stages)

    @strawberry.field(description="Accounts behind in any stage of the map.")
    def behind(self) -> int:
        return sum(row.behind for row in self.stages)

    @strawberry.field(description="Accounts stuck in any stage of the map.")
    def stuck(self) -> int:
        return sum(row.stuck for row in self.stages)

    @strawberry.field(description="All accounts placed in the map.")
    def total(self) -> int:
        return sum(row.total for row in self.stages)


@strawberry.type(description="How many accounts had a health status during one week.")
class JourneyHealthWeek:
    week_start: date = strawberry.field(description="The Monday the ISO week starts on (UTC).")
    accounts: int = strawberry.field(
        description="Accounts that had the status in the map at any time during the week."
    )


@strawberry.type
class JourneyHealthQuery:
    @strawberry.field(
        extensions=requires(Scope.ACCOUNTS_READ),
        description="How many accounts stand in each stage of a journey map, by status.",
    )
    def journey_health(
        self,
        info: Info,
        journey_map: MapArgument,
    ) -> JourneyHealthSummary:
        workspace = current_workspace(info)
        journey = _journey_map(info, journey_map)
        rows = selectors.journey_health_summary(workspace=workspace, journey_map=journey)
        return JourneyHealthSummary(
            journey_map=journey, stages=[StageHealthCount.of(row) for row in rows]
        )

    @strawberry.field(
        extensions=requires(Scope.ACCOUNTS_READ),
        description="Per ISO week, how many accounts of a journey map had a health status "
        "(e.g. how many were stuck each week), from the recorded status changes.",
    )
    def journey_health_weekly(
        self,
        info: Info,
        journey_map: MapArgument,
        status: Annotated[
            JourneyHealthStatus, strawberry.argument(description="The status to count.")
        ],
        since: Annotated[date, strawberry.argument(description="A day of the first week.")],
        weeks: Annotated[
            int, strawberry.argument(description=f"How many weeks, 1 to {selectors.MAX_WEEKS}.")
        ],
    ) -> list[JourneyHealthWeek]:
        if not 1 <= weeks <= selectors.MAX_WEEKS:
            raise GraphQLError(
                f"weeks must be between 1 and {selectors.MAX_WEEKS}.",
                extensions={"code": "OUT_OF_RANGE", "argument": "weeks"},
            )
        journey = _journey_map(info, journey_map)
        counts = selectors.accounts_per_week(
            workspace=current_workspace(info),
            journey_map=journey,
            status=HealthStatus(status.value),
            since=since,
            weeks=weeks,
        )
        return [JourneyHealthWeek(week_start=c.week_start, accounts=c.accounts) for c in counts]
