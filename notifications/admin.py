"""Admin of webhook endpoints and their delivery log, for workspace admins. Endpoints are
saved through notifications.services (URL checks, event types); deliveries are read-only,
with a "Redeliver" action."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from notifications import services
from notifications.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workspaces.admin_scoping import (
    ServiceErrorsAdminMixin,
    WorkspaceRowForm,
    WorkspaceScopedAdminMixin,
    error_text,
    is_unrestricted,
)
from workspaces.models import Role

WORKSPACE_FILTER = ("workspace", admin.RelatedOnlyFieldListFilter)
EDITABLE = ("url", "description", "event_types", "enabled")


class WebhookEndpointForm(WorkspaceRowForm):
    url = forms.URLField(assume_scheme="https", max_length=2000)
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("workspace", *EDITABLE)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    view_role = Role.ADMIN
    write_role = Role.ADMIN
    list_display = ("url", "description", "enabled", "workspace", "last_success_at")
    list_filter = ("enabled", WORKSPACE_FILTER)
    search_fields = ("url", "description")
    autocomplete_fields = ("workspace",)
    readonly_fields = (
        "secret",
        "disabled_reason",
        "disabled_at",
        "last_success_at",
        "last_failure_at",
        "created_by",
        "created_at",
        "deliveries_link",
    )

    @admin.display(description="Deliveries")
    def deliveries_link(self, endpoint: WebhookEndpoint) -> str:
        if endpoint.pk is None:
            return "-"
        return format_html(
            '<a href="../../../webhookdelivery/?endpoint__id__exact={}">Delivery log</a>',
            endpoint.pk,
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in EDITABLE}
        if change:
            services.webhook_endpoint_update(endpoint=obj, **data)
            obj.refresh_from_db()
            return
        created = services.webhook_endpoint_create(
            workspace=obj.workspace, created_by=request.user, **data
        )
        obj.pk, obj.secret, obj.created_at = (
            created.endpoint.pk,
            created.secret,
            created.endpoint.created_at,
        )
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint=endpoint)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "response_status", "latency_ms", "succeeded", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    view_role = Role.ADMIN
    write_role = Role.ADMIN
    list_display = (
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "latency_ms",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event__type", "endpoint", WORKSPACE_FILTER)
    list_select_related = ("event", "endpoint")
    search_fields = ("event__event_id",)
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)
    fields = (
        "workspace",
        "endpoint",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "latency_ms",
        "last_error",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description="Event id", ordering="event__event_id")
    def event_id(self, delivery: WebhookDelivery) -> str:
        return delivery.event.event_id

    @admin.display(description="Event type", ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.display(description="Body")
    def payload(self, delivery: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", delivery.event.body)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return is_unrestricted(request) or self._may(request, self.write_role, None)

    @admin.action(description="Redeliver", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued, refused = 0, []
        for delivery in self.filter_writable(request, queryset).select_related("event"):
            try:
                services.webhook_delivery_redeliver(delivery=delivery)
            except ValidationError as error:
                refused.append(f"{delivery.event.event_id}: {error_text(error)}")
            else:
                queued += 1
        if queued:
            self.message_user(request, f"Queued {queued} delivery(ies).", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not redelivered, {reason}", messages.ERROR)
