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
and removes their rows for maps that are no longer their persona's published map.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.batches import for_each_account_batch
from accounts.models import Account, AccountStage, Interaction, MilestoneAchievement
from journeys.models import JourneyMap, Stage, StageMilestone
from workspaces.models import Workspace


@dataclass
class MapPlan:
    """A published map as the stage computation needs it."""

    journey_map_id: int
    stage_ids: list[int] = field(default_factory=list)  # by position
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
        .values_list("pk", "journey_map_id", "journey_map__persona_id")
    )
    stage_index = {}
    for stage_id, map_id, persona_id in stages:
        plan = plans.setdefault(persona_id, MapPlan(map_id))
        by_map[map_id] = plan
        stage_index[stage_id] = len(plan.stage_ids)
        plan.stage_ids.append(stage_id)
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


def recompute_stages(*, workspace: Workspace, account_ids=None) -> int:
    """Recompute the current stages of these accounts (None: all of the workspace's);
    returns how many AccountStage rows were created, changed or removed."""
    plans = published_plans(workspace)
    return for_each_account_batch(workspace, account_ids, lambda ids: _apply(workspace, plans, ids))


def _apply(workspace: Workspace, plans: dict[int, MapPlan], account_ids: list[int]) -> int:
    def earliest(model):
        return Subquery(
            model.objects.filter(workspace=workspace, account=OuterRef("pk"))
            .order_by("occurred_at")
            .values("occurred_at")[:1]
        )

    accounts = {
        pk: (plans[persona_id], first_activity)
        for pk, persona_id, first_activity in Account.objects.filter(
            pk__in=account_ids, persona_id__in=list(plans)
        )
        .order_by()
        .annotate(
            first_activity=Coalesce(
                "first_seen_at", earliest(Interaction), earliest(MilestoneAchievement)
            )
        )
        .values_list("pk", "persona_id", "first_activity")
    }
    reached: dict[int, dict[int, datetime]] = defaultdict(dict)
    exit_milestones = {m for plan, _ in accounts.values() for m in plan.exit_index}
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

    wanted = {}
    for account_id, (plan, first_activity) in accounts.items():
        placed = place(plan, first_activity, reached.get(account_id, {}))
        if placed is not None:
            wanted[(account_id, plan.journey_map_id)] = placed

    existing = {
        (account_id, map_id): (pk, stage_id, entered_at)
        for pk, account_id, map_id, stage_id, entered_at in AccountStage.objects.filter(
            workspace=workspace, account_id__in=account_ids
        )
        .order_by()
        .values_list("pk", "account_id", "journey_map_id", "stage_id", "entered_at")
    }
    stale = [row[0] for key, row in existing.items() if key not in wanted]
    now = timezone.now()
    writes = [
        AccountStage(
            workspace=workspace,
            account_id=account_id,
            journey_map_id=map_id,
            stage_id=stage_id,
            entered_at=entered_at,
            updated_at=now,
        )
        for (account_id, map_id), (stage_id, entered_at) in wanted.items()
        if existing.get((account_id, map_id), (None,))[1:] != (stage_id, entered_at)
    ]
    if stale:
        AccountStage.objects.filter(pk__in=stale).delete()
    if writes:
        AccountStage.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["account", "journey_map"],
            update_fields=["stage", "entered_at", "updated_at"],
        )
    return len(stale) + len(writes)
