"""Where each account stands in its persona's published journey map.

An account is placed in a map when it has a persona, the persona has a published map with
at least one stage, and the account has activity (an interaction or an achievement, or a
first_seen_at). With the map's stages ordered by position, the account is in the stage
after the furthest stage one of whose exit milestones it has achieved - in any order, so an
achievement that skips stages moves it past them, and an earlier stage's exit reached later
does not move it back. Having achieved an exit milestone of the last stage keeps it in the
last stage. Without any exit milestone achieved it is in the first stage.

entered_at is the earliest achievement of an exit milestone that places the account in its
current stage or beyond (an exit milestone of the stage before it, or of the last stage
when it is in the last); in the first stage it is the account's first_seen_at, else its
first interaction or achievement.

AccountStage rows are derived data: each run writes the rows of the accounts it processes
and removes their rows for maps that are no longer their persona's published map. Each row
also carries the account's journey health there (accounts/health.py). Every change of
stage or status is recorded as an AccountStageChange, and once the batch commits the
`stage_entered` and `stage_status_changed` signals announce them (accounts/signals.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts import signals
from accounts.batches import for_each_account_batch
from accounts.health import Health, Thresholds, assess, transitions, workspace_thresholds
from accounts.models import (
    Account,
    AccountStage,
    AccountStageChange,
    HealthStatus,
    Interaction,
    MilestoneAchievement,
)
from journeys.models import JourneyMap, Stage, StageMilestone
from workspaces.models import Workspace


@dataclass
class MapPlan:
    """A published map as the stage computation needs it."""

    journey_map_id: int
    stage_ids: list[int] = field(default_factory=list)  # by position
    expected_days: list[int | None] = field(default_factory=list)  # by position
    exit_index: dict[int, int] = field(default_factory=dict)  # milestone -> index of stage


def published_plans(workspace: Workspace) -> dict[int, MapPlan]:
    """The published maps that have stages, by persona id (two queries)."""
    plans: dict[int, MapPlan] = {}
    by_map: dict[int, MapPlan] = {}
    stages = (
        Stage.objects.filter(
            workspace=workspace,
            journey_map__status=JourneyMap.Status.PUBLISHED,
            journey_map__persona__isnull=False,
        )
        .order_by("journey_map_id", "position")
        .values_list("pk", "journey_map_id", "journey_map__persona_id", "expected_duration_days")
    )
    stage_index = {}
    for stage_id, map_id, persona_id, expected_days in stages:
        plan = plans.setdefault(persona_id, MapPlan(map_id))
        by_map[map_id] = plan
        stage_index[stage_id] = len(plan.stage_ids)
        plan.stage_ids.append(stage_id)
        plan.expected_days.append(expected_days)
    exits = (
        StageMilestone.objects.filter(workspace=workspace, journey_map_id__in=list(by_map))
        .order_by()
        .values_list("journey_map_id", "stage_id", "milestone_id")
    )
    for map_id, stage_id, milestone_id in exits:
        if stage_id in stage_index:
            by_map[map_id].exit_index[milestone_id] = stage_index[stage_id]
    return plans


def place(
    plan: MapPlan, first_activity: datetime | None, reached: dict[int, datetime]
) -> tuple[int, datetime] | None:
    """(stage id, entered_at) of an account, from the earliest time it achieved each exit
    milestone of the map (`reached`: stage index -> time); None without any activity.

    entered_at is when the stage the account had reached so far first became the current
    one: the first activity for the first stage, else the earliest achievement of an exit
    milestone of the stage before the current one or of any later stage."""
    current = min(max(reached) + 1, len(plan.stage_ids) - 1) if reached else 0
    if current == 0:
        entered_at = first_activity or min(reached.values(), default=None)
    else:
        entered_at = min(at for index, at in reached.items() if index >= current - 1)
    return None if entered_at is None else (plan.stage_ids[current], entered_at)


def finished(plan: MapPlan, reached: dict[int, datetime]) -> bool:
    """Whether the account reached an exit milestone of the map's last stage."""
    return bool(reached) and max(reached) >= len(plan.stage_ids) - 1


def recompute_stages(*, workspace: Workspace, account_ids=None, now: datetime | None = None) -> int:
    """Recompute the current stages and health of these accounts (None: all of the
    workspace's) as of `now`; returns how many AccountStage rows were created, changed or
    removed."""
    plans = published_plans(workspace)
    thresholds = workspace_thresholds(workspace)
    now = now or timezone.now()
    return for_each_account_batch(
        workspace, account_ids, lambda ids: _apply(workspace, plans, thresholds, now, ids)
    )


def _edge(model, workspace: Workspace, order: str):
    return Subquery(
        model.objects.filter(workspace=workspace, account=OuterRef("pk"))
        .order_by(order)
        .values("occurred_at")[:1]
    )


def _apply(
    workspace: Workspace,
    plans: dict[int, MapPlan],
    thresholds: Thresholds,
    now: datetime,
    account_ids: list[int],
) -> int:
    last_interaction = _edge(Interaction, workspace, "-occurred_at")
    last_achievement = _edge(MilestoneAchievement, workspace, "-occurred_at")
    accounts = {
        pk: (plans[persona_id], first_activity, last_activity)
        for pk, persona_id, first_activity, last_activity in Account.objects.filter(
            pk__in=account_ids, persona_id__in=list(plans)
        )
        .order_by()
        .annotate(
            first_activity=Coalesce(
                "first_seen_at",
                _edge(Interaction, workspace, "occurred_at"),
                _edge(MilestoneAchievement, workspace, "occurred_at"),
            ),
            # Greatest is NULL on SQLite as soon as one side is: pair each with the other.
            last_activity=Greatest(
                Coalesce(last_interaction, last_achievement),
                Coalesce(last_achievement, last_interaction),
            ),
        )
        .values_list("pk", "persona_id", "first_activity", "last_activity")
    }
    reached: dict[int, dict[int, datetime]] = defaultdict(dict)
    exit_milestones = {m for plan, _, _ in accounts.values() for m in plan.exit_index}
    if accounts and exit_milestones:
        achievements = (
            MilestoneAchievement.objects.filter(
                workspace=workspace,
                account_id__in=list(accounts),
                milestone_id__in=list(exit_milestones),
            )
            .order_by()
            .values("account_id", "milestone_id")
            .annotate(first=Min("occurred_at"))
            .values_list("account_id", "milestone_id", "first")
        )
        for account_id, milestone_id, first in achievements:
            index = accounts[account_id][0].exit_index.get(milestone_id)
            if index is not None:
                at = reached[account_id].get(index)
                reached[account_id][index] = first if at is None else min(at, first)

    wanted: dict[tuple[int, int], tuple[AccountStage, Health]] = {}
    for account_id, (plan, first_activity, last_activity) in accounts.items():
        marks = reached.get(account_id, {})
        placed = place(plan, first_activity, marks)
        if placed is None:
            continue
        stage_id, entered_at = placed
        health = assess(
            entered_at=entered_at,
            expected_days=plan.expected_days[plan.stage_ids.index(stage_id)],
            last_activity=last_activity,
            now=now,
            thresholds=thresholds,
            finished=finished(plan, marks),
        )
        wanted[(account_id, plan.journey_map_id)] = (
            AccountStage(
                workspace=workspace,
                account_id=account_id,
                journey_map_id=plan.journey_map_id,
                stage_id=stage_id,
                entered_at=entered_at,
                status=health.status,
                due_at=health.due_at,
                status_since=health.since,
                updated_at=now,
            ),
            health,
        )

    existing = {
        (row.account_id, row.journey_map_id): row
        for row in AccountStage.objects.filter(workspace=workspace, account_id__in=account_ids)
        .order_by()
        .only(
            "pk",
            "workspace_id",
            "account_id",
            "journey_map_id",
            "stage_id",
            "entered_at",
            "status",
            "due_at",
            "status_since",
        )
    }
    stale = [row for key, row in existing.items() if key not in wanted]
    writes, changes = [], [_left(row, now) for row in stale]
    for key, (row, health) in wanted.items():
        old = existing.get(key)
        if _differs(old, row):
            writes.append(row)
            changes += _changes(old, row, health)
    if stale:
        AccountStage.objects.filter(pk__in=[row.pk for row in stale]).delete()
    if writes:
        AccountStage.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["account", "journey_map"],
            update_fields=["stage", "entered_at", "status", "due_at", "status_since", "updated_at"],
        )
    if changes:
        AccountStageChange.objects.bulk_create(changes)
        transaction.on_commit(lambda: signals.announce_stage_changes(workspace.pk, changes))
    return len(stale) + len(writes)


def _key(row: AccountStage) -> tuple[int, int]:
    return (row.account_id, row.journey_map_id)


def _differs(old: AccountStage | None, new: AccountStage) -> bool:
    if old is None:
        return True
    return (old.stage_id, old.entered_at, old.status, old.due_at) != (
        new.stage_id,
        new.entered_at,
        new.status,
        new.due_at,
    )


def _changes(old: AccountStage | None, new: AccountStage, health: Health) -> list:
    """The AccountStageChange rows from `old` to `new`: none if neither the stage nor the
    status moved, else each step with the time it took effect."""
    entered = old is None or old.stage_id != new.stage_id
    steps = transitions(
        previous=None if entered else HealthStatus(old.status),
        previous_since=None if entered else old.status_since,
        entered=entered,
        entered_at=new.entered_at,
        health=health,
    )
    rows = []
    previous_stage = None if old is None else old.stage_id
    previous_status = "" if old is None else old.status
    for status, moment in steps:
        rows.append(
            AccountStageChange(
                workspace_id=new.workspace_id,
                account_id=new.account_id,
                journey_map_id=new.journey_map_id,
                stage_id=new.stage_id,
                status=status,
                previous_stage_id=previous_stage,
                previous_status=previous_status,
                changed_at=moment,
            )
        )
        previous_stage, previous_status = new.stage_id, status
    return rows


def _left(old: AccountStage, now: datetime) -> AccountStageChange:
    return AccountStageChange(
        workspace_id=old.workspace_id,
        account_id=old.account_id,
        journey_map_id=old.journey_map_id,
        stage_id=None,
        status="",
        previous_stage_id=old.stage_id,
        previous_status=old.status,
        changed_at=now,
    )
