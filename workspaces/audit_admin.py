"""The audit log in the Django admin: read-only for everyone, superusers included.

Workspace admins see their workspaces' events; other members see nothing (the log
names tokens and users, as the API's `auditEvents` does only for admins).
"""

from django.contrib import admin
from django.utils.html import format_html_join

from workspaces.admin_scoping import WorkspaceScopedAdminMixin
from workspaces.models import AuditEvent, Role


@admin.register(AuditEvent)
class AuditEventAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    view_role = Role.ADMIN
    write_role = None
    list_display = ("created_at", "workspace", "actor", "operation", "source", "objects")
    list_filter = ("source", ("workspace", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("workspace",)
    search_fields = ("operation", "actor")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "workspace",
        "source",
        "operation",
        "objects",
        "actor",
        "user",
        "token",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Object ids")
    def objects(self, event: AuditEvent) -> str:
        return format_html_join(", ", "<code>{}</code>", ((gid,) for gid in event.object_ids))

    # Append-only: nobody adds, changes or deletes a record here.

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
