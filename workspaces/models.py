import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Role(models.TextChoices):
    """A member's role in a workspace; each role can do everything the ones before it can."""

    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: "Role") -> bool:
        return self.rank >= Role(required).rank


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"Unknown time zone {value!r}: use an IANA name such as Europe/Berlin or UTC.",
            code="invalid_time_zone",
        )


class Workspace(models.Model):
    """A company using Waymark: the tenant every domain row belongs to."""

    name = models.CharField(max_length=200, help_text="The workspace's display name.")
    slug = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Short unique name of the workspace, as sent in the X-Workspace header.",
    )
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When the workspace was created."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA time zone of the workspace, e.g. Europe/Berlin: the days, weeks and "
        "months of its reports (cohorts) and the times of day of its schedules follow it.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or "UTC")


class Membership(models.Model):
    """A user's role in one workspace."""

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="memberships",
        help_text="The workspace the user belongs to.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        help_text="The member.",
    )
    role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.VIEWER,
        help_text="What the member may do in the workspace: viewer reads, editor also writes, "
        "admin also manages tokens and reads the audit log.",
    )
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When the user joined the workspace."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class WorkspaceScopedModel(models.Model):
    """Base of every tenant row: it carries its workspace so scoping needs no joins."""

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The workspace (tenant) the row belongs to.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the row was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the row was last changed.")

    # Foreign keys (besides workspace) that must point into the same workspace.
    same_workspace_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name in self.same_workspace_fields:
            related_id = getattr(self, f"{name}_id")
            if related_id is None:
                continue
            related = getattr(self, name)
            if related.workspace_id != self.workspace_id:
                label = self._meta.get_field(name).verbose_name
                errors[name] = ValidationError(f"{label.capitalize()} not found.", code="not_found")
        if errors:
            raise ValidationError(errors)

    def unique_error_message(self, model_class, unique_check):
        # Per-workspace keys read better as an error on the key itself than as a
        # "with this Workspace and Key" message without a field.
        others = [name for name in unique_check if name != "workspace"]
        if len(unique_check) > 1 and others:
            field = self._meta.get_field(others[-1])
            scope = self._meta.get_field(next(n for n in unique_check if n != field.name))
            error = ValidationError(
                {
                    field.name: ValidationError(
                        f"{self._meta.verbose_name.capitalize()} with this "
                        f"{field.verbose_name} already exists in this {scope.verbose_name}.",
                        code="duplicate",
                    )
                }
            )
            # UniqueConstraint.validate() reads `.code` off the message it wraps.
            error.code = "duplicate"
            return error
        return super().unique_error_message(model_class, unique_check)


class ApiToken(WorkspaceScopedModel):
    """A partner integration's credential: scopes in one workspace, secret stored hashed."""

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CRM sync'.")
    key_id = models.CharField(
        max_length=16,
        unique=True,
        editable=False,
        help_text="Public key id: the token's prefix is wmk_<key id>.",
    )
    secret_hash = models.CharField(
        max_length=64,
        editable=False,
        help_text="HMAC-SHA256 of the secret under the pepper; the secret itself is never stored.",
    )
    pepper_id = models.CharField(
        max_length=32,
        editable=False,
        help_text="Which server-side pepper the secret hash is keyed with.",
    )
    # The secret replaced by the last roll stays valid until previous_valid_until.
    previous_secret_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of the secret before the last roll, valid until previous_valid_until.",
    )
    previous_pepper_id = models.CharField(
        max_length=32, blank=True, editable=False, help_text="Pepper of the previous secret hash."
    )
    previous_valid_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Until when the secret before the last roll still works.",
    )
    scopes = models.JSONField(default=list, help_text="What the token may do.")
    allowed_ips = models.JSONField(
        default=list,
        blank=True,
        help_text="IP addresses or CIDR ranges the token may be used from; empty: anywhere.",
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the token stops working; null: never."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the token was revoked; null: not revoked."
    )
    # A token dies with its creator; tokens an operator issued from the command line
    # have no creator and act with their scopes alone.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="The member the token acts for (never more than their role allows); null for an "
        "operator's token.",
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Last successful use, written at most once a minute."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (wmk_{self.key_id}…)"

    @property
    def prefix(self) -> str:
        """The public part of the token, safe to show and log."""
        return f"wmk_{self.key_id}"

    def is_active(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEvent(models.Model):
    """An append-only record of a change: who did what to which rows, when, from where.

    It never holds a secret: tokens are named by their public prefix.
    """

    class Source(models.TextChoices):
        GRAPHQL = "graphql", "GraphQL API"
        ADMIN = "admin", "Django admin"
        COMMAND = "command", "Management command"

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The workspace the change happened in.",
    )
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, help_text="When the change was made."
    )
    source = models.CharField(
        max_length=16,
        choices=Source.choices,
        help_text="Where the change came from: the GraphQL API, the admin or a management command.",
    )
    operation = models.CharField(
        max_length=100,
        db_index=True,
        help_text="What was done: the mutation's name, e.g. stageMove, or the admin action.",
    )
    object_ids = models.JSONField(default=list, help_text="Global ids of the rows it changed.")
    # The actor, kept as text too so the record outlives the user or token.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The user who made the change (a token's creator for token calls).",
    )
    token = models.ForeignKey(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The API token the change was made with, if any.",
    )
    actor = models.CharField(
        max_length=200,
        help_text="Who made the change, in words: the user, the token's name and prefix, or "
        "operator.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_workspace_time")]

    def __str__(self) -> str:
        return f"{self.actor}: {self.operation} at {self.created_at:%Y-%m-%d %H:%M:%S}"
