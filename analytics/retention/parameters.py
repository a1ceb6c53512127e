"""The parameters of a retention report: checked, completed with defaults, stored."""

from typing import Any

from django.core.exceptions import ValidationError

from analytics.registry import moment_parameter
from journeys.models import Channel, Milestone, Persona, Touchpoint
from workspaces.models import Workspace

PERIODS = ("day", "week", "month")
# What counts as activity: any interaction, interactions with chosen touchpoints or on
# chosen channels, or achievements of chosen milestones (keys in activity_keys).
ACTIVITIES = ("any", "touchpoints", "channels", "milestones")
BREAKDOWNS = ("persona", "industry", "employee_count_band")
MAX_PERIODS = 366

DEFAULTS: dict[str, Any] = {
    "start_milestone": None,  # None: the earliest-created conversion milestone
    "activity": "any",
    "activity_keys": None,
    "period": "week",
    "periods": 12,
    "as_of": None,  # None: the report's data cut-off
    "persona": None,
    "breakdown": None,
    "value_milestone": None,
}


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def default_start_milestone(workspace: Workspace) -> str | None:
    """The conversion milestone created first (ties: the lower id)."""
    return (
        Milestone.objects.filter(workspace=workspace, is_conversion=True)
        .order_by("created_at", "id")
        .values_list("key", flat=True)
        .first()
    )


def _milestone_key(errors: _Errors, workspace: Workspace, field: str, key) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not (
        Milestone.objects.filter(workspace=workspace, key=key).exists()
    ):
        errors.add(field, f"Unknown milestone key {key!r}.", "not_found")
    return key


def _activity_keys(errors: _Errors, workspace: Workspace, activity: str, keys) -> list[str] | None:
    if activity == "any":
        if keys:
            errors.add("activityKeys", "Give no keys when any interaction counts.", "invalid")
        return None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        errors.add("activityKeys", f"Give a non-empty list of {activity}.", "required")
        return []
    if activity == "touchpoints":
        known = set(
            Touchpoint.objects.filter(workspace=workspace, key__in=keys).values_list(
                "key", flat=True
            )
        )
    elif activity == "milestones":
        known = set(
            Milestone.objects.filter(workspace=workspace, key__in=keys).values_list(
                "key", flat=True
            )
        )
    else:
        known = set(keys) & set(Channel.values)
    unknown = sorted(set(keys) - known)
    if unknown:
        code = "invalid_choice" if activity == "channels" else "not_found"
        errors.add("activityKeys", f"Unknown {activity}: {', '.join(unknown)}.", code)
    return sorted(set(keys))


def _datetime(errors: _Errors, field: str, value: Any) -> str | None:
    return moment_parameter(errors.add, field, value)


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors = _Errors()
    for name in sorted(set(raw) - set(DEFAULTS)):
        errors.add(name, "Not a parameter of retention reports.", "invalid")
    given = {name: value for name, value in raw.items() if value is not None}
    p = DEFAULTS | given

    start = p["start_milestone"]
    if start is None:
        start = default_start_milestone(workspace)
        if start is None:
            errors.add(
                "startMilestone",
                "No milestone is flagged as a conversion: name the start milestone.",
                "required",
            )
    else:
        _milestone_key(errors, workspace, "startMilestone", start)

    activity = p["activity"]
    if activity not in ACTIVITIES:
        errors.add("activity", f"One of {', '.join(ACTIVITIES)}.", "invalid_choice")
        keys = None
    else:
        keys = _activity_keys(errors, workspace, activity, p["activity_keys"])

    if p["period"] not in PERIODS:
        errors.add("period", f"One of {', '.join(PERIODS)}.", "invalid_choice")
    periods = p["periods"]
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        errors.add("periods", f"A whole number from 1 to {MAX_PERIODS}.")
    if p["breakdown"] is not None and p["breakdown"] not in BREAKDOWNS:
        errors.add("breakdown", f"One of {', '.join(BREAKDOWNS)}.", "invalid_choice")
    persona = p["persona"]
    if (
        persona is not None
        and not Persona.objects.filter(workspace=workspace, key=persona).exists()
    ):
        errors.add("persona", f"Unknown persona key {persona!r}.", "not_found")

    out = {
        "start_milestone": start,
        "activity": activity,
        "activity_keys": keys,
        "period": p["period"],
        "periods": periods,
        "as_of": _datetime(errors, "asOf", p["as_of"]),
        "persona": persona,
        "breakdown": p["breakdown"],
        "value_milestone": _milestone_key(
            errors, workspace, "valueMilestone", p["value_milestone"]
        ),
    }
    errors.raise_any()
    return out
