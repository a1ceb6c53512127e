"""The observed reality: customer companies, their people, and what they did when."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from journeys.models import JourneyMap, Milestone, Persona, Seniority, Stage, Touchpoint
from workspaces.cleaning import validate_country
from workspaces.models import Workspace, WorkspaceScopedModel


class PersonaSource(models.TextChoices):
    MANUAL = "manual", "Set by hand"
    RULE = "rule", "Matched by the personas' rules"


class Account(WorkspaceScopedModel):
    """A customer company."""

    name = models.CharField(max_length=200, blank=True, help_text="The company's name.")
    domain = models.CharField(
        max_length=253, blank=True, help_text="Lower-case company domain, e.g. acme.com."
    )
    industry = models.CharField(max_length=120, blank=True, help_text="The company's industry.")
    employee_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of employees."
    )
    annual_revenue = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Annual revenue, in the workspace's currency units.",
    )
    country = models.CharField(
        max_length=64, blank=True, help_text="Country code (ISO 3166-1 alpha-2), e.g. DE."
    )
    country = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_country],
        help_text="ISO 3166-1 alpha-2 code, e.g. DE.",
    )
    persona = models.ForeignKey(
        Persona,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        help_text="The persona the account matches, if any.",
    )
    persona_source = models.CharField(
        max_length=8,
        choices=PersonaSource.choices,
        default=PersonaSource.RULE,
        help_text="MANUAL: the persona was set by hand and matching rules leave it alone; "
        "RULE: the personas' matching rules decide it.",
    )
    first_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="When its first interaction or milestone happened."
    )

    same_workspace_fields = ("persona",)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"],
                condition=~Q(domain=""),
                name="account_unique_domain",
                violation_error_code="duplicate",
                violation_error_message="An account with this domain already exists.",
            )
        ]
        indexes = [models.Index(fields=["workspace", "persona"], name="account_persona")]

    def __str__(self) -> str:
        return self.name or self.domain or f"Account {self.pk}"


class AccountExternalId(WorkspaceScopedModel):
    """The account's id in another system (a CRM, a billing tool): unique per source."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="external_ids",
        help_text="The account this id names.",
    )
    source = models.CharField(
        max_length=64, help_text="The system the id comes from, e.g. hubspot."
    )
    external_id = models.CharField(max_length=255, help_text="The account's id in that system.")

    same_workspace_fields = ("account",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"], name="account_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Contact(WorkspaceScopedModel):
    """A person, usually at an account."""

    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="The company the person works for.",
    )
    email = models.CharField(max_length=254, blank=True, help_text="Stored lower-case.")
    name = models.CharField(max_length=200, blank=True, help_text="The person's name.")
    title = models.CharField(max_length=200, blank=True, help_text="Job title.")
    department = models.CharField(max_length=120, blank=True, help_text="Department.")
    seniority = models.CharField(
        max_length=16, choices=Seniority.choices, blank=True, help_text="Seniority."
    )
    persona = models.ForeignKey(
        Persona,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="The persona the contact matches, if any.",
    )

    same_workspace_fields = ("account", "persona")

    class Meta:
        ordering = ["name", "email", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=~Q(email=""),
                name="contact_unique_email",
                violation_error_code="duplicate",
                violation_error_message="A contact with this email already exists.",
            )
        ]
        indexes = [models.Index(fields=["workspace", "account"], name="contact_account")]

    def __str__(self) -> str:
        return self.name or self.email or f"Contact {self.pk}"


class ContactExternalId(WorkspaceScopedModel):
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        related_name="external_ids",
        help_text="The contact this id names.",
    )
    source = models.CharField(
        max_length=64, help_text="The system the id comes from, e.g. hubspot."
    )
    external_id = models.CharField(max_length=255, help_text="The contact's id in that system.")

    same_workspace_fields = ("contact",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"], name="contact_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class HealthStatus(models.TextChoices):
    """How an account is doing in its current stage (see accounts/health.py)."""

    ON_TRACK = "on_track", "On track"
    BEHIND = "behind", "Behind"
    STUCK = "stuck", "Stuck"


class AccountStage(WorkspaceScopedModel):
    """Where an account stands in a published map, recomputed from its achievements."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stages", help_text="The account."
    )
    journey_map = models.ForeignKey(
        JourneyMap,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The published map the stage belongs to.",
    )
    stage = models.ForeignKey(
        Stage,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The stage the account is in now.",
    )
    entered_at = models.DateTimeField(help_text="When the account entered the stage.")
    status = models.CharField(
        max_length=16,
        choices=HealthStatus.choices,
        default=HealthStatus.ON_TRACK,
        help_text="How the account is doing in its stage: on track, behind or stuck.",
    )
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the account is expected to leave the stage: entered plus the "
        "stage's expected duration; empty without one, or when the journey is complete.",
    )
    status_since = models.DateTimeField(
        null=True, blank=True, help_text="When the account's current status began."
    )

    same_workspace_fields = ("account", "journey_map", "stage")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "journey_map"], name="account_stage_one_per_map"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "journey_map", "stage", "status"], name="account_stage_health"
            ),
            models.Index(fields=["workspace", "status"], name="account_stage_status"),
        ]

    def __str__(self) -> str:
        return f"{self.account} at {self.stage}"


class AccountStageChange(WorkspaceScopedModel):
    """A change of an account's stage or health status in a map, with the time it took
    effect: the history that weekly health counts are read from. A row with an empty
    stage and status records that the account left the map."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    journey_map = models.ForeignKey(JourneyMap, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, null=True, related_name="+")
    status = models.CharField(max_length=16, choices=HealthStatus.choices, blank=True)
    previous_stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    previous_status = models.CharField(max_length=16, choices=HealthStatus.choices, blank=True)
    changed_at = models.DateTimeField(help_text="When the change took effect.")

    same_workspace_fields = ("account", "journey_map")

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(
                fields=["workspace", "journey_map", "changed_at"], name="stage_change_time"
            ),
            models.Index(
                fields=["workspace", "account", "journey_map", "changed_at"],
                name="stage_change_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.previous_status or '-'} -> {self.status or '-'}"


class JourneyHealthPolicy(models.Model):
    """A workspace's thresholds of journey health; without a row the defaults apply."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="journey_health_policy"
    )
    stuck_duration_factor = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=2,
        validators=[MinValueValidator(1)],
        help_text="Stuck once the time in stage exceeds this many times the stage's "
        "expected duration (behind once it exceeds the expected duration).",
    )
    behind_idle_days = models.PositiveIntegerField(
        default=14,
        validators=[MinValueValidator(1)],
        help_text="Behind after this many days without any interaction or achievement.",
    )
    stuck_idle_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        help_text="Stuck after this many days without any interaction or achievement.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "journey health policy"
        verbose_name_plural = "journey health policies"

    def __str__(self) -> str:
        return f"Journey health of {self.workspace}"

    def clean(self) -> None:
        super().clean()
        if (
            self.behind_idle_days is not None
            and self.stuck_idle_days is not None
            and self.stuck_idle_days < self.behind_idle_days
        ):
            raise ValidationError(
                {
                    "stuck_idle_days": ValidationError(
                        "Must be at least the days idle before behind.", code="out_of_order"
                    )
                }
            )


class Event(models.Model):
    """What interactions and achievements share: an account, a time, and a client id that
    makes every delivery of the same event count once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The account (company) the event is about.",
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person at the account, if known.",
    )
    occurred_at = models.DateTimeField(help_text="When it happened.")
    received_at = models.DateTimeField(help_text="When Waymark stored it.")
    client_id = models.CharField(
        max_length=128, help_text="The sender's id for the event; unique per workspace."
    )
    properties = models.JSONField(
        default=dict, blank=True, help_text="Free-form JSON details sent with the event."
    )

    class Meta:
        abstract = True


class Interaction(Event):
    """An account (and maybe one of its contacts) touched a touchpoint at a time."""

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.PROTECT, related_name="+", help_text="What was touched."
    )
    source = models.CharField(max_length=100, blank=True, help_text="e.g. google, hubspot.")
    medium = models.CharField(max_length=100, blank=True, help_text="e.g. cpc, email.")
    campaign = models.CharField(
        max_length=200, blank=True, help_text="Marketing campaign, e.g. spring-launch."
    )
    cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="What the touch cost, if known.",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client_id"], name="interaction_unique_client_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "account", "occurred_at", "id"], name="interaction_timeline"
            ),
            models.Index(
                fields=["workspace", "contact", "occurred_at", "id"],
                name="interaction_contact_timeline",
            ),
            models.Index(
                fields=["workspace", "touchpoint", "occurred_at"], name="interaction_touchpoint"
            ),
            models.Index(fields=["workspace", "occurred_at"], name="interaction_time"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} touched {self.touchpoint_id} at {self.occurred_at}"


class MilestoneAchievement(Event):
    """An account reached a milestone at a time, worth a value."""

    class Origin(models.TextChoices):
        REPORTED = "reported", "Reported by an integration"
        RULE = "rule", "Derived from interactions by the milestone's rule"

    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, related_name="+", help_text="What was reached."
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Revenue of this achievement; the milestone's default value when null.",
    )
    currency = models.CharField(
        max_length=3, blank=True, help_text="ISO 4217 code of value, e.g. EUR."
    )
    origin = models.CharField(
        max_length=16,
        choices=Origin.choices,
        default=Origin.REPORTED,
        help_text="Reported by an integration or derived from interactions by the milestone's "
        "rule.",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client_id"], name="achievement_unique_client_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "account", "occurred_at", "id"], name="achievement_timeline"
            ),
            models.Index(
                fields=["workspace", "contact", "occurred_at", "id"],
                name="achievement_contact_timeline",
            ),
            models.Index(
                fields=["workspace", "milestone", "occurred_at"], name="achievement_milestone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} reached {self.milestone_id} at {self.occurred_at}"


class FeedbackResponse(Event):
    """What a customer said: a survey answer (NPS, CSAT, CES, a rating) or a comment."""

    class Instrument(models.TextChoices):
        NPS = "nps", "Net Promoter Score (0-10)"
        CSAT = "csat", "Customer satisfaction"
        CES = "ces", "Customer effort score"
        RATING = "rating", "Rating (e.g. stars on a review site)"
        TEXT = "text", "Comment only"

    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    score = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, help_text="Null for TEXT."
    )
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    source = models.CharField(
        max_length=64, blank=True, help_text="Where it came from: survey, ticketing, review_site."
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stage = models.ForeignKey(
        Stage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The stage the sender says the response is about, if any.",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client_id"], name="feedback_unique_client_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "account", "occurred_at", "id"], name="feedback_timeline"
            ),
            models.Index(
                fields=["workspace", "contact", "occurred_at", "id"],
                name="feedback_contact_timeline",
            ),
            models.Index(
                fields=["workspace", "instrument", "occurred_at"], name="feedback_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} answered {self.instrument} {self.score} at {self.occurred_at}"


class PersonaReassignment(WorkspaceScopedModel):
    """One run of the personas' matching rules over all accounts of a workspace."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    accounts = models.PositiveIntegerField(default=0, help_text="Accounts checked so far.")
    changed = models.PositiveIntegerField(default=0, help_text="Accounts whose persona changed.")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Persona reassignment {self.pk} ({self.status})"
