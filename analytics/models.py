"""Analytics runs and their inputs: reports, saved report definitions, marketing spend."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from journeys.models import Touchpoint
from workspaces.models import WorkspaceScopedModel


class ReportKind(models.TextChoices):
    ATTRIBUTION = "attribution", "Multi-touch attribution"
    RETENTION = "retention", "Retention cohorts"
    FUNNEL = "funnel", "Stage funnel"
    PATHS = "paths", "Paths"
    MAP_FIT = "map_fit", "Map fit"
    MAP_VERSIONS = "map_versions", "Map versions"
    FEEDBACK = "feedback", "Feedback (NPS, CSAT, CES)"


class ReportDefinition(WorkspaceScopedModel):
    """A saved report: its kind and parameters, optionally run on a schedule."""

    class Schedule(models.TextChoices):
        NONE = "none", "Not scheduled"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    name = models.CharField(max_length=200, help_text="Display name of the saved report.")
    kind = models.CharField(
        max_length=32, choices=ReportKind.choices, help_text="Which analysis it runs."
    )
    parameters = models.JSONField(
        default=dict, blank=True, help_text="The analysis' parameters, as given."
    )
    schedule = models.CharField(
        max_length=16,
        choices=Schedule.choices,
        default=Schedule.NONE,
        help_text="How often it runs by itself: not, daily or weekly.",
    )
    next_run_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When it runs next, if scheduled."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who saved it.",
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Report(WorkspaceScopedModel):
    """One run of an analysis: validated parameters in, a stored result out."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(
        max_length=32, choices=ReportKind.choices, help_text="Which analysis ran."
    )
    parameters = models.JSONField(default=dict, help_text="The validated, complete parameters.")
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.QUEUED,
        help_text="Queued, running, succeeded or failed.",
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    error = models.TextField(blank=True, help_text="Why the report failed.")
    result = models.JSONField(
        null=True, blank=True, help_text="The analysis' result, once succeeded."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who requested the report.",
    )
    definition = models.ForeignKey(
        ReportDefinition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The saved report this run belongs to, if any.",
    )
    data_cutoff = models.DateTimeField(help_text="Events received after this are left out.")
    code_version = models.CharField(
        max_length=64, help_text="Version of the code that computed the result."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started the report."
    )
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last attempt started."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the run computing it."
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When the report succeeded or failed."
    )

    same_workspace_fields = ("definition",)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "kind", "-created_at"], name="report_kind_time"),
            models.Index(fields=["workspace", "status"], name="report_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report {self.pk} ({self.status})"


class Spend(WorkspaceScopedModel):
    """Money spent on a touchpoint or a campaign over a period, for cost per conversion."""

    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The touchpoint the money was spent on.",
    )
    campaign = models.CharField(
        max_length=200, blank=True, help_text="Campaign, or empty for the touchpoint as a whole."
    )
    period_start = models.DateField(help_text="First day the spend covers.")
    period_end = models.DateField(help_text="Inclusive.")
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Money spent in the period.",
    )
    currency = models.CharField(
        max_length=3, blank=True, help_text="ISO 4217 code of the amount, e.g. EUR."
    )

    same_workspace_fields = ("touchpoint",)

    class Meta:
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="spend_period_ordered",
                violation_error_message="The period must not end before it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(touchpoint=None, campaign=""),
                name="spend_has_target",
                violation_error_message="Spend needs a touchpoint or a campaign.",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "period_start"], name="spend_period")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.touchpoint or self.campaign}"

    def clean(self) -> None:
        super().clean()
        if self.touchpoint_id is None and not self.campaign:
            raise ValidationError(
                {"campaign": ValidationError("Give a touchpoint or a campaign.", code="required")}
            )
