"""The parameters of an attribution report: checked, completed with defaults, stored."""

from typing import Any

from django.core.exceptions import ValidationError

from analytics.registry import moment_parameter
from analytics.stage_at_time import stage_version
from journeys.models import Milestone, Persona
from workspaces.models import Workspace

MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)
DIMENSIONS = ("touchpoint", "channel", "campaign", "stage", "persona")
# (first touch share, last touch share); the middle touches share the rest.
POSITION_PRESETS = {"u_shaped": (0.4, 0.4), "j_shaped": (0.2, 0.6), "inverse_j": (0.6, 0.2)}
MARKOV_STATES = ("channel", "touchpoint")

DEFAULTS: dict[str, Any] = {
    "models": list(MODELS),
    "conversion_milestones": None,  # None: every milestone flagged as a conversion
    "lookback_days": None,
    "conversions_from": None,
    "conversions_to": None,
    "persona": None,
    "dimensions": list(DIMENSIONS),
    "half_life_days": 7.0,
    "position_preset": "u_shaped",
    "position_first": None,  # set both to override the preset
    "position_last": None,
    "lead_milestone": None,
    "opportunity_milestone": None,
    "markov_order": 1,
    "markov_state": "channel",
    "stage_version": None,  # None: each touch's stage under the map version in force then
}


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _choices(errors: _Errors, field: str, values, allowed) -> list[str]:
    if not isinstance(values, list) or not values:
        errors.add(field, "Give a non-empty list.", "required")
        return []
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        errors.add(field, f"Unknown: {', '.join(map(str, unknown))}.", "invalid_choice")
    return [value for value in allowed if value in values]


def _datetime(errors: _Errors, field: str, value: Any) -> str | None:
    return moment_parameter(errors.add, field, value)


def _milestone_key(errors: _Errors, workspace: Workspace, field: str, key) -> str | None:
    if key is None:
        return None
    if not Milestone.objects.filter(workspace=workspace, key=key).exists():
        errors.add(field, f"Unknown milestone key {key!r}.", "not_found")
    return key


def _conversions(errors: _Errors, workspace: Workspace, keys) -> list[str]:
    milestones = Milestone.objects.filter(workspace=workspace)
    if keys is None:
        found = sorted(milestones.filter(is_conversion=True).values_list("key", flat=True))
        if not found:
            errors.add(
                "conversionMilestones",
                "No milestone is flagged as a conversion: name the conversion milestones.",
                "required",
            )
        return found
    if not isinstance(keys, list) or not keys:
        errors.add("conversionMilestones", "Give a non-empty list of milestone keys.", "required")
        return []
    known = set(milestones.filter(key__in=keys).values_list("key", flat=True))
    unknown = sorted(set(keys) - known)
    if unknown:
        errors.add(
            "conversionMilestones", f"Unknown milestone key(s): {', '.join(unknown)}.", "not_found"
        )
    return sorted(known)


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    unknown = sorted(set(raw) - set(DEFAULTS))
    errors = _Errors()
    for name in unknown:
        errors.add(name, "Not a parameter of attribution reports.", "invalid")
    given = {name: value for name, value in raw.items() if value is not None}
    p = DEFAULTS | given
    out: dict[str, Any] = {
        "models": _choices(errors, "models", p["models"], MODELS),
        "dimensions": _choices(errors, "dimensions", p["dimensions"], DIMENSIONS),
        "conversion_milestones": _conversions(errors, workspace, p["conversion_milestones"]),
        "conversions_from": _datetime(errors, "conversionsFrom", p["conversions_from"]),
        "conversions_to": _datetime(errors, "conversionsTo", p["conversions_to"]),
        "lead_milestone": _milestone_key(errors, workspace, "leadMilestone", p["lead_milestone"]),
        "opportunity_milestone": _milestone_key(
            errors, workspace, "opportunityMilestone", p["opportunity_milestone"]
        ),
        "markov_state": p["markov_state"],
        "persona": p["persona"],
    }
    lookback = p["lookback_days"]
    if lookback is not None and (not isinstance(lookback, int) or not 1 <= lookback <= 3650):
        errors.add("lookbackDays", "A whole number of days from 1 to 3650.")
    out["lookback_days"] = lookback
    half_life = p["half_life_days"]
    if not isinstance(half_life, int | float) or not 0 < half_life <= 3650:
        errors.add("halfLifeDays", "A number of days above 0, at most 3650.")
    out["half_life_days"] = float(half_life) if isinstance(half_life, int | float) else None
    order = p["markov_order"]
    if order not in (1, 2, 3):
        errors.add("markovOrder", "1, 2 or 3.", "invalid_choice")
    out["markov_order"] = order
    if p["markov_state"] not in MARKOV_STATES:
        errors.add("markovState", f"One of {', '.join(MARKOV_STATES)}.", "invalid_choice")
    if (
        p["persona"] is not None
        and not Persona.objects.filter(workspace=workspace, key=p["persona"]).exists()
    ):
        errors.add("persona", f"Unknown persona key {p['persona']!r}.", "not_found")
    out["stage_version"] = stage_version(errors.add, "stageVersion", p["stage_version"])
    out["position_first"], out["position_last"] = _position_shares(errors, p)
    if (
        out["conversions_from"]
        and out["conversions_to"]
        and (out["conversions_from"] > out["conversions_to"])
    ):
        errors.add("conversionsTo", "Must not be before conversionsFrom.")
    errors.raise_any()
    return out


def _position_shares(errors: _Errors, p: dict[str, Any]) -> tuple[float, float]:
    first, last = p["position_first"], p["position_last"]
    if first is None and last is None:
        if p["position_preset"] not in POSITION_PRESETS:
            errors.add("positionPreset", f"One of {', '.join(POSITION_PRESETS)}.", "invalid_choice")
            return POSITION_PRESETS["u_shaped"]
        return POSITION_PRESETS[p["position_preset"]]
    if first is None or last is None:
        errors.add("positionFirst", "Give both positionFirst and positionLast.", "required")
        return POSITION_PRESETS["u_shaped"]
    if not (0 <= first <= 1 and 0 <= last <= 1 and first + last <= 1):
        errors.add("positionFirst", "Shares from 0 to 1 whose sum is at most 1.")
    return float(first), float(last)
