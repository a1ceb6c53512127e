"""Admin of reports, saved report definitions and spend, scoped to the caller's workspaces
(``workspaces.admin_scoping``). Reports are read-only: they are requested over the API,
by a definition's schedule, or again from here ("Run again"); definitions and spend are
saved through ``analytics.services``, like the API's mutations."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from analytics import runner, services
from analytics.charts import ChartUnavailable, report_chart
from analytics.models import Report, ReportDefinition, Spend
from analytics.views import csv_response
from journeys.pictures import PictureFormat
from workspaces.admin_scoping import (
    ServiceErrorsAdminMixin,
    WorkspaceRowForm,
    WorkspaceScopedAdminMixin,
    error_text,
    is_unrestricted,
)
from workspaces.errors import describe

WORKSPACE_FILTER = ("workspace", admin.RelatedOnlyFieldListFilter)
TIMESTAMPS = ("created_at", "updated_at")


def _adopt(target, saved) -> None:
    """Make the admin's unsaved instance the row a service created (same pk and values)."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


# Reports --------------------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "progress",
        "workspace",
        "definition",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
    )
    list_filter = ("status", "kind", WORKSPACE_FILTER, "created_at")
    list_select_related = ("workspace", "definition")
    search_fields = ("error", "definition__name")
    date_hierarchy = "created_at"
    actions = ("run_again",)
    fieldsets = (
        (None, {"fields": ("chart", "downloads")}),
        (
            None,
            {
                "fields": (
                    "workspace",
                    "kind",
                    "status",
                    "progress",
                    "definition",
                    "requested_by",
                    "error",
                    "data_cutoff",
                    "code_version",
                    "attempts",
                    "created_at",
                    "started_at",
                    "finished_at",
                )
            },
        ),
        ("Parameters", {"fields": ("parameters_json",), "classes": ("collapse",)}),
        ("Result as JSON", {"fields": ("result_json",), "classes": ("collapse",)}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])
    show_full_result_count = False

    @admin.display(description="Parameters")
    def parameters_json(self, report: Report) -> str:
        return _pretty_json(report.parameters)

    @admin.display(description="Result")
    def result_json(self, report: Report) -> str:
        return _pretty_json(report.result) if report.result is not None else "-"

    @admin.display(description="Chart")
    def chart(self, report: Report) -> str:
        if report.status != Report.Status.SUCCEEDED or report.result is None:
            return f"No chart: the report is {report.get_status_display().lower()}."
        # vl-convert writes the SVG and escapes every text in it: safe to embed as is.
        svg = report_chart(report).decode()
        return format_html('<div class="report-chart">{}</div>', mark_safe(svg))  # noqa: S308

    @admin.display(description="Download")
    def downloads(self, report: Report) -> str:
        if report.status != Report.Status.SUCCEEDED or report.result is None:
            return "-"
        links = [
            (reverse("admin:analytics_report_rows", args=[report.pk]), "Rows as CSV"),
            *(
                (
                    reverse("admin:analytics_report_chart", args=[report.pk, fmt.value]),
                    f"Chart as {fmt.name}",
                )
                for fmt in PictureFormat
            ),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:report_id>/rows.csv", view(self.rows_view), name="analytics_report_rows"),
            path(
                "<int:report_id>/chart.<str:picture_format>",
                view(self.chart_view),
                name="analytics_report_chart",
            ),
            *super().get_urls(),
        ]

    def _viewable(self, request: HttpRequest, report_id: int) -> Report:
        report = self.get_object(request, str(report_id))
        if report is None or not self.has_view_permission(request, report):
            raise Http404("Report not found.")
        return report

    def rows_view(self, request: HttpRequest, report_id: int) -> HttpResponse:
        return csv_response(self._viewable(request, report_id))

    def chart_view(self, request: HttpRequest, report_id: int, picture_format: str):
        report = self._viewable(request, report_id)
        try:
            fmt = PictureFormat(picture_format)
            content = report_chart(report, fmt)
        except (ValueError, ChartUnavailable) as error:
            raise Http404(str(error)) from error
        return HttpResponse(content, content_type=fmt.media_type)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The changelist never shows results: leave them in the database.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("result")
        return queryset

    # Reports are read-only here; deleting goes through the runner's service.

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_run_permission(self, request: HttpRequest) -> bool:
        """Running again needs the editor role somewhere (checked per row in the action)."""
        return is_unrestricted(request) or self._may(request, self.write_role, None)

    def delete_model(self, request, obj):
        runner.report_delete(report=obj)

    def delete_queryset(self, request, queryset):
        for report in queryset:
            runner.report_delete(report=report)

    @admin.action(
        description="Run again: request new reports with the same parameters",
        permissions=["run"],
    )
    def run_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued, refused = 0, []
        for report in self.filter_writable(request, queryset).select_related(
            "workspace", "definition"
        ):
            try:
                runner.report_request(
                    workspace=report.workspace,
                    kind=report.kind,
                    parameters=report.parameters,
                    requested_by=request.user,
                    definition=report.definition,
                )
            except ValidationError as error:
                refused.append(f"report {report.pk}: {error_text(error)}")
            else:
                queued += 1
        if queued:
            self.message_user(request, f"Queued {queued} new report(s).", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not run again, {reason}", messages.ERROR)


# Report definitions -----------------------------------------------------------------------


class ReportDefinitionForm(WorkspaceRowForm):
    """The parameters are edited as JSON, by their stored (snake_case) names; they are
    checked with the kind's parser, whose errors land on the parameters field."""

    class Meta:
        model = ReportDefinition
        fields = ("workspace", "name", "kind", "parameters", "schedule", "next_run_at")

    def clean(self):
        cleaned_data = super().clean()
        workspace = cleaned_data.get("workspace") or getattr(self.instance, "workspace", None)
        kind = cleaned_data.get("kind") or self.instance.kind
        parameters = cleaned_data.get("parameters")
        if workspace is not None and kind and isinstance(parameters, dict):
            try:
                cleaned_data["parameters"] = services.check_definition_parameters(
                    workspace, kind, parameters
                )
            except ValidationError as error:
                self.add_error("parameters", ValidationError(describe(error), code="invalid"))
        return cleaned_data


@admin.register(ReportDefinition)
class ReportDefinitionAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    form = ReportDefinitionForm
    list_display = ("name", "kind", "schedule", "next_run_at", "workspace", "runs_link")
    list_filter = ("kind", "schedule", WORKSPACE_FILTER)
    list_select_related = ("workspace",)
    search_fields = ("name",)
    autocomplete_fields = ("workspace",)
    readonly_fields = ("created_by", *TIMESTAMPS, "runs_link")
    fields = (
        "workspace",
        "name",
        "kind",
        "parameters",
        "schedule",
        "next_run_at",
        "created_by",
        *TIMESTAMPS,
        "runs_link",
    )
    actions = ("run_now",)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "kind") if obj is not None else readonly

    @admin.display(description="Runs")
    def runs_link(self, definition: ReportDefinition) -> str:
        if definition.pk is None:
            return "-"
        url = reverse("admin:analytics_report_changelist")
        return format_html(
            '<a href="{}?definition__id__exact={}">Run history</a>', url, definition.pk
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in services.DEFINITION_FIELDS}
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            if changes:
                services.report_definition_update(definition=obj, **changes)
        else:
            _adopt(
                obj,
                services.report_definition_create(
                    workspace=obj.workspace, kind=obj.kind, created_by=request.user, **data
                ),
            )

    def delete_model(self, request, obj):
        services.report_definition_delete(definition=obj)

    def delete_queryset(self, request, queryset):
        for definition in queryset:
            services.report_definition_delete(definition=definition)

    def has_run_permission(self, request: HttpRequest) -> bool:
        return is_unrestricted(request) or self._may(request, self.write_role, None)

    @admin.action(description="Run now", permissions=["run"])
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued, refused = 0, []
        for definition in self.filter_writable(request, queryset).select_related("workspace"):
            try:
                services.report_definition_run(definition=definition, requested_by=request.user)
            except ValidationError as error:
                refused.append(f"{definition.name}: {error_text(error)}")
            else:
                queued += 1
        if queued:
            self.message_user(request, f"Queued {queued} report(s).", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not run, {reason}", messages.ERROR)


# Spend ------------------------------------------------------------------------------------


@admin.register(Spend)
class SpendAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    form = WorkspaceRowForm
    list_display = (
        "period_start",
        "period_end",
        "touchpoint",
        "campaign",
        "amount",
        "currency",
        "workspace",
    )
    list_filter = (WORKSPACE_FILTER, "currency", "period_start")
    list_select_related = ("workspace", "touchpoint")
    search_fields = ("campaign", "touchpoint__key", "touchpoint__name")
    autocomplete_fields = ("workspace", "touchpoint")
    date_hierarchy = "period_start"
    fields = ("workspace", *services.SPEND_FIELDS, *TIMESTAMPS)
    readonly_fields = TIMESTAMPS

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in services.SPEND_FIELDS}
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            if changes:
                services.spend_update(spend=obj, **changes)
        else:
            _adopt(obj, services.spend_create(workspace=obj.workspace, **data))

    def delete_model(self, request, obj):
        services.spend_delete(spend=obj)

    def delete_queryset(self, request, queryset):
        for spend in queryset:
            services.spend_delete(spend=spend)
