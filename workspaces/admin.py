"""Admin for workspaces and their members.

Members of any role see their workspaces and who else belongs to them; creating,
renaming and deleting workspaces and granting roles is left to superusers (membership
grants access to a tenant, and picking a user means searching every account).
"""

from django.contrib import admin
from django.db.models import Count

# Django's autodiscovery imports only `admin` modules: importing these registers their admins.
from workspaces import (
    audit_admin,  # noqa: F401  the audit log, read-only
    token_admin,  # noqa: F401  API tokens: issue (secret shown once), revoke, roll
)
from workspaces.admin_scoping import WorkspaceScopedAdminMixin
from workspaces.models import Membership, Workspace


class MembershipInline(WorkspaceScopedAdminMixin, admin.TabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0
    write_role = None

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    workspace_path = "pk"
    write_role = None
    list_display = ("name", "slug", "member_count", "created_at")
    search_fields = ("name", "slug")
    ordering = ("name",)
    fields = ("name", "slug", "time_zone", "created_at")
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, workspace: Workspace) -> int:
        return workspace.member_count


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    write_role = None
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role", ("workspace", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "workspace")
    search_fields = ("user__username", "user__email", "workspace__name", "workspace__slug")
    autocomplete_fields = ("user", "workspace")
    fields = ("workspace", "user", "role", "created_at")
    readonly_fields = ("created_at",)
