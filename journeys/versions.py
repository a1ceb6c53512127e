"""Map versions: the snapshot stored at each publish, diffs between versions, and the
one rule that says which version of a persona's map was in force at a given time.

A persona's versions are numbered 1, 2, ... in publish order. Version N is *live* from
its publish time until version N + 1 is published or its map is archived. For analytics
("stage at the time") the version *in force* at time T is the latest version published
at or before T; activity from before the first publish is read under version 1 (the
first design there is), and activity after the last version's map was archived stays
under that last version. A report may pin one version instead, which then reads every
event. `map_timelines` is the only place that rule lives: attribution's STAGE
dimension, the funnel, map fit and the map_versions report all go through it.

Stages keep their identity across versions by their *stage key* (`Stage.stage_key`: the
id of the stage first copied, carried by every copy), which lets a diff tell a renamed
or moved stage from a removed and an added one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from journeys.models import JourneyMap, JourneyMapVersion, Stage, StageMilestone, StageTouchpoint

# The rows of a journey map's stages besides its name and position ("swimlanes").
LANES = (
    "description",
    "customer_goal",
    "actions",
    "thoughts",
    "emotion_score",
    "emotion_label",
    "pain_points",
    "opportunities",
    "kpis",
    "owner_team",
    "expected_duration_days",
)


# Snapshots ---------------------------------------------------------------------------


def snapshot_of(
    journey_map,
    *,
    stage_model=Stage,
    touchpoint_placement_model=StageTouchpoint,
    milestone_placement_model=StageMilestone,
) -> dict[str, Any]:
    """The map as it stands, as JSON (three queries). The model arguments let a migration
    pass its historical models."""
    stages = list(stage_model.objects.filter(journey_map_id=journey_map.pk).order_by("position"))
    by_id = {stage.pk: [] for stage in stages}
    exits = {stage.pk: [] for stage in stages}
    placements = (
        touchpoint_placement_model.objects.filter(stage_id__in=list(by_id))
        .order_by("stage_id", "position")
        .values_list("stage_id", "touchpoint_id", "touchpoint__key", "position", "notes")
    )
    for stage_id, touchpoint_id, key, position, notes in placements:
        by_id[stage_id].append(
            {"id": touchpoint_id, "key": key, "position": position, "notes": notes}
        )
    milestones = (
        milestone_placement_model.objects.filter(stage_id__in=list(by_id))
        .order_by("stage_id", "milestone__key")
        .values_list("stage_id", "milestone_id", "milestone__key")
    )
    for stage_id, milestone_id, key in milestones:
        exits[stage_id].append({"id": milestone_id, "key": key})
    return {
        "map_id": journey_map.pk,
        "name": journey_map.name,
        "description": journey_map.description,
        "stages": [
            {
                "key": str(stage.lineage or stage.pk),
                "id": stage.pk,
                "position": stage.position,
                "name": stage.name,
                **{lane: getattr(stage, lane) for lane in LANES},
                "touchpoints": by_id[stage.pk],
                "exit_milestones": exits[stage.pk],
            }
            for stage in stages
        ],
    }


# Diffs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageRef:
    key: str
    name: str
    position: int


@dataclass(frozen=True)
class StageMove:
    key: str
    name: str
    from_position: int
    to_position: int


@dataclass(frozen=True)
class StageRename:
    key: str
    position: int
    from_name: str
    to_name: str


@dataclass(frozen=True)
class LaneChange:
    stage_key: str
    stage_name: str
    lane: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlacementRef:
    touchpoint_key: str
    stage_key: str
    stage_name: str


@dataclass(frozen=True)
class PlacementMove:
    touchpoint_key: str
    from_stage_key: str
    from_stage_name: str
    to_stage_key: str
    to_stage_name: str


@dataclass(frozen=True)
class MilestoneChange:
    """An exit milestone added (no from stage), removed (no to stage) or moved."""

    milestone_key: str
    from_stage_key: str | None
    from_stage_name: str | None
    to_stage_key: str | None
    to_stage_name: str | None


@dataclass(frozen=True)
class VersionDiff:
    stages_added: list[StageRef] = field(default_factory=list)
    stages_removed: list[StageRef] = field(default_factory=list)
    stages_moved: list[StageMove] = field(default_factory=list)
    stages_renamed: list[StageRename] = field(default_factory=list)
    lane_changes: list[LaneChange] = field(default_factory=list)
    placements_added: list[PlacementRef] = field(default_factory=list)
    placements_removed: list[PlacementRef] = field(default_factory=list)
    placements_moved: list[PlacementMove] = field(default_factory=list)
    milestone_changes: list[MilestoneChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


def _placements(stages: list[dict], item: str) -> dict[str, list[dict]]:
    """Entry key (touchpoint or milestone) -> the stages (in order) that list it."""
    out: dict[str, list[dict]] = {}
    for stage in stages:
        for entry in stage[item]:
            out.setdefault(entry["key"], []).append(stage)
    return out


def diff_snapshots(a: dict[str, Any], b: dict[str, Any]) -> VersionDiff:
    """What changed from snapshot `a` to snapshot `b`.

    Stages match by stage key. The *moved* stages are the fewest whose move explains
    the new order of the stages both versions have (so removing stage 1 moves no other
    stage, and moving one stage moves only that one), *renamed*
    when its name changed. A touchpoint's placement is *moved* when it left one stage
    and joined another (paired in stage order); its order within a stage is not
    compared. An exit milestone is added, removed or moved between stages."""
    old = {stage["key"]: stage for stage in a["stages"]}
    new = {stage["key"]: stage for stage in b["stages"]}
    diff = VersionDiff()
    for stage in a["stages"]:
        if stage["key"] not in new:
            diff.stages_removed.append(StageRef(stage["key"], stage["name"], stage["position"]))
    for stage in b["stages"]:
        if stage["key"] not in old:
            diff.stages_added.append(StageRef(stage["key"], stage["name"], stage["position"]))
    common_old = [s["key"] for s in a["stages"] if s["key"] in new]
    common_new = [s["key"] for s in b["stages"] if s["key"] in old]
    rank = {key: index for index, key in enumerate(common_old)}
    stayed = _longest_increasing([rank[key] for key in common_new])
    for index, key in enumerate(common_new):
        before, after = old[key], new[key]
        if index not in stayed:
            diff.stages_moved.append(
                StageMove(key, after["name"], before["position"], after["position"])
            )
        if before["name"] != after["name"]:
            diff.stages_renamed.append(
                StageRename(key, after["position"], before["name"], after["name"])
            )
        for lane in LANES:
            if before.get(lane) != after.get(lane):
                diff.lane_changes.append(
                    LaneChange(key, after["name"], lane, before.get(lane), after.get(lane))
                )

    placed_old, placed_new = (
        _placements(a["stages"], "touchpoints"),
        _placements(b["stages"], "touchpoints"),
    )
    for touchpoint in sorted(set(placed_old) | set(placed_new)):
        kept_old, kept_new = _keys(placed_old, touchpoint), _keys(placed_new, touchpoint)
        was = [s for s in placed_old.get(touchpoint, []) if s["key"] not in kept_new]
        now = [s for s in placed_new.get(touchpoint, []) if s["key"] not in kept_old]
        for left, joined in zip(was, now, strict=False):
            diff.placements_moved.append(
                PlacementMove(touchpoint, left["key"], left["name"], joined["key"], joined["name"])
            )
        pairs = min(len(was), len(now))
        diff.placements_removed.extend(
            PlacementRef(touchpoint, s["key"], s["name"]) for s in was[pairs:]
        )
        diff.placements_added.extend(
            PlacementRef(touchpoint, s["key"], s["name"]) for s in now[pairs:]
        )

    exits_old, exits_new = (
        _placements(a["stages"], "exit_milestones"),
        _placements(b["stages"], "exit_milestones"),
    )
    for milestone in sorted(set(exits_old) | set(exits_new)):
        # A milestone exits at most one stage of a map.
        before = exits_old.get(milestone, [None])[0]
        after = exits_new.get(milestone, [None])[0]
        if (before and before["key"]) != (after and after["key"]):
            diff.milestone_changes.append(
                MilestoneChange(
                    milestone,
                    before and before["key"],
                    before and before["name"],
                    after and after["key"],
                    after and after["name"],
                )
            )
    return diff


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of a longest increasing run (not necessarily adjacent) of `values`: the
    stages that kept their order, so the others are the fewest that moved. Ties go to
    the run ending in the smallest value (O(n^2); maps have tens of stages)."""
    if not values:
        return set()
    length = [1] * len(values)
    before = [-1] * len(values)
    for i, value in enumerate(values):
        for j in range(i):
            if values[j] < value and length[j] + 1 > length[i]:
                length[i], before[i] = length[j] + 1, j
    end = min(range(len(values)), key=lambda i: (-length[i], values[i]))
    out = set()
    while end != -1:
        out.add(end)
        end = before[end]
    return out


def _keys(placed: dict[str, list[dict]], entry: str) -> set[str]:
    return {stage["key"] for stage in placed.get(entry, [])}


def journey_map_version_diff(*, a: JourneyMapVersion, b: JourneyMapVersion) -> VersionDiff:
    """What changed from version `a` to version `b` (rows the caller loaded in one
    workspace)."""
    return diff_snapshots(a.snapshot, b.snapshot)


# Versions in force ---------------------------------------------------------------------


@dataclass(frozen=True)
class StagePlan:
    key: str
    id: int
    position: int
    name: str
    emotion_score: int | None
    emotion_label: str


@dataclass(frozen=True)
class VersionPlan:
    """One version of a persona's map as analytics read it."""

    number: int
    published_at: datetime | None
    live_until: datetime | None
    map_id: int | None
    map_name: str
    stages: tuple[StagePlan, ...]  # by position
    placed: frozenset[tuple[str, int]]  # (stage key, touchpoint id)
    first_stage_of: dict[int, str]  # touchpoint id -> key of the first stage placing it
    exits: dict[int, str]  # exit milestone id -> stage key
    # stage key -> its touchpoint ids, in their order in the stage
    placement_order: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def placements_of(self, stage_key: str) -> list[int]:
        return list(self.placement_order.get(stage_key, ()))

    def index_of(self, stage_key: str) -> int | None:
        for index, stage in enumerate(self.stages):
            if stage.key == stage_key:
                return index
        return None


def plan_of(number: int, snapshot: dict, published_at=None, live_until=None) -> VersionPlan:
    stages = tuple(
        StagePlan(
            s["key"],
            s["id"],
            s["position"],
            s["name"],
            s.get("emotion_score"),
            s.get("emotion_label") or "",
        )
        for s in sorted(snapshot["stages"], key=lambda s: s["position"])
    )
    first_stage_of: dict[int, str] = {}
    placed, exits = set(), {}
    for s in sorted(snapshot["stages"], key=lambda s: s["position"]):
        for touchpoint in s["touchpoints"]:
            placed.add((s["key"], touchpoint["id"]))
            first_stage_of.setdefault(touchpoint["id"], s["key"])
        for milestone in s["exit_milestones"]:
            exits[milestone["id"]] = s["key"]
    return VersionPlan(
        number=number,
        published_at=published_at,
        live_until=live_until,
        map_id=snapshot.get("map_id"),
        map_name=snapshot.get("name", ""),
        stages=stages,
        placed=frozenset(placed),
        first_stage_of=first_stage_of,
        exits=exits,
        placement_order={
            s["key"]: tuple(t["id"] for t in sorted(s["touchpoints"], key=lambda t: t["position"]))
            for s in snapshot["stages"]
        },
    )


@dataclass(frozen=True)
class MapTimeline:
    """The versions of one persona's map and which one is in force when."""

    persona_id: int
    versions: tuple[VersionPlan, ...]  # by number, at least one
    pinned: int | None = None
    # The version whose stages a report lays out (None: the pinned one, else the latest).
    laid_out: int | None = None

    @property
    def reference(self) -> VersionPlan | None:
        """The version a report lays its stages out by."""
        number = self.laid_out or self.pinned
        return self.versions[-1] if number is None else self.version(number)

    def version(self, number: int | None) -> VersionPlan | None:
        return next((v for v in self.versions if v.number == number), None)

    def branches(self) -> list[tuple[datetime | None, int | None]]:
        """(exclusive upper bound or None, version number): the first branch whose bound
        lies after the time gives the version in force."""
        if self.pinned is not None:
            pinned = self.version(self.pinned)
            return [(None, pinned.number if pinned else None)]
        bounds = [v.published_at for v in self.versions[1:]] + [None]
        return [(bound, v.number) for bound, v in zip(bounds, self.versions, strict=True)]

    def ranges(self) -> list[tuple[datetime | None, datetime | None, int | None]]:
        """(from, to, version number): the version in force from `from` (inclusive,
        None: since ever) to `to` (exclusive, None: from then on)."""
        lower = None
        out = []
        for bound, number in self.branches():
            out.append((lower, bound, number))
            lower = bound
        return out

    def in_force_at(self, at: datetime) -> VersionPlan | None:
        for bound, number in self.branches():
            if bound is None or at < bound:
                return self.version(number)
        return None

    def version_expression(self, field_name: str = "occurred_at") -> Case | Value:
        """The version number in force at each row's `field_name`, as an ORM expression."""
        branches = self.branches()
        whens = [
            When(Q(**{f"{field_name}__lt": bound}), then=Value(number))
            for bound, number in branches
            if bound is not None
        ]
        last = branches[-1][1]  # the last branch has no bound
        if not whens:
            return Value(last, output_field=IntegerField())
        return Case(*whens, default=Value(last), output_field=IntegerField())


def version_sql(
    timelines: Iterable[MapTimeline], time_column: str, persona_column: str | None = None
) -> tuple[str, list]:
    """The version number in force at `time_column`, as SQL text and its parameters:
    NULL where no timeline applies. With several timelines, `persona_column` picks each
    row's."""
    cases, params = [], []
    for timeline in timelines:
        persona = "" if persona_column is None else f"{persona_column} = {int(timeline.persona_id)}"
        for bound, number in timeline.branches():
            conditions = [c for c in (persona, f"{time_column} < %s" if bound else "") if c]
            cases.append(
                f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN "
                f"{'NULL' if number is None else int(number)}"
            )
            if bound is not None:
                params.append(connection.ops.adapt_datetimefield_value(bound))
    if not cases:
        return "CAST(NULL AS INTEGER)", []
    return f"(CASE {' '.join(cases)} END)", params


def map_timelines(
    workspace, persona_ids: Iterable[int] | None = None, *, pin: int | None = None
) -> dict[int, MapTimeline]:
    """The timeline of each persona's map versions (by persona id), from the stored
    snapshots; a published map that has no stored version (written outside the
    services) counts as the persona's next version, read from its live rows. `pin`
    makes version `pin` read every event."""
    rows = JourneyMapVersion.objects.filter(workspace=workspace).order_by("persona_id", "number")
    maps = JourneyMap.objects.filter(
        workspace=workspace, status=JourneyMap.Status.PUBLISHED, persona__isnull=False
    )
    if persona_ids is not None:
        persona_ids = list(persona_ids)
        rows = rows.filter(persona_id__in=persona_ids)
        maps = maps.filter(persona_id__in=persona_ids)
    versions: dict[int, list[VersionPlan]] = {}
    versioned_maps = set()
    for row in rows:
        versions.setdefault(row.persona_id, []).append(
            plan_of(row.number, row.snapshot, row.published_at, row.live_until)
        )
        versioned_maps.add(row.journey_map_id)
    for journey_map in maps.exclude(pk__in=[pk for pk in versioned_maps if pk]):
        known = versions.setdefault(journey_map.persona_id, [])
        number = known[-1].number + 1 if known else 1
        # After stored versions it needs a start, so that it follows them.
        start = journey_map.published_at or (journey_map.updated_at if known else None)
        known.append(plan_of(number, snapshot_of(journey_map), start))
    return {
        persona_id: MapTimeline(persona_id, tuple(plans), pin)
        for persona_id, plans in versions.items()
        if any(plan.stages for plan in plans)
    }
