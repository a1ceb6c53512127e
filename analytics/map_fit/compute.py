"""Map fit: how a published journey map compares with what its persona's accounts did.

Everything is aggregated in SQL; Python only combines aggregated rows: (reached
position, touchpoint, count) rows for the interactions, and per account the first time it
reached each stage's exit and its first and last activity (the same per-account rows the
stage placement in accounts/stages.py reads). docs/analytics/map_fit.md defines the
outputs.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from accounts.models import Account, FeedbackResponse, Interaction, MilestoneAchievement
from analytics import stage_at_time
from analytics.map_fit.parameters import map_pk
from analytics.registry import RunContext
from journeys.models import JourneyMap, Touchpoint
from journeys.versions import MapTimeline, StagePlan, VersionPlan


@dataclass(frozen=True)
class _Plan:
    journey_map: JourneyMap | None  # None: fitted for another report
    # The persona's map versions; the reference version gives the stages, and each
    # event is read under the version in force when it happened (stage at the time).
    timeline: MapTimeline

    @property
    def stages(self) -> tuple[StagePlan, ...]:  # by position
        return self.timeline.reference.stages

    @property
    def exit_positions(self) -> set[int]:
        """Positions of the reference stages that some version's exit milestones mark."""
        index = {stage.key: stage.position for stage in self.stages}
        return {
            index[key]
            for plan in self.timeline.versions
            for key in plan.exits.values()
            if key in index
        }

    def index_of_position(self) -> dict[int, int]:
        return {stage.position: index for index, stage in enumerate(self.stages)}

    def stage_after(self, position: int | None) -> int:
        """The index of the stage an account is at once the furthest exit it reached is
        that of the stage at `position` (None: none reached): the next stage, or the last."""
        if position is None:
            return 0
        return min(self.index_of_position()[position] + 1, len(self.stages) - 1)

    def position_case(self, *, merge_last: bool = False):
        """The reference position of an exit milestone's stage under the version in
        force at the achievement, in SQL. merge_last: the last stage's exits count as the
        previous stage's (both put an account in the last stage), so that each stage has
        exactly one furthest position."""
        return stage_at_time.exit_position_expression(self.timeline, merge_last=merge_last)


def _plan(context: RunContext) -> _Plan:
    journey_map = JourneyMap.objects.select_related("persona").get(
        workspace=context.workspace, pk=map_pk(context.parameters["journey_map"])
    )
    persona_id = journey_map.persona_id
    pin = context.parameters.get("map_version")
    timeline = stage_at_time.timelines(context.workspace, [persona_id], pin=pin).get(persona_id)
    if timeline is None or timeline.reference is None:
        raise ValueError("The map no longer has that version.")
    if pin is None:
        # Laid out by the version this map was published as (the latest, while published).
        own = [plan.number for plan in timeline.versions if plan.map_id == journey_map.pk]
        timeline = replace(timeline, laid_out=own[-1] if own else None)
    return _Plan(journey_map, timeline)


def _stage(stage: StagePlan, prefix: str = "stage") -> dict[str, Any]:
    return {
        f"{prefix}_id": stage.id,
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

    accounts, events, interactions, exits = _events(plan, context.workspace, context.cutoff, end)
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
            "version": plan.timeline.reference.number,
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


def _events(plan: _Plan, workspace, cutoff: datetime, end: datetime):
    """The persona's accounts, and the filter, interactions and exit achievements of
    theirs received up to the cut-off that happened before `end`."""
    accounts = Account.objects.filter(workspace=workspace, persona_id=plan.timeline.persona_id)
    events = {
        "workspace": workspace,
        "account__in": accounts,
        "received_at__lte": cutoff,
        "occurred_at__lt": end,
    }
    interactions = Interaction.objects.filter(**events)
    exits = MilestoneAchievement.objects.filter(
        **events, milestone_id__in=stage_at_time.exit_milestone_ids(plan.timeline)
    )
    return accounts, events, interactions, exits


def off_map_volume(
    workspace, timeline: MapTimeline, cutoff: datetime, start: datetime | None, end: datetime
) -> tuple[int, int]:
    """(interactions, off-map interactions) of the persona's accounts in [start, end),
    fitted against the timeline's reference version as map fit does."""
    plan = _Plan(None, timeline)
    _, _, interactions, exits = _events(plan, workspace, cutoff, end)
    used = _usage(plan, interactions, exits, start)
    _, _, off_map = _fit(plan, used)
    return sum(counts[0] for counts in used.values()), off_map


def _at_stages(plan: _Plan, events, exits, start: datetime | None, *fields: str, **aggregates):
    """Aggregates of the events in the period per stage their account was at when they
    happened, in the order of the map version in force then (SQL, one query per version:
    the furthest exit position reached at or before the event), grouped also by `fields`.
    Yields (stage key, version number, row: the fields' values, then the aggregates)."""
    if not plan.stages:
        return
    in_period = events if start is None else events.filter(occurred_at__gte=start)
    for lower, upper, in_force, version in stage_at_time.versions_in_force(plan.timeline):
        rows_in_force = in_period
        if lower is not None:
            rows_in_force = rows_in_force.filter(occurred_at__gte=lower)
        if upper is not None:
            rows_in_force = rows_in_force.filter(occurred_at__lt=upper)
        rows = (
            rows_in_force.order_by()
            .annotate(reached=stage_at_time.reached_position(in_force, exits))
            .values("reached", *fields)
            .annotate(**aggregates)
            .values_list("reached", *fields, *aggregates)
        )
        # One furthest position per stage (merge_last), so distinct accounts do not double.
        for reached_position, *row in rows:
            stage = version.stages[stage_at_time.stage_after(version, reached_position)]
            yield stage.key, version.number, row


def _usage(plan: _Plan, interactions, exits, start: datetime | None) -> dict:
    """{(stage key, touchpoint id, version): [interactions, accounts]} of the interactions
    in the period, each at the stage its account was at when it happened (see
    _at_stages)."""
    used: dict[tuple[str, int, int], list[int]] = {}
    counts = {"interactions": Count("id"), "accounts": Count("account_id", distinct=True)}
    for stage_key, number, row in _at_stages(
        plan, interactions, exits, start, "touchpoint_id", **counts
    ):
        touchpoint_id, count, account_count = row
        entry = used.setdefault((stage_key, touchpoint_id, number), [0, 0])
        entry[0] += count
        entry[1] += account_count
    return used


def _fit(plan: _Plan, used: dict) -> tuple[list, list, int]:
    """Off-map rows (used at a stage where the version in force did not place the
    touchpoint), unused placements (placed at a stage of the reference version, no
    interaction there) and the off-map volume. Rows name the stage as the reference
    version has it (or, for a stage it no longer has, as the version in force did)."""
    stage_of: dict[str, StagePlan] = {}
    for version in (*plan.timeline.versions, plan.timeline.reference):
        stage_of.update({stage.key: stage for stage in version.stages})
    off: dict[tuple[str, int], list[int]] = {}
    for (stage_key, touchpoint, version), (count, accounts) in used.items():
        in_force = plan.timeline.version(version)
        if in_force is None or (stage_key, touchpoint) not in in_force.placed:
            entry = off.setdefault((stage_key, touchpoint), [0, 0])
            entry[0] += count
            entry[1] += accounts
    reference = plan.timeline.reference
    touchpoints = Touchpoint.objects.in_bulk(
        {touchpoint for _, touchpoint in off} | {touchpoint for _, touchpoint in reference.placed}
    )
    off_map = [
        _stage(stage_of[stage_key])
        | _touchpoint(touchpoints[touchpoint])
        | {"interactions": counts[0], "accounts": counts[1]}
        for (stage_key, touchpoint), counts in off.items()
    ]
    off_map.sort(
        key=lambda row: (row["stage_position"], -row["interactions"], row["touchpoint_key"])
    )
    by_touchpoint: dict[int, int] = defaultdict(int)
    at_stage: set[tuple[str, int]] = set()
    for (stage_key, touchpoint, _), counts in used.items():
        by_touchpoint[touchpoint] += counts[0]
        at_stage.add((stage_key, touchpoint))
    unused = [
        _stage(stage)
        | _touchpoint(touchpoints[touchpoint_id])
        | {"interactions_elsewhere": by_touchpoint[touchpoint_id]}
        for stage in plan.stages
        for touchpoint_id in _placed_in(reference, stage.key)
        if (stage.key, touchpoint_id) not in at_stage and touchpoint_id in touchpoints
    ]
    return off_map, unused, sum(row["interactions"] for row in off_map)


def _placed_in(version: VersionPlan, stage_key: str) -> list[int]:
    """The touchpoints the version places in a stage, in their order there."""
    return version.placements_of(stage_key)


def _accounts(plan: _Plan, interactions, achievements, exits) -> tuple[dict, dict]:
    """Per account: {stage index: first time it reached an exit milestone of that stage},
    and (first activity, last activity) over its interactions and achievements."""
    first_exit: dict[int, dict[int, datetime]] = defaultdict(dict)
    if plan.exit_positions:
        index = plan.index_of_position()
        rows = (
            exits.order_by()
            .annotate(position=plan.position_case())
            .exclude(position=None)
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
    scored = responses.filter(
        instrument__in=MEASURED_INSTRUMENTS, score__isnull=False, scale_max__gt=F("scale_min")
    )
    sums: dict[str, list] = defaultdict(lambda: [0.0, 0])
    for stage_key, _, (total, count) in _at_stages(
        plan, scored, exits, start, total=Sum(_normalised()), count=Count("id")
    ):
        if count:  # grouping by a constant gives one row, even without responses
            sums[stage_key][0] += total
            sums[stage_key][1] += count
    for row, stage in zip(stages, plan.stages, strict=True):
        total, count = sums.get(stage.key, (0.0, 0))
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
    with_exits = sorted({plan.index_of_position()[p] for p in plan.exit_positions})
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
