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


class Workspace(models.Model):
    """A company using Waymark: the tenant every domain row belongs to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class WorkspaceScopedModel(models.Model):
    """Base of every tenant row: it carries its workspace so scoping needs no joins."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    pepper_id = models.CharField(max_length=32, editable=False)
    # The secret replaced by the last roll stays valid until previous_valid_until.
    previous_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_pepper_id = models.CharField(max_length=32, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    scopes = models.JSONField(default=list, help_text="What the token may do.")
    allowed_ips = models.JSONField(
        default=list,
        blank=True,
        help_text="IP addresses or CIDR ranges the token may be used from; empty: anywhere.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A token dies with its creator; tokens an operator issued from the command line
    # have no creator and act with their scopes alone.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

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

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    operation = models.CharField(max_length=100, db_index=True)
    object_ids = models.JSONField(default=list, help_text="Global ids of the rows it changed.")
    # The actor, kept as text too so the record outlives the user or token.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=200)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_workspace_time")]

    def __str__(self) -> str:
        return f"{self.actor}: {self.operation} at {self.created_at:%Y-%m-%d %H:%M:%S}"
