"""Attribution as a report kind: parameters in, credited rows out.

The result (JSON, stored on the Report) reads:

    {
      "totals": {"conversions": int, "value": float, "converting_journeys": int,
                 "non_converting_journeys": int, "touches": int},
      "models": [
        {"model": "linear",
         "rows": [{"dimension": "channel", "key": "webinar", "label": "Webinar",
                   "conversions": float, "value": float, "touches": int,
                   "spend": float | None, "cost_per_conversion": float | None,
                   "roi": float | None}, ...],
         "removal_effects": [{"state": "webinar", "removal_effect": float}, ...]  # markov
        }, ...
      ],
      "notes": [str, ...]
    }

`conversions` and `value` are the credit a row earned; each model's rows of one
dimension add up to the totals. Data-driven models (markov, shapley) credit their state
(channel or touchpoint) and give rows for that dimension only.

Keys (all strings): touchpoint and persona keys, channel values, campaign names, stage
ids. Key "" collects the touches that have none in that dimension (label "(no campaign)",
"(no stage)", "(no persona)"); key "(no touch)" the conversions whose journey has no
touch (touches 0). A touchpoint, channel or campaign with spend but no touch in the
report has a row with 0 conversions. "removal_effects" is on the markov entry only.
docs/attribution.md defines everything.
"""

from analytics.attribution.chart import chart
from analytics.attribution.compute import compute_attribution
from analytics.attribution.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

COLUMNS = [
    "model",
    "dimension",
    "key",
    "label",
    "conversions",
    "value",
    "touches",
    "spend",
    "cost_per_conversion",
    "roi",
]


def table(result: dict) -> tuple[list[str], list[list]]:
    """One row per credited row of each model."""
    return COLUMNS, [
        [entry["model"], *(row.get(column) for column in COLUMNS[1:])]
        for entry in result["models"]
        for row in entry["rows"]
    ]


SPEC = KindSpec(
    kind=ReportKind.ATTRIBUTION,
    version="attribution-1",
    parse=parse_parameters,
    compute=compute_attribution,
    chart=chart,
    table=table,
)
