"""Reads of journey health: counts per stage and status now, and per week from the
recorded changes."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Window
from django.db.models.functions import Lead

from accounts.models import AccountStage, AccountStageChange, HealthStatus
from journeys.models import JourneyMap, Stage
from workspaces.models import Workspace

MAX_WEEKS = 104


@dataclass(frozen=True)
class StageHealth:
    stage: Stage
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def journey_health_summary(*, workspace: Workspace, journey_map: JourneyMap) -> list[StageHealth]:
    """How many accounts stand in each stage of the map, by health status (every stage,
    in order, with zeros where there are none)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        AccountStage.objects.filter(workspace=workspace, journey_map=journey_map)
        .order_by()
        .values("stage_id", "status")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "status", "n")
    )
    for stage_id, status, n in rows:
        counts[stage_id][status] = n
    stages = Stage.objects.filter(workspace=workspace, journey_map=journey_map).order_by("position")
    return [
        StageHealth(stage, {s.value: counts[stage.pk].get(s.value, 0) for s in HealthStatus})
        for stage in stages
    ]


@dataclass(frozen=True)
class WeekCount:
    week_start: date
    accounts: int


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def accounts_per_week(
    *,
    workspace: Workspace,
    journey_map: JourneyMap,
    status: HealthStatus,
    since: date,
    weeks: int,
) -> list[WeekCount]:
    """For each of `weeks` ISO weeks from the week of `since`: how many accounts had the
    status in the map at any time during the week, from the recorded changes."""
    first = week_start(since)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = start + timedelta(weeks=weeks)
    # Each change to the status lasts until the account's next change in the map.
    periods = (
        AccountStageChange.objects.filter(workspace=workspace, journey_map=journey_map)
        .order_by()
        .annotate(
            until=Window(
                Lead("changed_at"),
                partition_by=[F("account_id")],
                order_by=[F("changed_at").asc(), F("id").asc()],
            )
        )
        .values_list("account_id", "status", "changed_at", "until")
    )
    seen: list[set[int]] = [set() for _ in range(weeks)]
    for account_id, period_status, since_at, until in periods:
        if period_status != status or since_at >= end or (until is not None and until <= start):
            continue
        if until is not None and until <= since_at:
            continue  # superseded at the same moment: never in effect
        first_week = max(0, (since_at - start).days // 7)
        last_moment = min(end, until) if until is not None else end
        last_week = min(weeks - 1, ((last_moment - start).total_seconds() - 1e-6) // (7 * 86400))
        for week in range(first_week, int(last_week) + 1):
            seen[week].add(account_id)
    return [
        WeekCount(first + timedelta(weeks=index), len(accounts))
        for index, accounts in enumerate(seen)
    ]
