"""Map versions as a report kind: each version of a persona's map over its live window.

The result (JSON, stored on the Report) reads:

    {
      "persona": str,                       # persona key
      "stall_days": int,
      "retention": {"days": int, "period": int},
      "versions": [                         # by number
        {"number": int, "map_name": str, "published_at": str | None,
         "window": {"from": str, "to": str, "days": float, "live": bool},
         "accounts": {"entered": int,       # entered the first stage in the window
                      "active": int},       # any activity in the window
         "funnel": {"entered": int, "advanced": int,   # summed over the stages
                    "conversion_rate": float | None,   # advanced / entered
                    "stalled": int},
         "stages": [funnel stage rows, as in analytics/funnel/report.py],
         "off_map": {"interactions": int, "off_map_interactions": int,
                     "share": float | None},
         "retention": {"eligible": int, "retained": int, "rate": float | None}}, ...
      ],
      "notes": [str]                        # the seasonality caveat, with two versions or more
    }

docs/journeys.md defines every number.
"""

from analytics.map_versions.compute import compute_map_versions
from analytics.map_versions.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

SPEC = KindSpec(
    kind=ReportKind.MAP_VERSIONS,
    version="map-versions-1",
    parse=parse_parameters,
    compute=compute_map_versions,
)
