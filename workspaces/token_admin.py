"""Admin for API tokens: issue (secret shown once), rename, revoke, roll.

Tokens belong to workspace admins: only members with the admin role (and superusers)
see them, and only workspaces where the caller is admin can be picked for a new one.
The admin never shows a stored hash, and a plaintext secret exists only in the one
response that shows it - a dedicated page, never a Django message (message storage
may be a cookie). Everything goes through ``workspaces.token_services`` and leaves an
audit record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from workspaces import token_services
from workspaces.access import Scope
from workspaces.admin_scoping import (
    ServiceErrorsAdminMixin,
    WorkspaceScopedAdminMixin,
    error_text,
    is_unrestricted,
    workspace_ids,
    workspace_roles,
)
from workspaces.audit import audit_record, global_id
from workspaces.models import ApiToken, AuditEvent, Membership, Role, Workspace
from workspaces.services import apply_changes

TOKEN_ROLE = Role.ADMIN
ISSUED_TEMPLATE = "admin/workspaces/apitoken/token_issued.html"
REVOKE_TEMPLATE = "admin/workspaces/apitoken/revoke_confirmation.html"
_ISSUED_ATTR = "_waymark_issued_tokens"


def _audit(request: HttpRequest, token: ApiToken, operation: str) -> None:
    audit_record(
        workspace=token.workspace,
        operation=operation,
        source=AuditEvent.Source.ADMIN,
        object_ids=[global_id(token)],
        user=request.user,
    )


def _label(token: ApiToken) -> str:
    return f"{token.name} ({token.prefix})"


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row the service created."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# Forms ---------------------------------------------------------------------------------


def _field_check(check, value):
    """Run a service's check of one field; its refusal becomes this form field's error."""
    try:
        return check(value)
    except ValidationError as error:
        raise ValidationError(next(iter(error.message_dict.values()))) from None


def _scope_choices() -> list[tuple[str, str]]:
    return [(scope.value, f"{scope.value} (role {scope.role.label.lower()})") for scope in Scope]


class ApiTokenAddForm(forms.ModelForm):
    """A new token; the service validates again and issues the secret."""

    scopes = forms.MultipleChoiceField(
        choices=_scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may do. It never does more than its creator's "
        "current role in the workspace allows.",
    )
    allowed_ips = forms.CharField(
        label="Allowed IPs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text="One IP address or CIDR range per line (203.0.113.0/24, 2001:db8::/32); "
        "empty: from anywhere.",
    )

    class Meta:
        model = ApiToken
        fields = ("workspace", "name", "scopes", "expires_at", "allowed_ips")
        help_texts = {"expires_at": "Empty: the token does not expire (revoke it instead)."}

    def __init__(self, *args: Any, creator=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator = creator

    def clean_allowed_ips(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["allowed_ips"].splitlines()]
        return _field_check(token_services.clean_allowed_ips, [line for line in lines if line])

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        _field_check(token_services.check_expiry, expires_at)
        return expires_at

    def clean(self):
        cleaned_data = super().clean()
        workspace = cleaned_data.get("workspace")
        if workspace is not None and self.creator is not None:
            # A token acts with its creator's current role: a creator who is not an admin
            # of the workspace (a superuser from outside) would issue a token that can do
            # nothing, or less than its scopes say.
            role = (
                Membership.objects.filter(workspace=workspace, user=self.creator)
                .values_list("role", flat=True)
                .first()
            )
            if role is None or not Role(role).allows(TOKEN_ROLE):
                self.add_error(
                    "workspace",
                    ValidationError(
                        "A token acts with its creator's role, and you are not an admin of "
                        "this workspace. Make yourself its admin first, or issue an "
                        "operator's token with `manage.py create_api_token`.",
                        code="forbidden",
                    ),
                )
        return cleaned_data


class ApiTokenChangeForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name",)


# Filters -------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        not_revoked = Q(revoked_at__isnull=True)
        expired = Q(expires_at__isnull=False, expires_at__lte=now)
        if self.value() == "active":
            return queryset.filter(not_revoked & ~expired)
        if self.value() == "expired":
            return queryset.filter(not_revoked & expired)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [(scope.value, scope.value) for scope in Scope]

    def queryset(self, request, queryset):
        if self.value() in set(Scope):
            # Matches the quoted item in the JSON text: portable to SQLite and PostgreSQL.
            return queryset.filter(scopes__icontains=f'"{self.value()}"')
        return queryset


# Admin ---------------------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceErrorsAdminMixin, WorkspaceScopedAdminMixin, admin.ModelAdmin):
    view_role = TOKEN_ROLE
    write_role = TOKEN_ROLE

    form = ApiTokenChangeForm
    add_form = ApiTokenAddForm
    list_display = (
        "name",
        "prefix",
        "workspace",
        "scope_list",
        "active",
        "expiry",
        "last_used_at",
        "creator",
        "created_at",
    )
    list_filter = (
        StatusFilter,
        ScopeFilter,
        ("workspace", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_select_related = ("workspace", "created_by")
    search_fields = ("name", "key_id")
    search_help_text = "Name, or the public prefix wmk_<key id>."
    actions = ("revoke_tokens", "roll_tokens")
    add_fieldsets = (
        (None, {"fields": ("workspace", "name", "scopes")}),
        ("Restrictions", {"fields": ("expires_at", "allowed_ips")}),
    )
    fieldsets = (
        (None, {"fields": ("workspace", "name", "prefix", "scope_list")}),
        ("Restrictions", {"fields": ("expiry", "allowed_ip_list")}),
        (
            "State",
            {
                "fields": (
                    "active",
                    "revoked_at",
                    "old_secret_valid_until",
                    "last_used_at",
                    "creator",
                    "created_at",
                )
            },
        ),
    )
    change_readonly_fields = (
        "workspace",
        "prefix",
        "scope_list",
        "expiry",
        "allowed_ip_list",
        "active",
        "revoked_at",
        "old_secret_valid_until",
        "last_used_at",
        "creator",
        "created_at",
    )

    # Columns -----------------------------------------------------------------------------

    @admin.display(description="Prefix", ordering="key_id")
    def prefix(self, token: ApiToken) -> str:
        return token.prefix

    @admin.display(description="Scopes")
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes)

    @admin.display(description="Allowed IPs")
    def allowed_ip_list(self, token: ApiToken) -> str:
        return ", ".join(token.allowed_ips) or "anywhere"

    @admin.display(description="Expires", ordering="expires_at")
    def expiry(self, token: ApiToken):
        return token.expires_at or "never"

    @admin.display(description="Active", boolean=True)
    def active(self, token: ApiToken) -> bool:
        return token.is_active(timezone.now())

    @admin.display(description="Created by", ordering="created_by__username")
    def creator(self, token: ApiToken) -> str:
        if token.created_by is None:
            return "operator (acts with its scopes alone)"
        return token.created_by.get_username()

    @admin.display(description="Old secret valid until")
    def old_secret_valid_until(self, token: ApiToken):
        return token.previous_valid_until

    # Forms -------------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.change_readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = self.add_form
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form_class

        class AddForm(form_class):
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, creator=request.user, **form_kwargs)

        return AddForm

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "workspace" and not is_unrestricted(request):
            kwargs["queryset"] = Workspace.objects.filter(pk__in=workspace_ids(request, TOKEN_ROLE))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # Not the mixin's default, which preselects a workspace where the user is editor.
        initial = admin.ModelAdmin.get_changeform_initial_data(self, request)
        if "workspace" not in initial and not is_unrestricted(request):
            allowed = workspace_ids(request, TOKEN_ROLE)
            if len(allowed) == 1:
                initial["workspace"] = allowed[0]
        return initial

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            # The page after saving shows the secret; there is nothing to continue with.
            extra_context = {
                **(extra_context or {}),
                "show_save_and_add_another": False,
                "show_save_and_continue": False,
            }
        return super().changeform_view(request, object_id, form_url, extra_context)

    # Saving ------------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            if "name" in form.changed_data:
                apply_changes(obj, {"name": form.cleaned_data["name"]}, allowed=("name",))
            return
        data = form.cleaned_data
        issued = token_services.api_token_create(
            workspace=data["workspace"],
            created_by=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            allowed_ips=data.get("allowed_ips") or [],
        )
        _adopt(obj, issued.token)
        setattr(request, _ISSUED_ATTR, [issued])

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        issued = getattr(request, _ISSUED_ATTR, None)
        if not issued:
            return super().response_add(request, obj, post_url_continue)
        return self._issued_response(request, issued, rolled=False)

    def _issued_response(
        self, request: HttpRequest, issued: list[token_services.IssuedToken], *, rolled: bool
    ) -> TemplateResponse:
        """The one page that ever shows the plaintext; never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Copy the new secret now" if rolled else "Copy your API token now",
            "issued": issued,
            "rolled": rolled,
        }
        response = TemplateResponse(request, ISSUED_TEMPLATE, context)
        # Rendered here, inside the admin's transaction: if the page fails, no token is
        # issued whose secret nobody saw.
        response.render()
        add_never_cache_headers(response)
        return response

    # Deleting: revocation is the way; superusers may still delete (workspace and user
    # deletion cascade to tokens and need it).

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_unrestricted(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # Accept the prefix as shown (wmk_<key id>), or even a whole token: only its public
        # key id is searched for.
        term = search_term.strip()
        if term.startswith("wmk_"):
            term = term.removeprefix("wmk_").split("_", 1)[0]
        return super().get_search_results(request, queryset, term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        if is_unrestricted(request):
            return super().has_module_permission(request)
        return any(role.allows(TOKEN_ROLE) for role in workspace_roles(request).values())

    # Actions -----------------------------------------------------------------------------

    @admin.action(description="Revoke selected API tokens", permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset):
        tokens = list(self.filter_writable(request, queryset).select_related("workspace"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Revoke API tokens?",
                "tokens": tokens,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, REVOKE_TEMPLATE, context)
        revoked = 0
        for token in tokens:
            try:
                with transaction.atomic():
                    token_services.api_token_revoke(token=token)
                    _audit(request, token, "apiTokenRevoke")
            except ValidationError as error:
                self.message_user(request, f"{_label(token)}: {error_text(error)}", messages.ERROR)
            else:
                revoked += 1
        if revoked:
            self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
        return None

    @admin.action(
        description="Roll selected API tokens (new secret; the old one works 24 hours more)",
        permissions=["change"],
    )
    def roll_tokens(self, request: HttpRequest, queryset):
        issued = []
        for token in self.filter_writable(request, queryset).select_related("workspace"):
            try:
                with transaction.atomic():
                    rolled = token_services.api_token_roll(
                        token=token, grace=token_services.DEFAULT_ROLL_GRACE
                    )
                    _audit(request, token, "apiTokenRoll")
            except ValidationError as error:
                self.message_user(request, f"{_label(token)}: {error_text(error)}", messages.ERROR)
            else:
                issued.append(rolled)
        if not issued:
            return None
        return self._issued_response(request, issued, rolled=True)
