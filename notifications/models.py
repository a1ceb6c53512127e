"""Outbound webhooks: endpoints a workspace subscribes, the events sent to them, and the
log of every delivery."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from workspaces.models import Workspace, WorkspaceScopedModel


class EventType(models.TextChoices):
    """What a webhook endpoint can subscribe to (docs/webhooks.md has their payloads)."""

    MILESTONE_REACHED = "milestone.reached", "An account reached a milestone"
    STAGE_ENTERED = "stage.entered", "An account entered a stage of a journey map"
    STAGE_STATUS_CHANGED = "stage.status_changed", "An account's journey health changed"
    REPORT_SUCCEEDED = "report.succeeded", "A report finished with a result"
    REPORT_FAILED = "report.failed", "A report failed"
    ACCOUNT_MERGED = "account.merged", "An account was merged into another"


class WebhookEndpoint(WorkspaceScopedModel):
    """A URL that receives the workspace's events of the chosen types, signed with its
    secret (Standard Webhooks)."""

    url = models.URLField(max_length=2000, help_text="Where events are POSTed (https).")
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types it receives.")
    secret = models.CharField(
        max_length=100, editable=False, help_text="whsec_ and the base64 signing key."
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "enabled"], name="webhook_endpoint_enabled")]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookEvent(WorkspaceScopedModel):
    """One event, with the exact body every delivery of it sends: the id and the body
    stay the same across retries and redeliveries, so receivers can de-duplicate."""

    event_id = models.CharField(max_length=40, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    key = models.CharField(
        max_length=200, help_text="What the event is about, e.g. achievement:42; one per key."
    )
    body = models.TextField(help_text="The JSON body, as sent.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="webhook_event_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(WorkspaceScopedModel):
    """One event sent to one endpoint: its status, attempts and last response."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (waiting for its next attempt)"
        SENDING = "sending", "Being sent"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed (gave up after every retry)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Attempts made before the current series of retries began (a manual redelivery
    # starts a new series).
    schedule_start = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A sending attempt holds the delivery until then; after, a worker that died with it is
    # presumed dead and the delivery is sent again.
    lease_until = models.DateTimeField(null=True, blank=True)
    # The sweeper queued it until then (so it is not queued again every minute).
    queued_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    same_workspace_fields = ("endpoint", "event")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["workspace", "endpoint", "-created_at"], name="webhook_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, for the log."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    response_status = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery_id", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
