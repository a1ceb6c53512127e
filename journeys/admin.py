"""Admin for the people who edit journey maps.

Every admin here is scoped to the caller's workspaces (``workspaces.admin_scoping``)
and saves through ``journeys.services``: the admin only translates forms and
formsets into service calls. Rows of a published or archived map are read-only,
because the services refuse to edit them (a published map changes through a draft
published as its next version); any refusal that slips past form validation becomes an
admin message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from math import inf
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from journeys import services, versions
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
from workspaces.admin_scoping import (
    ServiceErrorsAdminMixin,
    WorkspaceRowForm,
    WorkspaceScopedAdminMixin,
    error_text,
)

WORKSPACE_FILTER = ("workspace", admin.RelatedOnlyFieldListFilter)
TIMESTAMPS = ("created_at", "updated_at")


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a service created (same pk and values)."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _is_frozen(journey_map: JourneyMap | None) -> bool:
    """Published and archived maps are not edited in place."""
    return journey_map is not None and journey_map.status != JourneyMap.Status.DRAFT


def _ordered(rows: Iterable[tuple[int | None, int, Any]]) -> list[Any]:
    """Rows by their requested position (blank: last), ties in form order."""
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0] or inf, r[1]))]


def _stored_position(form: forms.ModelForm) -> int:
    position = form.initial.get("position")
    if position is None:
        position = (
            type(form.instance).objects.values_list("position", flat=True).get(pk=form.instance.pk)
        )
    return position


class PositionField(forms.IntegerField):
    """1-based position; blank puts the row last. Gaps are closed when saving."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, required=False, **kwargs)


class ServiceBackedAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    """A scoped admin that creates, updates and deletes rows through services.

    Subclasses name the fields their services accept and implement ``create_row``,
    ``update_row`` and ``delete_row``.
    """

    form = WorkspaceRowForm
    service_fields: tuple[str, ...] = ()

    def create_row(self, request: HttpRequest, workspace, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_row(self, request: HttpRequest, obj, changes: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_row(self, request: HttpRequest, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in self.service_fields
            }
            if changes:
                self.update_row(request, obj, changes)
        else:
            data = {
                name: form.cleaned_data[name]
                for name in self.service_fields
                if name in form.cleaned_data
            }
            _adopt(obj, self.create_row(request, obj.workspace, data))

    def delete_model(self, request, obj):
        self.delete_row(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_row(request, obj)


# Catalogues ----------------------------------------------------------------------------


@admin.register(Persona)
class PersonaAdmin(ServiceBackedAdmin):
    service_fields = services.PERSONA_FIELDS
    list_display = ("name", "key", "role", "seniority", "industry", "region", "workspace")
    list_filter = (WORKSPACE_FILTER, "seniority")
    list_select_related = ("workspace",)
    search_fields = ("name", "key", "role", "department")
    autocomplete_fields = ("workspace",)
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("workspace", "key", "name", "description")}),
        (
            "Profile",
            {
                "fields": (
                    "role",
                    "department",
                    "seniority",
                    "industry",
                    "headcount_band",
                    "revenue_band",
                    "region",
                )
            },
        ),
        (
            "Needs",
            {"fields": ("goals", "pain_points", "objections", "preferred_channels")},
        ),
        ("Matching", {"fields": ("matching_rules",), "classes": ("collapse",)}),
        ("History", {"fields": TIMESTAMPS}),
    )

    def create_row(self, request, workspace, data):
        return services.persona_create(workspace=workspace, **data)

    def update_row(self, request, obj, changes):
        services.persona_update(persona=obj, **changes)

    def delete_row(self, request, obj):
        services.persona_delete(persona=obj)


@admin.register(Touchpoint)
class TouchpointAdmin(ServiceBackedAdmin):
    service_fields = services.TOUCHPOINT_FIELDS
    list_display = ("name", "key", "channel", "phase", "is_online", "owner_team", "workspace")
    list_filter = (WORKSPACE_FILTER, "channel", "phase", "is_online", "owner_team")
    list_select_related = ("workspace",)
    search_fields = ("name", "key", "owner_team")
    autocomplete_fields = ("workspace",)
    fields = ("workspace", *services.TOUCHPOINT_FIELDS, *TIMESTAMPS)
    readonly_fields = TIMESTAMPS

    def create_row(self, request, workspace, data):
        return services.touchpoint_create(workspace=workspace, **data)

    def update_row(self, request, obj, changes):
        services.touchpoint_update(touchpoint=obj, **changes)

    def delete_row(self, request, obj):
        services.touchpoint_delete(touchpoint=obj)


@admin.register(Milestone)
class MilestoneAdmin(ServiceBackedAdmin):
    service_fields = services.MILESTONE_FIELDS
    list_display = ("name", "key", "is_conversion", "value", "has_rule", "workspace")
    list_filter = (WORKSPACE_FILTER, "is_conversion")
    list_select_related = ("workspace",)
    search_fields = ("name", "key")
    autocomplete_fields = ("workspace",)
    fields = ("workspace", *services.MILESTONE_FIELDS, *TIMESTAMPS)
    readonly_fields = TIMESTAMPS

    @admin.display(description="Rule", boolean=True)
    def has_rule(self, milestone: Milestone) -> bool:
        return bool(milestone.rule)

    def create_row(self, request, workspace, data):
        return services.milestone_create(workspace=workspace, **data)

    def update_row(self, request, obj, changes):
        services.milestone_update(milestone=obj, **changes)

    def delete_row(self, request, obj):
        services.milestone_delete(milestone=obj)


# Journey maps and their stages -----------------------------------------------------------


class MapLockedInline(WorkspaceScopedAdminMixin, admin.TabularInline):
    """An inline whose rows belong to a journey map: read-only unless the map is a draft."""

    def journey_map_of(self, parent) -> JourneyMap | None:
        raise NotImplementedError

    def _locked(self, parent) -> bool:
        return parent is not None and _is_frozen(self.journey_map_of(parent))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._locked(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(obj)


class StageInlineForm(WorkspaceRowForm):
    derived_fields = {"workspace": ("journey_map", "workspace_id")}
    unvalidated_fields = ("position",)
    position = PositionField()


class StageInline(MapLockedInline):
    """The map's stages in order; saving renumbers them 1..n through the services."""

    model = Stage
    form = StageInlineForm
    fields = (
        "position",
        "name",
        "owner_team",
        "emotion_score",
        "emotion_label",
        "expected_duration_days",
    )
    ordering = ("position",)
    extra = 1
    show_change_link = True

    def journey_map_of(self, parent):
        return parent


def save_stage_formset(formset) -> None:
    """Apply a map's stage formset with stage services: edits, deletions, additions, order.

    Positions are never written by the formset itself: changed fields are saved with
    the stored position, and the final order is reached with ``stage_move`` calls, so
    the unique (map, position) constraint holds after every statement.
    """
    journey_map = formset.instance
    created, changed, deleted, rows = [], [], [], []
    for index, form in enumerate(formset.forms):
        if form in formset.deleted_forms:
            if form.instance.pk is not None:
                deleted.append(form.instance)
            continue
        if form.instance.pk is None:
            if not form.has_changed():
                continue
            data = {n: form.cleaned_data[n] for n in services.STAGE_FIELDS if n in form.fields}
            stage = services.stage_create(journey_map=journey_map, **data)
            form.instance = stage
            created.append(stage)
        else:
            stage = form.instance
            edits = {
                n: form.cleaned_data[n] for n in form.changed_data if n in services.STAGE_FIELDS
            }
            if edits:
                stage.position = _stored_position(form)
                services.stage_update(stage=stage, **edits)
            if form.changed_data:
                changed.append((stage, form.changed_data))
        rows.append((form.cleaned_data.get("position"), index, stage))

    for stage in deleted:
        stage.refresh_from_db(fields=["position"])
        services.stage_delete(stage=stage)

    current = list(
        Stage.objects.filter(journey_map=journey_map)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    for position, stage in enumerate(_ordered(rows), start=1):
        if current.index(stage.pk) != position - 1:
            services.stage_move(stage=stage, position=position)
            current.remove(stage.pk)
            current.insert(position - 1, stage.pk)
        stage.position = position

    formset.new_objects, formset.changed_objects, formset.deleted_objects = (
        created,
        changed,
        deleted,
    )


class JourneyMapForm(WorkspaceRowForm):
    validated_fields = ("status",)  # one published map per persona


@admin.register(JourneyMap)
class JourneyMapAdmin(ServiceBackedAdmin):
    form = JourneyMapForm
    service_fields = services.JOURNEY_MAP_FIELDS
    list_display = (
        "name",
        "persona",
        "status",
        "is_template",
        "stage_count",
        "workspace",
        "updated_at",
    )
    list_filter = (
        "status",
        "is_template",
        ("persona", admin.RelatedOnlyFieldListFilter),
        WORKSPACE_FILTER,
    )
    list_select_related = ("persona", "workspace")
    search_fields = ("name", "persona__name", "persona__key")
    autocomplete_fields = ("workspace", "persona")
    fields = (
        "workspace",
        "persona",
        "name",
        "description",
        "is_template",
        "status",
        "published_at",
        "archived_at",
        "duplicated_from",
        "created_by",
        *TIMESTAMPS,
    )
    readonly_fields = (
        "status",
        "published_at",
        "archived_at",
        "duplicated_from",
        "created_by",
        *TIMESTAMPS,
    )
    inlines = (StageInline,)
    actions = ("duplicate_maps", "draft_next_versions", "publish_maps", "archive_maps")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stage_count=Count("stages"))

    @admin.display(description="Stages", ordering="stage_count")
    def stage_count(self, journey_map: JourneyMap) -> int:
        return journey_map.stage_count

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _is_frozen(obj)

    def has_delete_permission(self, request, obj=None):
        published = obj is not None and obj.status == JourneyMap.Status.PUBLISHED
        return super().has_delete_permission(request, obj) and not published

    def create_row(self, request, workspace, data):
        return services.journey_map_create(workspace=workspace, created_by=request.user, **data)

    def update_row(self, request, obj, changes):
        services.journey_map_update(journey_map=obj, **changes)

    def delete_row(self, request, obj):
        services.journey_map_delete(journey_map=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Stage:
            save_stage_formset(formset)
        else:
            super().save_formset(request, form, formset, change)

    # Actions ---------------------------------------------------------------------------

    def _apply(
        self,
        request: HttpRequest,
        queryset: models.QuerySet,
        service: Callable[[JourneyMap], Any],
        done: str,
        operation: str,
    ) -> None:
        """Run a service on every selected map the caller may change, reporting refusals."""
        total = queryset.count()
        writable = list(self.filter_writable(request, queryset).select_related("workspace"))
        succeeded = 0
        for journey_map in writable:
            try:
                result = service(journey_map)
            except ValidationError as error:
                self.message_user(request, f"{journey_map}: {error_text(error)}", messages.ERROR)
            else:
                self._audit(request, result, operation)
                succeeded += 1
        skipped = total - len(writable)
        if skipped:
            self.message_user(
                request,
                f"{skipped} map(s) skipped: you may not change them.",
                messages.WARNING,
            )
        if succeeded:
            self.message_user(request, f"{succeeded} map(s) {done}.", messages.SUCCESS)

    @admin.action(description="Duplicate selected maps", permissions=["add"])
    def duplicate_maps(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda journey_map: services.journey_map_duplicate(
                journey_map=journey_map,
                created_by=request.user,
                is_template=journey_map.is_template,
            ),
            "duplicated",
            "Duplicate",
        )

    @admin.action(
        description="Draft the next version of selected published maps", permissions=["add"]
    )
    def draft_next_versions(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda journey_map: services.journey_map_draft_from_published(
                journey_map=journey_map, created_by=request.user
            ),
            "drafted as a next version",
            "DraftFromPublished",
        )

    @admin.action(description="Publish selected maps", permissions=["change"])
    def publish_maps(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda journey_map: services.journey_map_publish(journey_map=journey_map),
            "published",
            "Publish",
        )

    @admin.action(description="Archive selected maps", permissions=["change"])
    def archive_maps(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda journey_map: services.journey_map_archive(journey_map=journey_map),
            "archived",
            "Archive",
        )


# Stages and their placements -------------------------------------------------------------


class StageTouchpointForm(WorkspaceRowForm):
    derived_fields = {"workspace": ("stage", "workspace_id")}
    unvalidated_fields = ("position",)
    position = PositionField()


class StageTouchpointInline(MapLockedInline):
    """Touchpoints placed in the stage, in order; saved with ``stage_touchpoints_set``."""

    model = StageTouchpoint
    form = StageTouchpointForm
    fields = ("position", "touchpoint", "notes")
    autocomplete_fields = ("touchpoint",)
    ordering = ("position",)
    extra = 1
    max_num = services.MAX_PLACEMENTS_PER_STAGE
    verbose_name = "touchpoint placement"

    def journey_map_of(self, parent):
        return parent.journey_map

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("touchpoint")


class StageMilestoneForm(WorkspaceRowForm):
    # The map column mirrors the stage's map: set here, never asked for, and validated
    # so that a milestone already exiting another stage of the map is a form error.
    derived_fields = {
        "workspace": ("stage", "workspace_id"),
        "journey_map": ("stage", "journey_map_id"),
    }


class StageMilestoneInline(MapLockedInline):
    """Milestones that mark the stage's exit; saved with ``stage_milestones_set``."""

    model = StageMilestone
    form = StageMilestoneForm
    fields = ("milestone",)
    autocomplete_fields = ("milestone",)
    extra = 1
    verbose_name = "exit milestone"

    def journey_map_of(self, parent):
        return parent.journey_map

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("milestone")


def _placement_forms(formset) -> tuple[list, list, list, list[tuple[int | None, int, Any]]]:
    """(created, changed, deleted, kept rows) of a placement formset, in form order."""
    created, changed, deleted, kept = [], [], [], []
    for index, form in enumerate(formset.forms):
        if form in formset.deleted_forms:
            if form.instance.pk is not None:
                deleted.append(form.instance)
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        if form.instance.pk is None:
            created.append(form.instance)
        elif form.changed_data:
            changed.append((form.instance, form.changed_data))
        kept.append((form.cleaned_data.get("position"), index, form))
    return created, changed, deleted, kept


def save_placement_formset(formset) -> None:
    """Make the stage's placements exactly what the formset lists, through the services."""
    if not formset.has_changed():
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return
    created, changed, deleted, kept = _placement_forms(formset)
    stage = formset.instance
    if formset.model is StageTouchpoint:
        services.stage_touchpoints_set(
            stage=stage,
            placements=[
                services.TouchpointPlacement(
                    touchpoint=form.cleaned_data["touchpoint"],
                    notes=form.cleaned_data.get("notes", ""),
                )
                for form in _ordered(kept)
            ],
        )
    else:
        services.stage_milestones_set(
            stage=stage, milestones=[form.cleaned_data["milestone"] for form in _ordered(kept)]
        )
    formset.new_objects, formset.changed_objects, formset.deleted_objects = (
        created,
        changed,
        deleted,
    )


class StageForm(WorkspaceRowForm):
    derived_fields = {"workspace": ("journey_map", "workspace_id")}
    unvalidated_fields = ("position",)
    position = PositionField(help_text="1 is the first stage; blank adds the stage last.")

    def clean(self):
        cleaned_data = super().clean()
        position = cleaned_data.get("position")
        journey_map = self._source("journey_map")
        if position is not None and journey_map is not None and journey_map.pk is not None:
            last = Stage.objects.filter(journey_map=journey_map).count()
            if self.instance.pk is None:
                last += 1
            if position > last:
                self.add_error("position", f"Position must be between 1 and {last}.")
        return cleaned_data


@admin.register(Stage)
class StageAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    form = StageForm
    list_display = (
        "name",
        "journey_map",
        "position",
        "owner_team",
        "emotion_score",
        "expected_duration_days",
        "workspace",
    )
    list_filter = (WORKSPACE_FILTER, "journey_map__status", "owner_team")
    list_select_related = ("journey_map", "workspace")
    search_fields = ("name", "journey_map__name")
    ordering = ("journey_map__name", "journey_map_id", "position")
    autocomplete_fields = ("journey_map",)
    readonly_fields = ("workspace", *TIMESTAMPS)
    fieldsets = (
        (None, {"fields": ("workspace", "journey_map", "position", "name", "description")}),
        (
            "Customer",
            {
                "fields": (
                    "customer_goal",
                    "actions",
                    "thoughts",
                    "emotion_score",
                    "emotion_label",
                    "pain_points",
                )
            },
        ),
        (
            "Delivery",
            {"fields": ("opportunities", "kpis", "owner_team", "expected_duration_days")},
        ),
        ("History", {"fields": TIMESTAMPS}),
    )
    inlines = (StageTouchpointInline, StageMilestoneInline)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("journey_map", "workspace")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:
            readonly += ("journey_map",)  # a stage does not move between maps
        return readonly

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (
            obj is not None and _is_frozen(obj.journey_map)
        )

    def save_model(self, request, obj, form, change):
        position = form.cleaned_data.get("position")
        if not change:
            data = {n: form.cleaned_data[n] for n in services.STAGE_FIELDS if n in form.fields}
            stage = services.stage_create(
                journey_map=form.cleaned_data["journey_map"], position=position, **data
            )
            _adopt(obj, stage)
            return
        data = {n: form.cleaned_data[n] for n in form.changed_data if n in services.STAGE_FIELDS}
        if data:
            obj.position = _stored_position(form)
            services.stage_update(stage=obj, **data)
        if "position" in form.changed_data:
            last = Stage.objects.filter(journey_map=obj.journey_map_id).count()
            moved = services.stage_move(stage=obj, position=position or last)
            obj.position = moved.position

    def delete_model(self, request, obj):
        obj.refresh_from_db(fields=["position"])
        services.stage_delete(stage=obj)

    def delete_queryset(self, request, queryset):
        for stage in queryset:
            self.delete_model(request, stage)

    def save_formset(self, request, form, formset, change):
        save_placement_formset(formset)


# Map versions ------------------------------------------------------------------------------


def _html_list(items: list[str]):
    if not items:
        return "-"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


def diff_lines(diff: versions.VersionDiff) -> list[str]:
    """A version diff as sentences, one per change."""
    lines = [f"Stage added: {s.position}. {s.name}" for s in diff.stages_added]
    lines += [f"Stage removed: {s.position}. {s.name}" for s in diff.stages_removed]
    lines += [
        f"Stage moved: {s.name} from {s.from_position} to {s.to_position}"
        for s in diff.stages_moved
    ]
    lines += [f"Stage renamed: {s.from_name} -> {s.to_name}" for s in diff.stages_renamed]
    lines += [f"{c.stage_name}: {c.lane} {c.before!r} -> {c.after!r}" for c in diff.lane_changes]
    lines += [f"Placed: {p.touchpoint_key} in {p.stage_name}" for p in diff.placements_added]
    lines += [f"Unplaced: {p.touchpoint_key} from {p.stage_name}" for p in diff.placements_removed]
    lines += [
        f"Moved: {p.touchpoint_key} from {p.from_stage_name} to {p.to_stage_name}"
        for p in diff.placements_moved
    ]
    lines += [
        f"Exit milestone {m.milestone_key}: {m.from_stage_name or '(none)'} -> "
        f"{m.to_stage_name or '(none)'}"
        for m in diff.milestone_changes
    ]
    return lines


@admin.register(JourneyMapVersion)
class JourneyMapVersionAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    """Versions are immutable snapshots: listed and shown, never edited."""

    list_display = ("persona", "number", "published_at", "live_until", "journey_map", "workspace")
    list_filter = (WORKSPACE_FILTER, ("persona", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("persona", "journey_map", "workspace")
    ordering = ("persona__name", "number")
    fields = (
        "workspace",
        "persona",
        "number",
        "journey_map",
        "published_at",
        "live_until",
        "stages",
        "changes_from_previous",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Stages as published")
    def stages(self, version: JourneyMapVersion):
        return _html_list(
            [
                f"{s['position']}. {s['name']} - touchpoints: "
                f"{', '.join(t['key'] for t in s['touchpoints']) or '(none)'}; exits: "
                f"{', '.join(m['key'] for m in s['exit_milestones']) or '(none)'}"
                for s in version.snapshot["stages"]
            ]
        )

    @admin.display(description="Changes from the previous version")
    def changes_from_previous(self, version: JourneyMapVersion):
        previous = JourneyMapVersion.objects.filter(
            workspace=version.workspace_id, persona=version.persona_id, number=version.number - 1
        ).first()
        if previous is None:
            return "(first version)"
        diff = versions.journey_map_version_diff(a=previous, b=version)
        return _html_list(diff_lines(diff)) if not diff.is_empty else "(no change)"
