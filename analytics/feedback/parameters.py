"""The parameters of a feedback report: checked, completed with defaults, stored."""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from analytics.report_parameters import FieldErrors, is_whole, with_defaults
from journeys.models import Persona
from workspaces.models import Workspace

GRANULARITIES = ("day", "week", "month", "quarter")
DEFAULTS: dict[str, Any] = {
    "persona": None,  # None: every account's responses
    "period_from": None,  # None: from the first response
    "period_to": None,  # None: up to the report's data cut-off
    "granularity": "month",
    "csat_satisfied_min": 4,
    "comment_samples": 3,
}
CAMEL = {
    "persona": "persona",
    "period_from": "periodFrom",
    "period_to": "periodTo",
    "granularity": "granularity",
    "csat_satisfied_min": "csatSatisfiedMin",
    "comment_samples": "commentSamples",
}


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors = FieldErrors()
    add = errors.add
    p = with_defaults(errors, "feedback", raw, DEFAULTS)
    out = dict(p)

    persona = p["persona"]
    if (
        persona is not None
        and not Persona.objects.filter(workspace=workspace, key=persona).exists()
    ):
        add("persona", f"Unknown persona key {persona!r}.", "not_found")
    for name in ("period_from", "period_to"):
        value = p[name]
        if value is None:
            continue
        parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
        if parsed is None or parsed.tzinfo is None:
            add(CAMEL[name], "An ISO 8601 date-time with a UTC offset.")
        else:
            out[name] = parsed.isoformat()
    if (
        out["period_from"]
        and out["period_to"]
        and "periodFrom" not in errors
        and "periodTo" not in errors
        and parse_datetime(out["period_from"]) >= parse_datetime(out["period_to"])
    ):
        add("periodTo", "Must be after periodFrom.")
    if p["granularity"] not in GRANULARITIES:
        add("granularity", f"One of {', '.join(GRANULARITIES)}.", "invalid_choice")
    if not is_whole(p["csat_satisfied_min"], 1, 10):
        add("csatSatisfiedMin", "A whole score from 1 to 10.")
    if not is_whole(p["comment_samples"], 0, 20):
        add("commentSamples", "A whole number from 0 to 20.")
    errors.raise_any()
    return out
