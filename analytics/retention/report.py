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
from analytics.retention.chart import chart
from analytics.retention.compute import compute_retention
from analytics.retention.parameters import parse_parameters

COLUMNS = ["group", "cohort_start", "cohort_size", "period", "retained", "rate", "value"]


def table(result: dict) -> tuple[list[str], list[list]]:
    """One row per cohort and period k (0 is the start period)."""
    rows = []
    for cohort in result["cohorts"]:
        values = cohort.get("values") or []
        for k, retained in enumerate(cohort["retained"]):
            value = values[k] if k < len(values) else None
            rows.append(
                [
                    cohort["group"],
                    cohort["start"],
                    cohort["size"],
                    k,
                    retained,
                    cohort["rates"][k],
                    value,
                ]
            )
    return COLUMNS, rows


SPEC = KindSpec(
    kind=ReportKind.RETENTION,
    version="retention-1",
    parse=parse_parameters,
    compute=compute_retention,
    chart=chart,
    table=table,
)
