"""Retention cohorts as a report kind: parameters in, a cohort triangle out.

The result (JSON, stored on the Report) reads:

    {
      "period": "day" | "week" | "month", "periods": int,
      "as_of": str,            # ISO 8601: the as-of time used (at most the data cut-off)
      "cohorts_from": str,     # start of the first reported cohort period (UTC)
      "cohorts_to": str,       # end of the last complete period (exclusive)
      "breakdown": "persona" | "industry" | "employee_count_band" | None,
      "cohorts": [
        {"group": str,                   # breakdown key; "" without a breakdown
         "start": str,                   # the cohort period's start (UTC)
         "size": int,                    # accounts whose first start is in the period
         "retained": [int, ...],         # accounts active in period k = 0, 1, ...
         "rates": [float | None, ...],   # retained / size (None when size is 0)
         "values": [float, ...]},        # only with a value milestone
        ...
      ],
      "average": {"sizes": [int], "retained": [int], "rates": [float | None],
                  "values": [float]},    # all cohorts, weighted by size
      "averages": [{"group": str, "sizes": ..., "retained": ..., "rates": ...,
                    "values": ...}, ...],  # the same per breakdown group
      "notes": [str, ...]
    }

Cohorts are the `periods` last periods complete before the as-of time, oldest first;
cohort i (0-based) has `periods - i` entries in retained / rates / values, for the
periods k that are complete. Every group has every cohort (size 0 when empty).
docs/analytics/retention.md defines everything.
"""

from analytics.models import ReportKind
from analytics.registry import KindSpec
from analytics.retention.compute import compute_retention
from analytics.retention.parameters import parse_parameters

SPEC = KindSpec(
    kind=ReportKind.RETENTION,
    version="retention-1",
    parse=parse_parameters,
    compute=compute_retention,
)
