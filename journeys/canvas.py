"""The map canvas of the admin: the map's drawing as a page, and the drag-and-drop
reordering of its stages and placed touchpoints, saved through the services.

Drafts are edited here; published and archived maps are shown read-only (accounts are
measured against a published map: it changes through a draft of its next version).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from journeys import services
from journeys.models import JourneyMap, Stage, StageTouchpoint
from journeys.pictures import Drawing, PictureFormat, map_drawing, overlay_for
from workspaces.admin_scoping import error_text

EMOTION_WIDTH = 100  # viewBox units per stage column of the emotion lane
EMOTION_HEIGHT = 100


@dataclass(frozen=True)
class EmotionLane:
    """The emotion lane of the canvas in viewBox units: the curve, its dots, stall bars."""

    width: int
    points: str
    dots: list[tuple[float, float]]
    bars: list[tuple[float, float, float]]  # x, y, height of each measured stall rate


def emotion_lane(drawing: Drawing) -> EmotionLane:
    def y_of(score: int) -> float:
        return EMOTION_HEIGHT / 2 - score * (EMOTION_HEIGHT / 2 - 10) / 5

    dots = [
        (index * EMOTION_WIDTH + EMOTION_WIDTH / 2, y_of(score))
        for index, score, _ in drawing.emotion_points
    ]
    bars = []
    for index, column in enumerate(drawing.columns):
        rate = column.measures.stall_rate if column.measures else None
        if rate is not None:
            height = (EMOTION_HEIGHT - 10) * rate
            bars.append((index * EMOTION_WIDTH + 30, EMOTION_HEIGHT - height, height))
    return EmotionLane(
        width=max(len(drawing.columns), 1) * EMOTION_WIDTH,
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in dots),
        dots=dots,
        bars=bars,
    )


def _ids(value: str, field: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError as error:
        raise ValidationError(f"{field}: expected ids separated by commas.") from error


def _rows(model, ids: list[int], **scope) -> list:
    """The rows these ids name, in this order, repeats kept (for the service to refuse)."""
    found = {row.pk: row for row in model.objects.filter(pk__in=ids, **scope)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        label = model._meta.verbose_name
        raise ValidationError(f"No {label} {missing[0]} in this map.")
    return [found[pk] for pk in ids]


@transaction.atomic
def save_order(journey_map: JourneyMap, data: dict[str, Any]) -> list[str]:
    """Apply the order the canvas posted; what changed, for the message."""
    done = []
    if data.get("stage_order"):
        order = _rows(Stage, _ids(data["stage_order"], "stage_order"), journey_map=journey_map)
        before = list(
            Stage.objects.filter(journey_map=journey_map)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        services.stage_order_set(journey_map=journey_map, stages=order)
        if before != [stage.pk for stage in order]:
            done.append("stage order")
    for stage in Stage.objects.filter(journey_map=journey_map):
        value = data.get(f"touchpoints-{stage.pk}")
        if not value:
            continue
        ids = _ids(value, "touchpoints")
        before = list(stage.touchpoint_placements.values_list("pk", flat=True))
        if before == ids:
            continue
        placements = _rows(StageTouchpoint, ids, stage=stage)
        services.stage_touchpoints_reorder(stage=stage, placements=placements)
        done.append(f"touchpoints of {stage.name}")
    return done


def canvas_view(model_admin, request: HttpRequest, object_id: str):
    journey_map = model_admin.get_object(request, object_id)
    if journey_map is None or not model_admin.has_view_permission(request, journey_map):
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    may_change = model_admin.has_change_permission(request, journey_map)
    editable = may_change and journey_map.status == JourneyMap.Status.DRAFT
    if request.method == "POST":
        if not editable:
            messages.error(request, "This map cannot be rearranged here.")
            return redirect(request.path)
        try:
            done = save_order(journey_map, request.POST)
        except ValidationError as error:
            messages.error(request, f"Nothing was saved: {error_text(error)}")
        else:
            for what in done:
                model_admin._audit(request, journey_map, "Update")
                messages.success(request, f"Saved the new {what}.")
            if not done:
                messages.info(request, "Nothing to save: the order is unchanged.")
        return redirect(request.path)

    show_overlay = request.GET.get("overlay", "1") != "0"
    drawing = map_drawing(journey_map, overlay_for(journey_map) if show_overlay else None)
    columns = drawing.columns
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": journey_map.name,
        "subtitle": "Canvas",
        "original": journey_map,
        "drawing": drawing,
        "columns": columns,
        "lanes": [(lane, list(zip(columns, lane.cells, strict=True))) for lane in drawing.lanes],
        "emotion": emotion_lane(drawing),
        "editable": editable,
        "may_change": may_change,
        "show_overlay": show_overlay,
        "stage_order": ",".join(str(column.id) for column in columns),
        "change_url": reverse("admin:journeys_journeymap_change", args=[journey_map.pk]),
        "pictures": [
            (
                fmt.name,
                reverse("admin:journeys_journeymap_picture", args=[journey_map.pk, fmt.value])
                + ("?overlay=1" if show_overlay else ""),
            )
            for fmt in PictureFormat
        ],
    }
    return TemplateResponse(request, "admin/journeys/journeymap/canvas.html", context)
