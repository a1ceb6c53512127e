from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from journeys.matching import validate_matching_rules
from journeys.milestone_rules import parse_milestone_rule, touchpoint_keys
from journeys.validation import (
    validate_milestone_rule,
    validate_string_list,
)
from workspaces.models import WorkspaceScopedModel


class Channel(models.TextChoices):
    WEB = "web", "Website"
    SEARCH = "search", "Search"
    PAID_ADS = "paid_ads", "Paid ads"
    SOCIAL = "social", "Social media"
    EMAIL = "email", "Email"
    CONTENT = "content", "Content"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    REVIEW_SITE = "review_site", "Review site"
    PARTNER = "partner", "Partner"
    SALES = "sales", "Sales"
    PRODUCT = "product", "Product"
    SUPPORT = "support", "Support"
    COMMUNITY = "community", "Community"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    OTHER = "other", "Other"


class Phase(models.TextChoices):
    PRE_PURCHASE = "pre_purchase", "Pre-purchase"
    PURCHASE = "purchase", "Purchase"
    POST_PURCHASE = "post_purchase", "Post-purchase"


class Seniority(models.TextChoices):
    INDIVIDUAL = "individual", "Individual contributor"
    MANAGER = "manager", "Manager"
    DIRECTOR = "director", "Director"
    VP = "vp", "Vice president"
    EXECUTIVE = "executive", "Executive"


def string_list_field(help_text: str) -> models.JSONField:
    return models.JSONField(
        default=list, blank=True, validators=[validate_string_list], help_text=help_text
    )


class Persona(WorkspaceScopedModel):
    """A profile of an ideal or typical buyer."""

    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    role = models.CharField(max_length=120, blank=True, help_text="Job role, e.g. Head of RevOps.")
    department = models.CharField(max_length=120, blank=True)
    seniority = models.CharField(max_length=16, choices=Seniority.choices, blank=True)
    industry = models.CharField(max_length=120, blank=True)
    headcount_band = models.CharField(max_length=32, blank=True, help_text="e.g. 51-200.")
    revenue_band = models.CharField(max_length=32, blank=True, help_text="e.g. $10M-$50M.")
    region = models.CharField(max_length=64, blank=True)
    goals = string_list_field("What this buyer wants to achieve.")
    pain_points = string_list_field("What hurts today.")
    objections = string_list_field("Why this buyer hesitates.")
    preferred_channels = string_list_field("Channels this buyer prefers.")
    matching_rules = models.JSONField(
        default=dict,
        blank=True,
        help_text='Which accounts fit this persona: {"priority": N, "match": CONDITION} '
        "(see docs/analytics.md, Personas that assign themselves).",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="persona_unique_key")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        # Field validators skip empty values such as [], so the shape is checked here.
        try:
            validate_matching_rules(self.matching_rules)
        except ValidationError as error:
            raise ValidationError({"matching_rules": error}) from None
        channels = self.preferred_channels if isinstance(self.preferred_channels, list) else []
        unknown = sorted({str(c) for c in channels} - set(Channel.values))
        if unknown:
            raise ValidationError(
                {
                    "preferred_channels": ValidationError(
                        f"Unknown channel(s): {', '.join(unknown)}.", code="invalid_choice"
                    )
                }
            )


class Touchpoint(WorkspaceScopedModel):
    """Something a customer interacts with: a page, a webinar, a call."""

    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, db_index=True)
    phase = models.CharField(max_length=16, choices=Phase.choices, db_index=True)
    is_online = models.BooleanField(default=True)
    owner_team = models.CharField(max_length=120, blank=True, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="touchpoint_unique_key")
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(WorkspaceScopedModel):
    """Something a customer achieves: a signup, a paid plan, a renewal."""

    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_conversion = models.BooleanField(default=False, db_index=True)
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Default value (revenue) of reaching it, when the event carries none.",
    )
    rule = models.JSONField(
        null=True,
        blank=True,
        validators=[validate_milestone_rule],
        help_text='Derives it from activity: {"touchpoint": KEY, "min_count": N, '
        '"within_days": D}, or baskets of conditions (see journeys/milestone_rules.py).',
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="milestone_unique_key")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        try:
            keys = touchpoint_keys(parse_milestone_rule(self.rule))
        except ValidationError:
            return  # the field's validator reports it
        known = set(
            Touchpoint.objects.filter(workspace_id=self.workspace_id, key__in=keys).values_list(
                "key", flat=True
            )
        )
        missing = sorted(keys - known)
        if missing:
            names = ", ".join(repr(key) for key in missing)
            raise ValidationError(
                {"rule": ValidationError(f"Unknown touchpoint key {names}.", code="not_found")}
            )


class JourneyMap(WorkspaceScopedModel):
    """A persona's journey: ordered stages with touchpoints and exit milestones."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    persona = models.ForeignKey(
        Persona,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journey_maps",
        help_text="Required unless the map is a template.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    is_template = models.BooleanField(default=False, db_index=True)
    duplicated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    same_workspace_fields = ("persona", "duplicated_from")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "persona"],
                condition=models.Q(status="published"),
                name="journey_map_one_published_per_persona",
                violation_error_code="already_published",
                violation_error_message="This persona already has a published journey map.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.persona_id is None and not self.is_template:
            raise ValidationError(
                {
                    "persona": ValidationError(
                        "A journey map needs a persona unless it is a template.",
                        code="required",
                    )
                }
            )


class Stage(WorkspaceScopedModel):
    """One step of a journey map, ordered by position (1 is the first stage)."""

    journey_map = models.ForeignKey(JourneyMap, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    customer_goal = models.TextField(blank=True, help_text="What the customer wants here.")
    actions = string_list_field("What the customer does.")
    thoughts = string_list_field("What the customer thinks or asks.")
    emotion_score = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-5), MaxValueValidator(5)],
        help_text="From -5 (very negative) to 5 (very positive).",
    )
    emotion_label = models.CharField(max_length=64, blank=True, help_text="e.g. curious, anxious.")
    pain_points = string_list_field("What frustrates the customer here.")
    opportunities = string_list_field("How the experience could improve.")
    kpis = string_list_field("How this stage is measured.")
    owner_team = models.CharField(max_length=120, blank=True, db_index=True)
    expected_duration_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long a customer is expected to stay, in days."
    )
    lineage = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The id of the stage this one was first copied from: the stage's identity "
        "across the versions of a map (empty: the stage is its own origin).",
    )
    touchpoints = models.ManyToManyField(
        Touchpoint, through="StageTouchpoint", related_name="stages", blank=True
    )
    exit_milestones = models.ManyToManyField(
        Milestone, through="StageMilestone", related_name="exit_stages", blank=True
    )

    same_workspace_fields = ("journey_map",)

    class Meta:
        ordering = ["journey_map_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey_map", "position"], name="stage_unique_position"
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="stage_position_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def stage_key(self) -> str:
        """The stage's identity across map versions (see `lineage`)."""
        return str(self.lineage or self.pk)


class StageTouchpoint(WorkspaceScopedModel):
    """A touchpoint placed in a stage, ordered by position, with notes."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoint_placements")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="placements")
    position = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    notes = models.TextField(blank=True)

    same_workspace_fields = ("stage", "touchpoint")

    class Meta:
        ordering = ["stage_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "touchpoint"], name="stage_touchpoint_unique_touchpoint"
            ),
            models.UniqueConstraint(
                fields=["stage", "position"], name="stage_touchpoint_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint} in {self.stage}"


class StageMilestone(WorkspaceScopedModel):
    """A milestone that marks the exit of a stage; within a map it exits one stage only."""

    journey_map = models.ForeignKey(JourneyMap, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="milestone_placements")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="placements")

    same_workspace_fields = ("journey_map", "stage", "milestone")

    class Meta:
        ordering = ["stage_id", "milestone__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey_map", "milestone"], name="stage_milestone_unique_in_map"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone} exits {self.stage}"

    def clean(self) -> None:
        super().clean()
        if self.stage_id and self.stage.journey_map_id != self.journey_map_id:
            raise ValidationError({"stage": ValidationError("Stage not found.", code="not_found")})


class JourneyMapVersion(WorkspaceScopedModel):
    """An immutable snapshot of a persona's map, stored each time a map is published.

    Versions are numbered 1, 2, ... per persona; version N is live from its publish
    time until the next version is published or its map is archived (`live_until`).
    The snapshot keeps the stages (lanes included), placements and exit milestones as
    they were, so history survives later edits and deletions (journeys/versions.py).
    """

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="map_versions")
    journey_map = models.ForeignKey(
        JourneyMap,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="versions",
        help_text="The map that was published (empty once that map is deleted).",
    )
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    published_at = models.DateTimeField(db_index=True)
    live_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the next version replaced it or its map was archived.",
    )
    snapshot = models.JSONField(help_text="The map as published: stages, placements, exits.")

    same_workspace_fields = ("persona", "journey_map")

    class Meta:
        ordering = ["persona_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "persona", "number"], name="journey_map_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.snapshot.get('name', 'Map')} v{self.number}"
