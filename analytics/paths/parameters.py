"""The parameters of a paths report: checked, completed with defaults, stored.

Conversion milestones and the date range mean what they mean for attribution (the same
checks are reused from analytics/attribution/parameters.py)."""

from typing import Any

from analytics.attribution.parameters import _conversions, _datetime, _Errors
from journeys.models import Touchpoint
from workspaces.models import Workspace

STATES = ("touchpoint", "channel")
MAX_LENGTH_LIMIT = 20
TOP_LIMIT = 1000

DEFAULTS: dict[str, Any] = {
    "state": "touchpoint",
    "conversion_milestones": None,  # None: every milestone flagged as a conversion
    "collapse_repeats": True,
    "max_length": 5,
    "start_touchpoint": None,
    "end_touchpoint": None,
    "top": 20,
    "conversions_from": None,
    "conversions_to": None,
}


def _whole(errors: _Errors, field: str, value, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(field, f"A whole number from {low} to {high}.")
        return None
    return value


def _touchpoint_key(errors: _Errors, workspace: Workspace, field: str, key) -> str | None:
    if key is None:
        return None
    if (
        not isinstance(key, str)
        or not Touchpoint.objects.filter(workspace=workspace, key=key).exists()
    ):
        errors.add(field, f"Unknown touchpoint key {key!r}.", "not_found")
    return key


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors = _Errors()
    for name in sorted(set(raw) - set(DEFAULTS)):
        errors.add(name, "Not a parameter of paths reports.", "invalid")
    given = {name: value for name, value in raw.items() if value is not None}
    p = DEFAULTS | given
    if p["state"] not in STATES:
        errors.add("state", f"One of {', '.join(STATES)}.", "invalid_choice")
    if not isinstance(p["collapse_repeats"], bool):
        errors.add("collapseRepeats", "true or false.")
    out: dict[str, Any] = {
        "state": p["state"],
        "conversion_milestones": _conversions(errors, workspace, p["conversion_milestones"]),
        "collapse_repeats": p["collapse_repeats"],
        "max_length": _whole(errors, "maxLength", p["max_length"], 1, MAX_LENGTH_LIMIT),
        "start_touchpoint": _touchpoint_key(
            errors, workspace, "startTouchpoint", p["start_touchpoint"]
        ),
        "end_touchpoint": _touchpoint_key(errors, workspace, "endTouchpoint", p["end_touchpoint"]),
        "top": _whole(errors, "top", p["top"], 1, TOP_LIMIT),
        "conversions_from": _datetime(errors, "conversionsFrom", p["conversions_from"]),
        "conversions_to": _datetime(errors, "conversionsTo", p["conversions_to"]),
    }
    if (
        out["conversions_from"]
        and out["conversions_to"]
        and out["conversions_from"] > out["conversions_to"]
    ):
        errors.add("conversionsTo", "Must not be before conversionsFrom.")
    errors.raise_any()
    return out
