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

from analytics.funnel.chart import chart
from analytics.funnel.compute import compute_funnel
from analytics.funnel.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

STAGE_COLUMNS = [
    "position",
    "stage_id",
    "name",
    "entered",
    "advanced",
    "in_stage",
    "conversion_rate",
    "skipped",
    "median_days",
    "p90_days",
    "timed",
    "stalled",
    "churned",
    "value_lost",
]


def table(result: dict) -> tuple[list[str], list[list]]:
    """One row per stage, for all accounts (persona "") and then per persona."""
    groups = [("", result["stages"])] + [
        (group["persona"] or "(no persona)", group["stages"]) for group in result["personas"]
    ]
    return ["persona", *STAGE_COLUMNS], [
        [persona, *(stage.get(column) for column in STAGE_COLUMNS)]
        for persona, stages in groups
        for stage in stages
    ]


SPEC = KindSpec(
    kind=ReportKind.FUNNEL,
    version="funnel-1",
    parse=parse_parameters,
    compute=compute_funnel,
    chart=chart,
    table=table,
)
