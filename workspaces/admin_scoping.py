"""Workspace tenancy and service errors for the Django admin, shared by every app's admin.

Access rule. Superusers see and edit everything. For every other staff user, access is
decided by workspace membership alone, *regardless of Django model permissions*
(granting or withholding ``journeys.change_stage`` and the like has no effect):

- a user sees only the rows of workspaces where they have a Membership (any role);
- they may add, change and delete rows of workspaces where their role is at least the
  admin's ``write_role`` (editor by default; ``None`` means superusers only);
- foreign-key choices and autocomplete results are limited to the workspaces where
  they may write, and new rows must be put into one of those workspaces;
- a row of another workspace answers "not found" (the admin redirects to its index),
  never "forbidden", as in the API.

The admin site itself still requires ``is_staff`` and ``is_active``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from workspaces.audit import audit_record, global_id, operation_name
from workspaces.models import AuditEvent, Membership, Role, Workspace, WorkspaceScopedModel

# Picking a related row (foreign-key select or autocomplete) is always part of an edit.
PICK_ROLE = Role.EDITOR
_ROLES_ATTR = "_waymark_admin_workspace_roles"


def is_unrestricted(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


def workspace_roles(request: HttpRequest) -> dict[int, Role]:
    """The caller's role per workspace id; one query per request, then cached on it."""
    roles = getattr(request, _ROLES_ATTR, None)
    if roles is None:
        rows = Membership.objects.filter(user_id=request.user.pk).values_list(
            "workspace_id", "role"
        )
        roles = {workspace_id: Role(role) for workspace_id, role in rows}
        setattr(request, _ROLES_ATTR, roles)
    return roles


def workspace_ids(request: HttpRequest, role: Role | None) -> list[int]:
    """Ids of the workspaces where the caller has at least this role (None: none)."""
    if role is None:
        return []
    return [pk for pk, held in workspace_roles(request).items() if held.allows(role)]


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class WorkspaceScopedAdminMixin:
    """Scope a ModelAdmin or InlineModelAdmin to the caller's workspaces (see module doc).

    ``workspace_path`` is the lookup from the admin's model to its Workspace ("pk" on
    Workspace itself). For an inline, the object given to the permission hooks is the
    parent row, whose workspace decides.
    """

    workspace_path = "workspace"
    view_role: Role = Role.VIEWER
    write_role: Role | None = Role.EDITOR

    # Workspace of a row ---------------------------------------------------------------

    @staticmethod
    def workspace_id_of(obj: models.Model) -> int | None:
        if isinstance(obj, Workspace):
            return obj.pk
        return obj.workspace_id

    def _may(self, request: HttpRequest, role: Role | None, obj: models.Model | None) -> bool:
        if role is None:
            return False
        roles = workspace_roles(request)
        if obj is None:
            return any(held.allows(role) for held in roles.values())
        held = roles.get(self.workspace_id_of(obj))
        return held is not None and held.allows(role)

    def filter_writable(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        """Narrow a queryset of this admin's model to rows the caller may change."""
        if is_unrestricted(request):
            return queryset
        lookup = f"{self.workspace_path}__in"
        return queryset.filter(**{lookup: workspace_ids(request, self.write_role)})

    # Rows ------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if is_unrestricted(request):
            return queryset
        lookup = f"{self.workspace_path}__in"
        return queryset.filter(**{lookup: workspace_ids(request, self.view_role)})

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete" and not is_unrestricted(request):
            lookup = f"{self.workspace_path}__in"
            queryset = queryset.filter(**{lookup: workspace_ids(request, PICK_ROLE)})
        return queryset, may_have_duplicates

    # Audit: every add, change and delete made here lands in the workspace's audit log.

    def _audit(self, request: HttpRequest, row: models.Model, verb: str) -> None:
        if isinstance(row, WorkspaceScopedModel):
            audit_record(
                workspace=row.workspace,
                operation=operation_name(type(row), verb),
                source=AuditEvent.Source.ADMIN,
                object_ids=[global_id(row)],
                user=request.user,
            )

    def log_addition(self, request: HttpRequest, obj: models.Model, message):
        self._audit(request, obj, "Create")
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message):
        if message:  # Django logs a save without changes with an empty message
            self._audit(request, obj, "Update")
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset):
        for row in queryset:
            self._audit(request, row, "Delete")
        return super().log_deletions(request, queryset)

    # Permissions -----------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        if is_unrestricted(request):
            return super().has_module_permission(request)
        return bool(workspace_roles(request))

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if is_unrestricted(request):
            return super().has_view_permission(request, obj)
        return self._may(request, self.view_role, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        if is_unrestricted(request):
            if isinstance(self, admin.options.InlineModelAdmin):
                return super().has_add_permission(request, obj)
            return super().has_add_permission(request)
        return self._may(request, self.write_role, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if is_unrestricted(request):
            return super().has_change_permission(request, obj)
        return self._may(request, self.write_role, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if is_unrestricted(request):
            return super().has_delete_permission(request, obj)
        return self._may(request, self.write_role, obj)

    # Forms -----------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if "queryset" not in kwargs and not is_unrestricted(request):
            related = db_field.related_model
            allowed = workspace_ids(request, PICK_ROLE)
            if related is Workspace:
                kwargs["queryset"] = Workspace.objects.filter(pk__in=allowed)
            elif any(field.name == "workspace" for field in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(workspace__in=allowed)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # A row never moves to another workspace: its relations would point across.
        if (
            obj is not None
            and isinstance(self, admin.ModelAdmin)
            and "workspace" not in readonly
            and any(field.name == "workspace" for field in self.model._meta.fields)
        ):
            readonly += ("workspace",)
        return readonly

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if "workspace" not in initial and not is_unrestricted(request):
            allowed = workspace_ids(request, PICK_ROLE)
            if len(allowed) == 1:
                initial["workspace"] = allowed[0]
        return initial


class WorkspaceRowForm(forms.ModelForm):
    """Admin form of a workspace row whose workspace (and the like) come from a parent.

    ``derived_fields`` maps a field the user never sees to (source field, attribute of
    the source): e.g. a stage takes ``workspace`` from its ``journey_map``. They are set
    in ``clean()`` so that the model's ``clean()`` (same-workspace checks) and its
    constraints see them. ``unvalidated_fields`` are left to the services (positions,
    which they renumber without gaps). Model errors on a field the form does not show
    become non-field errors instead of crashing the form. ``validated_fields`` are shown
    read-only (or not at all) but still take part in validation, because a constraint
    reads them (a map's status in "one published map per persona").
    """

    derived_fields: dict[str, tuple[str, str]] = {}
    unvalidated_fields: tuple[str, ...] = ()
    validated_fields: tuple[str, ...] = ()

    def _source(self, name: str):
        value = self.cleaned_data.get(name)
        if value is None and getattr(self.instance, f"{name}_id", None) is not None:
            value = getattr(self.instance, name)
        return value

    def clean(self):
        cleaned_data = super().clean()
        for target, (source_name, attribute) in self.derived_fields.items():
            source = self._source(source_name)
            if source is not None:
                setattr(self.instance, f"{target}_id", getattr(source, attribute))
        return cleaned_data

    # Django's ModelForm leaves fields the form does not show out of model validation;
    # a row's workspace and derived fields are always set by the time it validates, and
    # the per-workspace unique constraints need them.
    def _get_validation_exclusions(self):
        exclude = set(super()._get_validation_exclusions())
        for name in ("workspace", *self.derived_fields):
            if getattr(self.instance, f"{name}_id", None) is not None and name not in self._errors:
                exclude.discard(name)
        exclude.difference_update(self.validated_fields)
        return exclude | set(self.unvalidated_fields)

    def _label(self, name: str) -> str:
        try:
            return str(self.instance._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            return name

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            remapped: dict[str, list] = {}
            for name, field_errors in errors.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    remapped.setdefault(name, []).extend(field_errors)
                    continue
                label = self._label(name)
                remapped.setdefault(NON_FIELD_ERRORS, []).extend(
                    ValidationError(f"{label}: {message}", code=error.code)
                    for error in field_errors
                    for message in error.messages
                )
            errors = ValidationError(remapped)
        super()._update_errors(errors)


class ServiceErrorsAdminMixin:
    """Turn a ValidationError raised by a service while saving or deleting into a message.

    Forms catch what model validation can see; the services may still refuse (a rule
    on other rows, a concurrent change). The admin views run in a transaction, so the
    whole save is rolled back and the user lands back on the page with the reason,
    never on a 500.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            opts = self.model._meta
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_selected_or_report, name, description)
        return actions


def _delete_selected_or_report(modeladmin, request, queryset):
    """Django's bulk delete, all or nothing; a service's refusal becomes a message."""
    try:
        with transaction.atomic(using=queryset.db):
            return delete_selected(modeladmin, request, queryset)
    except ValidationError as error:
        modeladmin.message_user(request, error_text(error), messages.ERROR)
        return None


_delete_selected_or_report.allowed_permissions = ("delete",)
_delete_selected_or_report.short_description = delete_selected.short_description
