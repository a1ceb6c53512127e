"""Map fit: how a published journey map compares with what its persona's accounts did.

Everything is aggregated in SQL; Python only combines aggregated rows: (reached
position, touchpoint, count) rows for the interactions, and per account the first time it
reached each stage's exit and its first and last activity (the same per-account rows the
stage placement in accounts/stages.py reads). docs/analytics/map_fit.md defines the
outputs.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from accounts.models import Account, FeedbackResponse, Interaction, MilestoneAchievement
from analytics.map_fit.parameters import map_pk
from analytics.registry import RunContext
from journeys.models import JourneyMap, Stage, StageMilestone, StageTouchpoint, Touchpoint


@dataclass(frozen=True)
class _Plan:
    journey_map: JourneyMap
    stages: list[Stage]  # by position
    exit_position: dict[int, int]  # exit milestone id -> its stage's position

    def index_of_position(self) -> dict[int, int]:
        return {stage.position: index for index, stage in enumerate(self.stages)}

    def stage_after(self, position: int | None) -> int:
        """The index of the stage an account is at once the furthest exit it reached is
        that of the stage at `position` (None: none reached): the next stage, or the last."""
        if position is None:
            return 0
        return min(self.index_of_position()[position] + 1, len(self.stages) - 1)

    def position_case(self, *, merge_last: bool = False) -> Case:
        """The position of an exit milestone's stage, in SQL. merge_last: the last
        stage's exits count as the previous stage's (both put an account in the last
        stage), so that each stage has exactly one furthest position."""
        positions = [stage.position for stage in self.stages]
        substitute = {positions[-1]: positions[-2]} if merge_last else {}
        return Case(
            *[
                When(milestone_id=milestone, then=Value(substitute.get(position, position)))
                for milestone, position in self.exit_position.items()
            ],
            output_field=IntegerField(),
        )


def _plan(context: RunContext) -> _Plan:
    journey_map = JourneyMap.objects.select_related("persona").get(
        workspace=context.workspace, pk=map_pk(context.parameters["journey_map"])
    )
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    exits = dict(
        StageMilestone.objects.filter(journey_map=journey_map, stage__in=stages)
        .order_by()
        .values_list("milestone_id", "stage__position")
    )
    return _Plan(journey_map, stages, exits)


def _stage(stage: Stage, prefix: str = "stage") -> dict[str, Any]:
    return {
        f"{prefix}_id": stage.pk,
        f"{prefix}_position": stage.position,
        f"{prefix}_name": stage.name,
    }


def _touchpoint(touchpoint: Touchpoint) -> dict[str, Any]:
    return {
        "touchpoint_id": touchpoint.pk,
        "touchpoint_key": touchpoint.key,
        "touchpoint_name": touchpoint.name,
        "channel": touchpoint.channel,
    }


def compute_map_fit(context: RunContext) -> dict[str, Any]:
    p = context.parameters
    plan = _plan(context)
    start = parse_datetime(p["period_from"]) if p.get("period_from") else None
    end = context.cutoff
    if p.get("period_to"):
        end = min(end, parse_datetime(p["period_to"]))
    stall_days = int(p["stall_days"])

    accounts = Account.objects.filter(
        workspace=context.workspace, persona_id=plan.journey_map.persona_id
    )
    # Data received up to the cut-off, that happened before the end of the period.
    events = {
        "workspace": context.workspace,
        "account__in": accounts,
        "received_at__lte": context.cutoff,
        "occurred_at__lt": end,
    }
    interactions = Interaction.objects.filter(**events)
    exits = MilestoneAchievement.objects.filter(**events, milestone_id__in=list(plan.exit_position))
    context.progress(5)

    used = _usage(plan, interactions, exits, start)  # (stage index, touchpoint id) -> counts
    context.progress(40)
    off_map, unused, off_map_interactions = _fit(plan, used)
    context.progress(55)
    achievements = MilestoneAchievement.objects.filter(**events)
    first_exit, activity = _accounts(plan, interactions, achievements, exits)
    context.progress(80)
    out_of_order = _out_of_order(plan, first_exit, start)
    stages = _stalls(plan, first_exit, activity, start, end, stall_days)
    _measured(plan, stages, FeedbackResponse.objects.filter(**events), exits, start)
    context.progress(95)
    return {
        "journey_map": {
            "id": p["journey_map"],
            "name": plan.journey_map.name,
            "persona": plan.journey_map.persona.key,
        },
        "period": {"from": start.isoformat() if start else None, "to": end.isoformat()},
        "stall_days": stall_days,
        "totals": {
            "accounts": accounts.count(),
            "interactions": sum(counts[0] for counts in used.values()),
            "off_map_interactions": off_map_interactions,
        },
        "off_map": off_map,
        "unused": unused,
        "out_of_order": out_of_order,
        "stages": stages,
    }


def _reached(plan: _Plan, exits):
    """For rows of an event model: the furthest exit position the row's account reached at
    or before the row's time (NULL: none), with the last stage's exits merged into the
    stage before it, so that plan.stage_after gives the stage the account was at."""
    if plan.exit_position and len(plan.stages) > 1:
        return Subquery(
            exits.filter(
                account_id=OuterRef("account_id"), occurred_at__lte=OuterRef("occurred_at")
            )
            .annotate(reached_position=plan.position_case(merge_last=True))
            .order_by("-reached_position")
            .values("reached_position")[:1],
            output_field=IntegerField(),
        )
    return Value(None, output_field=IntegerField())


def _usage(plan: _Plan, interactions, exits, start: datetime | None) -> dict:
    """{(stage index, touchpoint id): [interactions, accounts]} of the interactions in the
    period, each at the stage its account was at when it happened (SQL: the furthest exit
    position reached at or before the interaction, per touchpoint)."""
    if not plan.stages:
        return {}
    in_period = interactions if start is None else interactions.filter(occurred_at__gte=start)
    reached = _reached(plan, exits)
    rows = (
        in_period.order_by()
        .annotate(reached=reached)
        .values("reached", "touchpoint_id")
        .annotate(interactions=Count("id"), accounts=Count("account_id", distinct=True))
        .values_list("reached", "touchpoint_id", "interactions", "accounts")
    )
    used: dict[tuple[int, int], list[int]] = {}
    # One furthest position per stage (merge_last), so distinct accounts do not double.
    for reached_position, touchpoint_id, count, account_count in rows:
        entry = used.setdefault((plan.stage_after(reached_position), touchpoint_id), [0, 0])
        entry[0] += count
        entry[1] += account_count
    return used


def _fit(plan: _Plan, used: dict) -> tuple[list, list, int]:
    """Off-map rows (used at a stage where the touchpoint is not placed), unused
    placements (placed at a stage, no interaction there) and the off-map volume."""
    index = {stage.pk: i for i, stage in enumerate(plan.stages)}
    placements = (
        StageTouchpoint.objects.filter(stage__in=plan.stages)
        .select_related("touchpoint")
        .order_by("stage__position", "position")
    )
    placed = {(index[placement.stage_id], placement.touchpoint_id) for placement in placements}
    off = [key for key in used if key not in placed]
    touchpoints = Touchpoint.objects.in_bulk({touchpoint for _, touchpoint in off})
    off_map = [
        _stage(plan.stages[stage])
        | _touchpoint(touchpoints[touchpoint])
        | {"interactions": used[stage, touchpoint][0], "accounts": used[stage, touchpoint][1]}
        for stage, touchpoint in off
    ]
    off_map.sort(
        key=lambda row: (row["stage_position"], -row["interactions"], row["touchpoint_key"])
    )
    by_touchpoint: dict[int, int] = defaultdict(int)
    for (_, touchpoint), counts in used.items():
        by_touchpoint[touchpoint] += counts[0]
    unused = [
        _stage(plan.stages[index[placement.stage_id]])
        | _touchpoint(placement.touchpoint)
        | {"interactions_elsewhere": by_touchpoint[placement.touchpoint_id]}
        for placement in placements
        if (index[placement.stage_id], placement.touchpoint_id) not in used
    ]
    return off_map, unused, sum(row["interactions"] for row in off_map)


def _accounts(plan: _Plan, interactions, achievements, exits) -> tuple[dict, dict]:
    """Per account: {stage index: first time it reached an exit milestone of that stage},
    and (first activity, last activity) over its interactions and achievements."""
    first_exit: dict[int, dict[int, datetime]] = defaultdict(dict)
    if plan.exit_position:
        index = plan.index_of_position()
        rows = (
            exits.order_by()
            .annotate(position=plan.position_case())
            .values("account_id", "position")
            .annotate(first=Min("occurred_at"))
            .values_list("account_id", "position", "first")
        )
        for account_id, position, first in rows:
            first_exit[account_id][index[position]] = first
    activity: dict[int, tuple[datetime, datetime]] = {}
    for queryset in (interactions, achievements):
        rows = (
            queryset.order_by()
            .values("account_id")
            .annotate(first=Min("occurred_at"), last=Max("occurred_at"))
            .values_list("account_id", "first", "last")
        )
        for account_id, first, last in rows:
            known = activity.get(account_id)
            activity[account_id] = (
                (first, last) if known is None else (min(known[0], first), max(known[1], last))
            )
    return first_exit, activity


# A scored response on [scale_min, scale_max] mapped linearly onto the map's emotion
# scale, -5 to 5: -5 + 10 x (score - scale_min) / (scale_max - scale_min).
EMOTION_LOW, EMOTION_HIGH = -5, 5
MEASURED_INSTRUMENTS = ("nps", "csat", "ces", "rating")


def _normalised():
    span = EMOTION_HIGH - EMOTION_LOW
    return ExpressionWrapper(
        Value(float(EMOTION_LOW))
        + Value(float(span))
        * (Cast("score", FloatField()) - Cast("scale_min", FloatField()))
        / (Cast("scale_max", FloatField()) - Cast("scale_min", FloatField())),
        output_field=FloatField(),
    )


def _measured(plan: _Plan, stages: list[dict], responses, exits, start) -> None:
    """Add to each stage row the mean of its scored feedback responses normalised to the
    emotion scale (responses given while the account was at the stage, in the period),
    their count, and the gap measured - designed."""
    in_period = responses.filter(
        instrument__in=MEASURED_INSTRUMENTS, score__isnull=False, scale_max__gt=F("scale_min")
    )
    if start is not None:
        in_period = in_period.filter(occurred_at__gte=start)
    rows = (
        in_period.order_by()
        .annotate(reached=_reached(plan, exits))
        .values("reached")
        .annotate(total=Sum(_normalised()), count=Count("id"))
        .values_list("reached", "total", "count")
    )
    sums = [[0.0, 0] for _ in plan.stages]
    for reached_position, total, count in rows if plan.stages else ():
        if not count:  # grouping by a constant gives one row, even without responses
            continue
        entry = sums[plan.stage_after(reached_position)]
        entry[0] += total
        entry[1] += count
    for row, (total, count) in zip(stages, sums, strict=True):
        measured = round(total / count, 2) if count else None
        row["measured_score"] = measured
        row["measured_responses"] = count
        designed = row["emotion_score"]
        row["emotion_gap"] = (
            None if measured is None or designed is None else round(measured - designed, 2)
        )


def _out_of_order(plan: _Plan, first_exit: dict, start: datetime | None) -> list[dict]:
    """(expected, reached) stage pairs: an account first reached an exit of stage j, in the
    period, while it had not yet reached any exit of an earlier stage i that has exit
    milestones (it never did, or only later). Ties are in order."""
    with_exits = sorted({plan.index_of_position()[p] for p in plan.exit_position.values()})
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for reached in first_exit.values():
        for j, at in reached.items():
            if start is not None and at < start:
                continue
            for i in with_exits:
                if i >= j:
                    break
                if i not in reached or reached[i] > at:
                    entry = counts[i, j]
                    entry[0] += 1
                    entry[1] += i in reached
    return [
        _stage(plan.stages[i], "expected_stage")
        | _stage(plan.stages[j], "reached_stage")
        | {"accounts": accounts, "reached_later": later}
        for (i, j), (accounts, later) in sorted(counts.items())
    ]


def _stalls(
    plan: _Plan,
    first_exit: dict,
    activity: dict,
    start: datetime | None,
    end: datetime,
    stall_days: int,
) -> list[dict]:
    """Per stage: the accounts at the stage at some time in the period, those of them
    still there at its end without activity for stall_days, and the designed emotion."""
    last = len(plan.stages) - 1
    entered = [0] * len(plan.stages)
    stalled = [0] * len(plan.stages)
    quiet_since = end - timedelta(days=stall_days)
    for account_id, (first_activity, last_activity) in activity.items():
        reached = first_exit.get(account_id, {})
        for k in range(len(plan.stages)):
            if k == 0:
                entered_at = first_activity
            else:
                entered_at = min((at for i, at in reached.items() if i >= k - 1), default=None)
            left_at = None
            if k < last:
                left_at = min((at for i, at in reached.items() if i >= k), default=None)
            if entered_at is None or (left_at is not None and left_at <= entered_at):
                continue  # never at this stage (skipped it, or passed through at once)
            if left_at is not None and start is not None and left_at < start:
                continue  # left before the period
            entered[k] += 1
            if left_at is None and max(entered_at, last_activity) <= quiet_since:
                stalled[k] += 1
    return [
        _stage(stage)
        | {
            "emotion_score": stage.emotion_score,
            "emotion_label": stage.emotion_label,
            "entered": entered[k],
            "stalled": stalled[k],
            "stall_rate": stalled[k] / entered[k] if entered[k] else None,
        }
        for k, stage in enumerate(plan.stages)
    ]
