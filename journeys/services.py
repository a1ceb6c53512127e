"""Every write to the journey domain: catalogues, maps, stages and placements.

Services take rows the caller has already loaded inside the request's workspace and
check that every related row they are given belongs to that same workspace.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import PROTECT, F
from django.utils import timezone

from journeys.errors import JourneyErrorCode as Code
from journeys.models import (
    JourneyMap,
    JourneyMapVersion,
    Milestone,
    Persona,
    Stage,
    StageMilestone,
    StageTouchpoint,
    Touchpoint,
)
from journeys.signals import journey_design_changed
from journeys.versions import LANES, snapshot_of
from workspaces.errors import field_error
from workspaces.models import Workspace
from workspaces.services import apply_changes, validated_save

PERSONA_FIELDS = (
    "key",
    "name",
    "description",
    "role",
    "department",
    "seniority",
    "industry",
    "headcount_band",
    "revenue_band",
    "region",
    "goals",
    "pain_points",
    "objections",
    "preferred_channels",
    "matching_rules",
)
TOUCHPOINT_FIELDS = ("key", "name", "description", "channel", "phase", "is_online", "owner_team")
MILESTONE_FIELDS = ("key", "name", "description", "is_conversion", "value", "rule")
JOURNEY_MAP_FIELDS = ("persona", "name", "description", "is_template")
STAGE_FIELDS = ("name", *LANES)
MAX_PLACEMENTS_PER_STAGE = 100

# Positions move in two UPDATEs through this offset so that no intermediate row
# collides with the unique (parent, position) constraints on any database.
_POSITION_OFFSET = 1_000_000


def _ensure_same_workspace(workspace: Workspace, field: str, rows: Sequence[models.Model]) -> None:
    for row in rows:
        if row.workspace_id != workspace.pk:
            label = row._meta.verbose_name.capitalize()
            raise field_error(field, f"{label} not found.", Code.NOT_FOUND)


def _design_changed(workspace_id: int, journey_map: JourneyMap | None = None) -> None:
    """Tell listeners that accounts may stand elsewhere now (drafts move nobody)."""
    if journey_map is None or journey_map.status == JourneyMap.Status.PUBLISHED:
        journey_design_changed.send(sender=JourneyMap, workspace_id=workspace_id)


def _shift_positions(queryset: models.QuerySet, delta: int) -> None:
    ids = list(queryset.values_list("pk", flat=True))
    rows = queryset.model.objects.filter(pk__in=ids)
    rows.update(position=F("position") + _POSITION_OFFSET + delta)
    rows.update(position=F("position") - _POSITION_OFFSET)


# Personas, touchpoints and milestones -------------------------------------------------


def _create(model: type[models.Model], workspace: Workspace, fields, data: dict[str, Any]):
    return apply_changes(model(workspace=workspace), data, allowed=fields)


@transaction.atomic
def persona_create(*, workspace: Workspace, **data: Any) -> Persona:
    persona = _create(Persona, workspace, PERSONA_FIELDS, data)
    if persona.matching_rules:  # accounts may match it: reassign them
        _design_changed(workspace.pk)
    return persona


@transaction.atomic
def persona_update(*, persona: Persona, **changes: Any) -> Persona:
    before = persona.matching_rules
    persona = apply_changes(persona, changes, allowed=PERSONA_FIELDS)
    if persona.matching_rules != before:  # accounts may match it, or no longer
        _design_changed(persona.workspace_id)
    return persona


@transaction.atomic
def persona_delete(*, persona: Persona) -> None:
    maps = persona.journey_maps.count()
    if maps:
        raise field_error(
            None,
            f"Persona {persona.key!r} still has {maps} journey map(s); delete or re-assign them.",
            Code.IN_USE,
        )
    persona.delete()


@transaction.atomic
def touchpoint_create(*, workspace: Workspace, **data: Any) -> Touchpoint:
    return _create(Touchpoint, workspace, TOUCHPOINT_FIELDS, data)


@transaction.atomic
def touchpoint_update(*, touchpoint: Touchpoint, **changes: Any) -> Touchpoint:
    return apply_changes(touchpoint, changes, allowed=TOUCHPOINT_FIELDS)


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint) -> None:
    """Delete a touchpoint and its placements, closing the gaps they leave in their stages."""
    _refuse_if_on_published_map(touchpoint)
    placements = list(touchpoint.placements.select_related("stage"))
    _delete_unless_recorded(touchpoint)
    for placement in placements:
        _shift_positions(
            StageTouchpoint.objects.filter(
                stage=placement.stage_id, position__gt=placement.position
            ),
            -1,
        )


@transaction.atomic
def milestone_create(*, workspace: Workspace, **data: Any) -> Milestone:
    milestone = _create(Milestone, workspace, MILESTONE_FIELDS, data)
    if milestone.rule:
        _design_changed(workspace.pk)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, **changes: Any) -> Milestone:
    milestone = apply_changes(milestone, changes, allowed=MILESTONE_FIELDS)
    if {"rule", "value"} & set(changes):
        _design_changed(milestone.workspace_id)
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone) -> None:
    _refuse_if_on_published_map(milestone)
    _delete_unless_recorded(milestone)


def _delete_unless_recorded(row: Touchpoint | Milestone) -> None:
    """Catalogue entries that observed activity refers to stay: history must not break.

    Looks for protecting rows with EXISTS first: letting delete() raise ProtectedError
    would load every protecting row into memory.
    """
    for relation in row._meta.get_fields(include_hidden=True):
        if relation.one_to_many and getattr(relation, "on_delete", None) is PROTECT:
            used = relation.related_model._base_manager.filter(**{relation.field.name: row})
            if used.exists():
                label = row._meta.verbose_name.capitalize()
                raise field_error(
                    None,
                    f"{label} {row.key!r} has recorded activity and cannot be deleted.",
                    Code.IN_USE,
                )
    row.delete()


# Journey maps ------------------------------------------------------------------------


def _locked(journey_map: JourneyMap) -> JourneyMap:
    """The map's current row, locked so concurrent edits of one map run one after another."""
    return JourneyMap.objects.select_for_update().get(pk=journey_map.pk)


PUBLISHED_MESSAGE = (
    "This journey map is published and cannot be changed in place; create a draft from "
    "it (journeyMapDraftFromPublished) and publish the draft as the next version."
)


def _lock_map(journey_map: JourneyMap) -> JourneyMap:
    """Lock the map for an edit of its content, refusing edits to published and archived
    maps: a published map is a version that reports depend on."""
    locked = _locked(journey_map)
    if locked.status == JourneyMap.Status.ARCHIVED:
        raise field_error(
            None, "This journey map is archived; duplicate it to make changes.", Code.MAP_ARCHIVED
        )
    if locked.status == JourneyMap.Status.PUBLISHED:
        raise field_error(None, PUBLISHED_MESSAGE, Code.MAP_PUBLISHED)
    return locked


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The user to record as creator: none for API tokens (their request has no user)."""
    return user if user is not None and user.is_authenticated else None


def _refuse_if_on_published_map(row: Touchpoint | Milestone) -> None:
    """Deleting a catalogue entry would remove its placements from a published map."""
    placements = StageTouchpoint if isinstance(row, Touchpoint) else StageMilestone
    lookup = "stage__journey_map__status" if isinstance(row, Touchpoint) else "journey_map__status"
    label = row._meta.verbose_name
    if placements.objects.filter(**{label: row, lookup: JourneyMap.Status.PUBLISHED}).exists():
        raise field_error(
            None,
            f"The {label} {row.key!r} is placed on a published journey map; remove it from a "
            "draft of that map and publish the draft first.",
            Code.MAP_PUBLISHED,
        )


@transaction.atomic
def journey_map_create(
    *, workspace: Workspace, created_by: AbstractBaseUser | None = None, **data: Any
) -> JourneyMap:
    if data.get("persona") is not None:
        _ensure_same_workspace(workspace, "persona", [data["persona"]])
    journey_map = JourneyMap(workspace=workspace, created_by=_user_or_none(created_by))
    return apply_changes(journey_map, data, allowed=JOURNEY_MAP_FIELDS)


@transaction.atomic
def journey_map_update(*, journey_map: JourneyMap, **changes: Any) -> JourneyMap:
    journey_map = _lock_map(journey_map)
    if changes.get("persona") is not None:
        _ensure_same_workspace(journey_map.workspace, "persona", [changes["persona"]])
    return apply_changes(journey_map, changes, allowed=JOURNEY_MAP_FIELDS)


@transaction.atomic
def journey_map_delete(*, journey_map: JourneyMap) -> None:
    journey_map = _locked(journey_map)
    if journey_map.status == JourneyMap.Status.PUBLISHED:
        raise field_error(
            None, "Archive a published journey map before deleting it.", Code.INVALID_TRANSITION
        )
    journey_map.delete()


@transaction.atomic
def journey_map_publish(
    *, journey_map: JourneyMap, published_at: datetime | None = None
) -> JourneyMap:
    """Publish a map as the next version of its persona's map; the persona's previously
    published map is archived. `published_at` (default: now) backdates the publish, for
    importing a map's history (and the demo data): it must lie in the past, after the
    persona's latest version."""
    journey_map = _locked(journey_map)
    if journey_map.status == JourneyMap.Status.PUBLISHED:
        raise field_error(None, "This journey map is already published.", Code.INVALID_TRANSITION)
    if journey_map.is_template:
        raise field_error(
            None, "A template cannot be published; duplicate it for a persona.", Code.TEMPLATE
        )
    if not journey_map.stages.exists():
        raise field_error(None, "A journey map needs at least one stage.", Code.EMPTY_MAP)
    now = _publish_time(journey_map, published_at)
    JourneyMap.objects.filter(
        workspace=journey_map.workspace_id,
        persona=journey_map.persona_id,
        status=JourneyMap.Status.PUBLISHED,
    ).update(status=JourneyMap.Status.ARCHIVED, archived_at=now, updated_at=now)
    journey_map.status = JourneyMap.Status.PUBLISHED
    journey_map.published_at = now
    journey_map.archived_at = None
    _design_changed(journey_map.workspace_id)
    validated_save(journey_map)
    _store_version(journey_map, now)
    return journey_map


def _publish_time(journey_map: JourneyMap, published_at: datetime | None) -> datetime:
    now = timezone.now()
    if published_at is None:
        return now
    latest = (
        JourneyMapVersion.objects.filter(
            workspace=journey_map.workspace_id, persona=journey_map.persona_id
        )
        .order_by("-number")
        .values_list("published_at", flat=True)
        .first()
    )
    if published_at > now or (latest is not None and published_at <= latest):
        raise field_error(
            "published_at",
            "A backdated publish lies in the past, after the persona's latest version.",
            Code.INVALID_TRANSITION,
        )
    return published_at


def _store_version(journey_map: JourneyMap, now) -> JourneyMapVersion:
    """Version N + 1 of the persona's map; the live version N ends now. The persona row
    is locked so that two publishes for one persona number their versions in turn."""
    Persona.objects.select_for_update().filter(pk=journey_map.persona_id).first()
    versions = JourneyMapVersion.objects.filter(
        workspace=journey_map.workspace_id, persona=journey_map.persona_id
    )
    versions.filter(live_until__isnull=True).update(live_until=now, updated_at=now)
    last = versions.order_by("-number").values_list("number", flat=True).first() or 0
    return validated_save(
        JourneyMapVersion(
            workspace_id=journey_map.workspace_id,
            persona_id=journey_map.persona_id,
            journey_map=journey_map,
            number=last + 1,
            published_at=now,
            snapshot=snapshot_of(journey_map),
        )
    )


@transaction.atomic
def journey_map_archive(*, journey_map: JourneyMap) -> JourneyMap:
    journey_map = _locked(journey_map)
    if journey_map.status == JourneyMap.Status.ARCHIVED:
        raise field_error(None, "This journey map is already archived.", Code.INVALID_TRANSITION)
    _design_changed(journey_map.workspace_id, journey_map)
    journey_map.status = JourneyMap.Status.ARCHIVED
    journey_map.archived_at = timezone.now()
    JourneyMapVersion.objects.filter(journey_map=journey_map, live_until__isnull=True).update(
        live_until=journey_map.archived_at, updated_at=journey_map.archived_at
    )
    return validated_save(journey_map)


@dataclass(frozen=True)
class _Unset:
    """Marks an argument the caller did not give (None is a meaningful persona)."""


UNSET = _Unset()


@transaction.atomic
def journey_map_duplicate(
    *,
    journey_map: JourneyMap,
    created_by: AbstractBaseUser | None = None,
    name: str | None = None,
    persona: Persona | _Unset | None = UNSET,
    is_template: bool = False,
) -> JourneyMap:
    """Deep-copy a map (stages, touchpoint and milestone placements) into a new draft."""
    workspace = journey_map.workspace
    if persona is UNSET:
        persona = journey_map.persona
    elif persona is not None:
        _ensure_same_workspace(workspace, "persona", [persona])
    copy = validated_save(
        JourneyMap(
            workspace=workspace,
            persona=persona,
            name=name or f"{journey_map.name} (copy)",
            description=journey_map.description,
            is_template=is_template,
            duplicated_from=journey_map,
            created_by=_user_or_none(created_by),
        )
    )
    stages = list(journey_map.stages.order_by("position"))
    new_stages = Stage.objects.bulk_create(
        [
            Stage(
                workspace=workspace,
                journey_map=copy,
                position=stage.position,
                lineage=stage.lineage or stage.pk,
                **{name: getattr(stage, name) for name in STAGE_FIELDS},
            )
            for stage in stages
        ]
    )
    # bulk_create returns primary keys on SQLite 3.35+ and PostgreSQL.
    by_old_id = {old.pk: new for old, new in zip(stages, new_stages, strict=True)}
    StageTouchpoint.objects.bulk_create(
        StageTouchpoint(
            workspace=workspace,
            stage=by_old_id[placement.stage_id],
            touchpoint_id=placement.touchpoint_id,
            position=placement.position,
            notes=placement.notes,
        )
        for placement in StageTouchpoint.objects.filter(stage__in=stages)
    )
    StageMilestone.objects.bulk_create(
        StageMilestone(
            workspace=workspace,
            journey_map=copy,
            stage=by_old_id[placement.stage_id],
            milestone_id=placement.milestone_id,
        )
        for placement in StageMilestone.objects.filter(stage__in=stages)
    )
    return copy


@transaction.atomic
def journey_map_draft_from_published(
    *, journey_map: JourneyMap, created_by: AbstractBaseUser | None = None
) -> JourneyMap:
    """A draft copy of a published map, for the persona's next version: edit the draft,
    then publish it (the published map is archived and the draft becomes version N + 1)."""
    journey_map = _locked(journey_map)
    if journey_map.status != JourneyMap.Status.PUBLISHED:
        raise field_error(
            "id", "Only a published journey map has a next version to draft.", Code.NOT_PUBLISHED
        )
    return journey_map_duplicate(
        journey_map=journey_map, created_by=created_by, name=journey_map.name
    )


# Stages ------------------------------------------------------------------------------


def _check_position(field: str, position: int, last: int) -> None:
    if not 1 <= position <= last:
        raise field_error(field, f"Position must be between 1 and {last}.", Code.INVALID_POSITION)


@transaction.atomic
def stage_create(*, journey_map: JourneyMap, position: int | None = None, **data: Any) -> Stage:
    """Add a stage at the end, or at a position, moving later stages down by one."""
    journey_map = _lock_map(journey_map)
    siblings = Stage.objects.filter(journey_map=journey_map)
    count = siblings.count()
    if position is None:
        position = count + 1
    _check_position("position", position, count + 1)
    _shift_positions(siblings.filter(position__gte=position), +1)
    _design_changed(journey_map.workspace_id, journey_map)
    stage = Stage(workspace_id=journey_map.workspace_id, journey_map=journey_map, position=position)
    return apply_changes(stage, data, allowed=STAGE_FIELDS)


@transaction.atomic
def stage_update(*, stage: Stage, **changes: Any) -> Stage:
    _lock_map(stage.journey_map)
    stage.refresh_from_db()
    return apply_changes(stage, changes, allowed=STAGE_FIELDS)


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    """Delete a stage and close the gap it leaves."""
    _design_changed(stage.workspace_id, _lock_map(stage.journey_map))
    stage.refresh_from_db(fields=["position"])
    siblings = Stage.objects.filter(journey_map=stage.journey_map_id)
    position = stage.position
    stage.delete()
    _shift_positions(siblings.filter(position__gt=position), -1)


@transaction.atomic
def stage_move(*, stage: Stage, position: int) -> Stage:
    """Move a stage to a position; the stages in between close up, without gaps."""
    _design_changed(stage.workspace_id, _lock_map(stage.journey_map))
    stage.refresh_from_db(fields=["position"])
    siblings = Stage.objects.filter(journey_map=stage.journey_map_id)
    _check_position("position", position, siblings.count())
    old = stage.position
    if position == old:
        return stage
    Stage.objects.filter(pk=stage.pk).update(position=2 * _POSITION_OFFSET)
    if position < old:
        _shift_positions(siblings.filter(position__gte=position, position__lt=old), +1)
    else:
        _shift_positions(siblings.filter(position__gt=old, position__lte=position), -1)
    Stage.objects.filter(pk=stage.pk).update(position=position, updated_at=timezone.now())
    stage.refresh_from_db()
    return stage


@transaction.atomic
def stage_order_set(*, journey_map: JourneyMap, stages: Sequence[Stage]) -> list[Stage]:
    """Put the map's stages in this order (positions 1..n): every stage of the map, once.

    The canvas sends its whole order after a drag: a list with a stage twice, a stage
    of another map or a stage missing is refused, so positions stay dense and unique.
    """
    journey_map = _lock_map(journey_map)
    current = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    known = {stage.pk for stage in current}
    seen: dict[int, int] = {}
    for index, stage in enumerate(stages):
        if stage.pk not in known:
            raise field_error("stages", f"Stage {stage.pk} is not in this map.", Code.NOT_FOUND)
        if stage.pk in seen:
            raise field_error(
                "stages",
                f"Stage {stage.name!r} is listed twice (positions {seen[stage.pk] + 1} and "
                f"{index + 1}): each stage takes exactly one position.",
                Code.DUPLICATE,
            )
        seen[stage.pk] = index
    if len(seen) != len(current):
        missing = ", ".join(repr(stage.name) for stage in current if stage.pk not in seen)
        raise field_error(
            "stages", f"Every stage of the map needs a position; missing: {missing}.", Code.REQUIRED
        )
    if [stage.pk for stage in current] == [stage.pk for stage in stages]:
        return current
    _design_changed(journey_map.workspace_id, journey_map)
    _shift_positions(Stage.objects.filter(journey_map=journey_map), _POSITION_OFFSET)
    now = timezone.now()
    for position, stage in enumerate(stages, start=1):
        Stage.objects.filter(pk=stage.pk).update(position=position, updated_at=now)
    return list(Stage.objects.filter(journey_map=journey_map).order_by("position"))


@transaction.atomic
def stage_touchpoints_reorder(
    *, stage: Stage, placements: Sequence[StageTouchpoint]
) -> list[StageTouchpoint]:
    """Put the stage's placed touchpoints in this order, keeping their notes: every
    placement of the stage, once (the canvas's drag and drop)."""
    current = {row.pk: row for row in stage.touchpoint_placements.select_related("touchpoint")}
    seen: set[int] = set()
    for index, placement in enumerate(placements):
        if placement.pk not in current:
            raise field_error(
                "touchpoints", f"Placement {placement.pk} is not in this stage.", Code.NOT_FOUND
            )
        if placement.pk in seen:
            raise field_error(
                "touchpoints",
                f"Touchpoint {current[placement.pk].touchpoint.key!r} is listed twice "
                f"(item {index}).",
                Code.DUPLICATE,
            )
        seen.add(placement.pk)
    if len(seen) != len(current):
        raise field_error(
            "touchpoints", "Every touchpoint placed in the stage needs a position.", Code.REQUIRED
        )
    return stage_touchpoints_set(
        stage=stage,
        placements=[
            TouchpointPlacement(touchpoint=current[p.pk].touchpoint, notes=current[p.pk].notes)
            for p in placements
        ],
    )


# Placements --------------------------------------------------------------------------


@dataclass(frozen=True)
class TouchpointPlacement:
    touchpoint: Touchpoint
    notes: str = ""


@transaction.atomic
def stage_touchpoints_set(
    *, stage: Stage, placements: Sequence[TouchpointPlacement]
) -> list[StageTouchpoint]:
    """Make the stage's touchpoints exactly these, in this order, keeping existing rows."""
    _lock_map(stage.journey_map)
    if len(placements) > MAX_PLACEMENTS_PER_STAGE:
        raise field_error(
            "touchpoints",
            f"A stage holds at most {MAX_PLACEMENTS_PER_STAGE} touchpoints.",
            Code.TOO_MANY,
        )
    touchpoints = [placement.touchpoint for placement in placements]
    _ensure_same_workspace(stage.journey_map.workspace, "touchpoints", touchpoints)
    seen: set[int] = set()
    for index, touchpoint in enumerate(touchpoints):
        if touchpoint.pk in seen:
            raise field_error(
                "touchpoints",
                f"Touchpoint {touchpoint.key!r} is listed twice (item {index}).",
                Code.DUPLICATE,
            )
        seen.add(touchpoint.pk)

    existing = {row.touchpoint_id: row for row in stage.touchpoint_placements.all()}
    StageTouchpoint.objects.filter(stage=stage).exclude(touchpoint__in=seen).delete()
    kept = StageTouchpoint.objects.filter(stage=stage)
    kept.update(position=F("position") + _POSITION_OFFSET)
    result = []
    for position, placement in enumerate(placements, start=1):
        row = existing.get(placement.touchpoint.pk) or StageTouchpoint(
            workspace_id=stage.workspace_id, stage=stage, touchpoint=placement.touchpoint
        )
        row.position = position
        row.notes = placement.notes
        result.append(validated_save(row))
    return result


@transaction.atomic
def stage_milestones_set(*, stage: Stage, milestones: Sequence[Milestone]) -> list[StageMilestone]:
    """Make these milestones the stage's exit milestones; each exits one stage per map."""
    _design_changed(stage.workspace_id, _lock_map(stage.journey_map))
    _ensure_same_workspace(stage.journey_map.workspace, "milestones", milestones)
    wanted = {milestone.pk: milestone for milestone in milestones}
    taken = (
        StageMilestone.objects.filter(journey_map=stage.journey_map_id, milestone__in=wanted)
        .exclude(stage=stage)
        .select_related("stage", "milestone")
        .first()
    )
    if taken is not None:
        raise field_error(
            "milestones",
            f"Milestone {taken.milestone.key!r} already marks the exit of stage "
            f"{taken.stage.position} ({taken.stage.name}) in this map.",
            Code.MILESTONE_IN_USE,
        )
    StageMilestone.objects.filter(stage=stage).exclude(milestone__in=wanted).delete()
    present = set(StageMilestone.objects.filter(stage=stage).values_list("milestone_id", flat=True))
    for milestone in wanted.values():
        if milestone.pk not in present:
            validated_save(
                StageMilestone(
                    workspace_id=stage.workspace_id,
                    journey_map_id=stage.journey_map_id,
                    stage=stage,
                    milestone=milestone,
                )
            )
    return list(StageMilestone.objects.filter(stage=stage).select_related("milestone"))
