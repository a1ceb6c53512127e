"""What a run attributes: the report's parameters resolved to ids, plus its data cut-off."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from journeys.models import Milestone, Persona


@dataclass(frozen=True)
class Scope:
    workspace_id: int
    cutoff: datetime
    conversion_milestone_ids: tuple[int, ...]
    conversions_from: datetime | None = None
    conversions_to: datetime | None = None
    # persona_filter with persona_id None: the persona was deleted, nothing matches.
    persona_filter: bool = False
    persona_id: int | None = None
    lookback_days: int | None = None
    lead_milestone_id: int | None = None
    opportunity_milestone_id: int | None = None
    half_life_days: float = 7.0
    position_first: float = 0.4
    position_last: float = 0.4
    markov_order: int = 1
    markov_state: str = "channel"
    stage_version: int | None = None
    notes: list[str] = field(default_factory=list, compare=False)


def scope_from(workspace, parameters: dict[str, Any], cutoff: datetime) -> Scope:
    """Resolve the stored (validated) parameters. Keys that no longer exist match
    nothing, and say so in the notes."""
    notes: list[str] = []
    milestones = dict(Milestone.objects.filter(workspace=workspace).values_list("key", "id"))

    def milestone_id(key: str | None, what: str) -> int | None:
        if key is None:
            return None
        if key not in milestones:
            notes.append(f"The {what} milestone {key!r} no longer exists.")
        return milestones.get(key)

    conversion_ids = []
    for key in parameters.get("conversion_milestones") or []:
        found = milestone_id(key, "conversion")
        if found is not None:
            conversion_ids.append(found)

    persona_key = parameters.get("persona")
    persona_id = None
    if persona_key is not None:
        persona_id = (
            Persona.objects.filter(workspace=workspace, key=persona_key)
            .values_list("id", flat=True)
            .first()
        )
        if persona_id is None:
            notes.append(f"The persona {persona_key!r} no longer exists: no account matches.")

    def moment(value: str | None) -> datetime | None:
        return parse_datetime(value) if value else None

    return Scope(
        workspace_id=workspace.pk,
        cutoff=cutoff,
        conversion_milestone_ids=tuple(sorted(conversion_ids)),
        conversions_from=moment(parameters.get("conversions_from")),
        conversions_to=moment(parameters.get("conversions_to")),
        persona_filter=persona_key is not None,
        persona_id=persona_id,
        lookback_days=parameters.get("lookback_days"),
        lead_milestone_id=milestone_id(parameters.get("lead_milestone"), "lead"),
        opportunity_milestone_id=milestone_id(
            parameters.get("opportunity_milestone"), "opportunity"
        ),
        half_life_days=float(parameters.get("half_life_days") or 7.0),
        position_first=_share(parameters.get("position_first"), 0.4),
        position_last=_share(parameters.get("position_last"), 0.4),
        markov_order=int(parameters.get("markov_order") or 1),
        markov_state=parameters.get("markov_state") or "channel",
        stage_version=parameters.get("stage_version"),
        notes=notes,
    )


def _share(value, default: float) -> float:
    return default if value is None else float(value)
