"""The stage funnel as a report kind: a published map's stages, how many accounts
entered and advanced each, how long they took, who stalled and who churned.

The result (JSON, stored on the Report) reads:

    {
      "journey_map": {"id": str, "name": str, "persona": str},   # persona key
      "as_of": str,            # ISO 8601: the moment the funnel is measured at
      "stall_days": int,
      "totals": {"accounts": int,        # entered stage 1
                 "churned": int, "value_lost": float},
      "stages": [
        {"stage_id": str, "position": int, "name": str,
         "entered": int, "advanced": int,
         "in_stage": int,                 # entered - advanced
         "conversion_rate": float | None, # advanced / entered; None when none entered
         "skipped": int,                  # advanced through it at the instant it entered
         "median_days": float | None, "p90_days": float | None,
         "timed": int,                    # how many durations the percentiles are of
         "stalled": int, "churned": int, "value_lost": float}, ...   # by position
      ],
      "personas": [                       # [] unless by_persona
        {"persona": str, "label": str,    # key "" = accounts without a persona
         "stages": [same rows as above]}, ...
      ]
    }

docs/analytics/funnel.md defines every number.
"""

from analytics.funnel.compute import compute_funnel
from analytics.funnel.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

SPEC = KindSpec(
    kind=ReportKind.FUNNEL,
    version="funnel-1",
    parse=parse_parameters,
    compute=compute_funnel,
)
