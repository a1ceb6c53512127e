"""The parameters of a funnel report: checked, completed with defaults, stored.

The journey map is named by the key of the persona whose *published* map it is (a
persona has at most one): keys are what report parameters use everywhere (see
analytics/graphql/inputs.py), and a saved definition keeps following the persona's map
when a new version of it is published. `map_version` pins one version of that map:
its stages are laid out and every achievement is read under it (default: the latest
version's stages, each achievement under the version in force when it happened).
"""

from typing import Any

from django.core.exceptions import ValidationError

from analytics.registry import moment_parameter
from analytics.stage_at_time import stage_version, timelines
from journeys.models import JourneyMap, Persona
from workspaces.models import Workspace

DEFAULTS: dict[str, Any] = {
    "map_persona": None,  # required
    "stall_days": 90,
    "as_of": None,  # None: the report's data cut-off
    "by_persona": False,
    "map_version": None,  # None: each achievement under the version in force then
}
CAMEL = {
    "map_persona": "mapPersona",
    "stall_days": "stallDays",
    "as_of": "asOf",
    "by_persona": "byPersona",
    "map_version": "mapVersion",
}


def published_map(workspace: Workspace, persona_key: str) -> JourneyMap | None:
    return (
        JourneyMap.objects.filter(
            workspace=workspace,
            persona__key=persona_key,
            status=JourneyMap.Status.PUBLISHED,
        )
        .select_related("persona")
        .first()
    )


def pinned_version(add, workspace: Workspace, persona_key, value: Any) -> int | None:
    """A `mapVersion` parameter: a version number the persona's map has, or None."""
    version = stage_version(add, "mapVersion", value)
    if version is None or not isinstance(persona_key, str):
        return None
    persona = Persona.objects.filter(workspace=workspace, key=persona_key).first()
    timeline = timelines(workspace, [persona.pk]).get(persona.pk) if persona else None
    if persona is not None and (timeline is None or timeline.version(version) is None):
        add("mapVersion", f"Persona {persona_key!r} has no map version {version}.", "not_found")
    return version


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    for name in sorted(set(raw) - set(DEFAULTS)):
        add(name, "Not a parameter of funnel reports.")
    p = DEFAULTS | {name: value for name, value in raw.items() if value is not None}

    key = p["map_persona"]
    if not isinstance(key, str) or not key:
        add("mapPersona", "Give the key of the persona whose published map to use.", "required")
    elif not Persona.objects.filter(workspace=workspace, key=key).exists():
        add("mapPersona", f"Unknown persona key {key!r}.", "not_found")
    elif p["map_version"] is None and published_map(workspace, key) is None:
        add("mapPersona", f"Persona {key!r} has no published journey map.", "not_published")
    version = pinned_version(add, workspace, key, p["map_version"])

    stall = p["stall_days"]
    if isinstance(stall, bool) or not isinstance(stall, int) or not 1 <= stall <= 3650:
        add("stallDays", "A whole number of days from 1 to 3650.")

    as_of = moment_parameter(add, "asOf", p["as_of"])

    if not isinstance(p["by_persona"], bool):
        add("byPersona", "true or false.")

    if errors:
        raise ValidationError(errors)
    return {
        "map_persona": key,
        "stall_days": stall,
        "as_of": as_of,
        "by_persona": p["by_persona"],
        "map_version": version,
    }
