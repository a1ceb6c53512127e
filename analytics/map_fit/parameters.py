"""The parameters of a map fit report: checked, completed with defaults, stored."""

import binascii
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from strawberry import relay

from analytics.funnel.parameters import pinned_version
from analytics.registry import moment_parameter
from journeys.models import JourneyMap
from workspaces.models import Workspace

DEFAULTS: dict[str, Any] = {
    "journey_map": None,  # required: the global id of a published map
    "period_from": None,  # None: from the first data
    "period_to": None,  # None: up to the report's data cut-off
    "stall_days": 90,
    "map_version": None,  # None: each event under the version in force then
}
FIELDS = {
    "journey_map": "journeyMap",
    "period_from": "periodFrom",
    "period_to": "periodTo",
    "stall_days": "stallDays",
    "map_version": "mapVersion",
}


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def map_pk(global_id: Any) -> int | None:
    """The primary key a JourneyMap global id names; None if it names something else."""
    try:
        type_name, node_id = relay.from_base64(str(global_id))
    except (ValueError, TypeError, binascii.Error):
        return None
    if type_name != "JourneyMap" or not node_id.isdigit() or len(node_id) > 18:
        return None
    return int(node_id)


def _journey_map(errors: _Errors, workspace: Workspace, value: Any) -> str | None:
    if value is None:
        errors.add("journeyMap", "Give the id of a published journey map.", "required")
        return None
    pk = map_pk(value)
    journey_map = (
        JourneyMap.objects.filter(workspace=workspace, pk=pk).first() if pk is not None else None
    )
    if journey_map is None:
        errors.add("journeyMap", "Journey map not found.", "not_found")
        return None
    if journey_map.status != JourneyMap.Status.PUBLISHED or journey_map.persona_id is None:
        errors.add(
            "journeyMap", "Only a published map (of a persona) can be fitted.", "not_published"
        )
        return None
    return relay.to_base64("JourneyMap", journey_map.pk)


def _datetime(errors: _Errors, field: str, value: Any) -> str | None:
    return moment_parameter(errors.add, field, value)


def parse_parameters(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    """Complete parameters, or a ValidationError naming each bad field (camelCase)."""
    errors = _Errors()
    for name in sorted(set(raw) - set(DEFAULTS)):
        errors.add(name, "Not a parameter of map fit reports.", "invalid")
    given = {name: value for name, value in raw.items() if value is not None}
    p = DEFAULTS | given
    out: dict[str, Any] = {
        "journey_map": _journey_map(errors, workspace, p["journey_map"]),
        "period_from": _datetime(errors, "periodFrom", p["period_from"]),
        "period_to": _datetime(errors, "periodTo", p["period_to"]),
    }
    stall = p["stall_days"]
    if isinstance(stall, bool) or not isinstance(stall, int) or not 1 <= stall <= 3650:
        errors.add("stallDays", "A whole number of days from 1 to 3650.")
    out["stall_days"] = stall
    journey_map = JourneyMap.objects.filter(
        workspace=workspace, pk=map_pk(out["journey_map"])
    ).first()
    persona_key = journey_map.persona.key if journey_map and journey_map.persona else None
    out["map_version"] = pinned_version(errors.add, workspace, persona_key, p["map_version"])
    if (
        out["period_from"]
        and out["period_to"]
        and parse_datetime(out["period_from"]) >= parse_datetime(out["period_to"])
    ):
        errors.add("periodTo", "Must be after periodFrom.")
    errors.raise_any()
    return out
