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
"""

from analytics.attribution.compute import compute_attribution
from analytics.attribution.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

SPEC = KindSpec(
    kind=ReportKind.ATTRIBUTION,
    version="attribution-1",
    parse=parse_parameters,
    compute=compute_attribution,
)
