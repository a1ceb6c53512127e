"""Admin of the accounts app's settings: each workspace's journey health thresholds."""

from django.contrib import admin

from accounts.health import journey_health_policy_save
from accounts.models import JourneyHealthPolicy
from workspaces.admin_scoping import WorkspaceScopedAdminMixin
from workspaces.models import Role


@admin.register(JourneyHealthPolicy)
class JourneyHealthPolicyAdmin(WorkspaceScopedAdminMixin, admin.ModelAdmin):
    write_role = Role.ADMIN
    list_display = ("workspace", "stuck_duration_factor", "behind_idle_days", "stuck_idle_days")
    autocomplete_fields = ("workspace",)
    fields = ("workspace", "stuck_duration_factor", "behind_idle_days", "stuck_idle_days")

    def save_model(self, request, obj, form, change):
        journey_health_policy_save(policy=obj)
