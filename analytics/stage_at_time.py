"""Stage at the time: every analysis that places activity in a map's stages reads it
under the map version in force when it happened (journeys/versions.py defines "in
force"), unless a report pins one version number.

Attribution (the STAGE dimension), the funnel, map fit and the map_versions report all
take their versions from `timelines`, so the rule cannot drift between them.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.lookups import Exact

from journeys.versions import MapTimeline, VersionPlan, map_timelines, version_sql


def timelines(
    workspace, persona_ids: Iterable[int] | None = None, pin: int | None = None
) -> dict[int, MapTimeline]:
    """The map timelines by persona id (None: every persona with a map version)."""
    return map_timelines(workspace, persona_ids, pin=pin)


def stage_version(add_error: Callable[[str, str], Any], field: str, value: Any) -> int | None:
    """A report's pinned version number: None (stage at the time) or a whole number >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        add_error(field, "A map version number (1, 2, ...), or leave it out.")
        return None
    return value


def exit_position_sql(
    timeline: MapTimeline, time_column: str, milestone_column: str
) -> tuple[str, list]:
    """SQL for the position, in the report's reference version, of the stage whose exit
    an achievement (`milestone_column` at `time_column`) marks under the version in
    force then; NULL when it marks no exit then, or that stage is not in the reference
    version."""
    positions = _reference_positions(timeline)
    version, params = version_sql([timeline], time_column)
    branches = []
    for plan in timeline.versions:
        whens = [
            f"WHEN {int(milestone)} THEN {positions[key]}"
            for milestone, key in sorted(plan.exits.items())
            if key in positions
        ]
        if whens:
            branches.append(
                f"WHEN {plan.number} THEN (CASE {milestone_column} {' '.join(whens)} END)"
            )
    if not branches:
        return "CAST(NULL AS INTEGER)", []
    return f"(CASE {version} {' '.join(branches)} END)", params


def exit_position_expression(timeline: MapTimeline, merge_last: bool = False) -> Case:
    """The same as `exit_position_sql`, as an ORM expression over achievements.
    merge_last: the last stage's exits count as the previous stage's (both put an account
    in the last stage)."""
    positions = _reference_positions(timeline)
    ordered = sorted(positions.values())
    if merge_last and len(ordered) > 1:
        positions = {k: (ordered[-2] if p == ordered[-1] else p) for k, p in positions.items()}
    version = timeline.version_expression("occurred_at")
    whens = [
        When(Exact(version, plan.number), milestone_id=milestone, then=Value(positions[key]))
        for plan in timeline.versions
        for milestone, key in sorted(plan.exits.items())
        if key in positions
    ]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def exit_milestone_ids(timeline: MapTimeline) -> list[int]:
    """Every milestone that marks an exit in some version."""
    return sorted({m for plan in timeline.versions for m in plan.exits})


def _reference_positions(timeline: MapTimeline) -> dict[str, int]:
    reference = timeline.reference
    return {} if reference is None else {stage.key: stage.position for stage in reference.stages}


def versions_in_force(
    timeline: MapTimeline,
) -> Iterator[tuple[datetime | None, datetime | None, MapTimeline, VersionPlan]]:
    """(from, to, timeline laid out by the version, the version) for each version in force
    from `from` (inclusive, None: since ever) to `to` (exclusive, None: from then on) that
    has stages."""
    for lower, upper, number in timeline.ranges():
        in_force = replace(timeline, laid_out=number)
        version = in_force.reference
        if version is not None and version.stages:
            yield lower, upper, in_force, version


def reached_position(in_force: MapTimeline, exits: QuerySet):
    """For rows of an event model (with account_id and occurred_at) while `in_force`'s
    reference version is in force: the position, in that version, of the furthest stage
    one of whose exit milestones (achievements in `exits`) the row's account had reached at
    or before the row's time; NULL for none. The last stage's exits count as the stage
    before it, so `stage_after` gives the stage the account was at."""
    version = in_force.reference
    if not version.exits or len(version.stages) < 2:
        return Value(None, output_field=IntegerField())
    return Subquery(
        exits.filter(account_id=OuterRef("account_id"), occurred_at__lte=OuterRef("occurred_at"))
        .annotate(reached_position=exit_position_expression(in_force, merge_last=True))
        .exclude(reached_position=None)
        .order_by("-reached_position")
        .values("reached_position")[:1],
        output_field=IntegerField(),
    )


def stage_after(version: VersionPlan, position: int | None) -> int:
    """The index of the stage an account is at once the furthest exit it reached is that
    of the version's stage at `position` (None: none reached): the next stage, or the last."""
    if position is None:
        return 0
    index = next(i for i, stage in enumerate(version.stages) if stage.position == position)
    return min(index + 1, len(version.stages) - 1)
