"""Map fit as a report kind: a published map against the accounts of its persona.

The result (JSON, stored on the Report) reads:

    {
      "journey_map": {"id": str (global id), "name": str, "persona": str (key)},
      "period": {"from": str | None, "to": str},   # ISO 8601; [from, to)
      "stall_days": int,
      "totals": {"accounts": int, "interactions": int, "off_map_interactions": int},
      "off_map": [{"stage_id": int, "stage_position": int, "stage_name": str,
                   "touchpoint_id": int, "touchpoint_key": str, "touchpoint_name": str,
                   "channel": str, "interactions": int, "accounts": int}, ...],
      "unused": [{"stage_id", "stage_position", "stage_name", "touchpoint_id",
                  "touchpoint_key", "touchpoint_name", "channel",
                  "interactions_elsewhere": int}, ...],
      "out_of_order": [{"expected_stage_id", "expected_stage_position",
                        "expected_stage_name", "reached_stage_id",
                        "reached_stage_position", "reached_stage_name",
                        "accounts": int, "reached_later": int}, ...],
      "stages": [{"stage_id", "stage_position", "stage_name",
                  "emotion_score": int | None, "emotion_label": str,
                  "entered": int, "stalled": int, "stall_rate": float | None,
                  "measured_score": float | None, "measured_responses": int,
                  "emotion_gap": float | None}, ...]
    }

Ids are primary keys (the GraphQL types turn them into global ids). "to" is the period's
end or the data cut-off, whichever is earlier. docs/analytics/map_fit.md defines every
output.
"""

from analytics.map_fit.compute import compute_map_fit
from analytics.map_fit.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

SPEC = KindSpec(
    kind=ReportKind.MAP_FIT,
    version="map_fit-2",
    parse=parse_parameters,
    compute=compute_map_fit,
)
