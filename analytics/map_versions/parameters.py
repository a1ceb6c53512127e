"""The parameters of a map versions report: checked, completed with defaults, stored."""

from typing import Any

from django.core.exceptions import ValidationError

from analytics.stage_at_time import timelines
from journeys.models import Persona
from workspaces.models import Workspace

DEFAULTS: dict[str, Any] = {
    "map_persona": None,  # required: the key of the persona whose map versions to compare
    "stall_days": 90,
    "retention_days": 30,  # the length of a retention period, in days
    "retention_period": 1,  # retained in period k: activity k periods after entering
}


def _whole(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    for name in sorted(set(raw) - set(DEFAULTS)):
        add(name, "Not a parameter of map versions reports.")
    p = DEFAULTS | {name: value for name, value in raw.items() if value is not None}

    key = p["map_persona"]
    if not isinstance(key, str) or not key:
        add("mapPersona", "Give the key of the persona whose map versions to compare.", "required")
    else:
        persona = Persona.objects.filter(workspace=workspace, key=key).first()
        if persona is None:
            add("mapPersona", f"Unknown persona key {key!r}.", "not_found")
        elif persona.pk not in timelines(workspace, [persona.pk]):
            add("mapPersona", f"Persona {key!r} has no published map version.", "not_published")
    if not _whole(p["stall_days"], 1, 3650):
        add("stallDays", "A whole number of days from 1 to 3650.")
    if not _whole(p["retention_days"], 1, 366):
        add("retentionDays", "A whole number of days from 1 to 366.")
    if not _whole(p["retention_period"], 0, 120):
        add("retentionPeriod", "A whole number of periods from 0 to 120.")
    if errors:
        raise ValidationError(errors)
    return {name: p[name] for name in DEFAULTS}
