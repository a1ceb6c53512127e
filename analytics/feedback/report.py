"""Feedback as a report kind: NPS, CSAT and CES of the customers' responses.

The result (JSON, stored on the Report) reads:

    {
      "period": {"from": str | None, "to": str},   # ISO 8601; [from, to)
      "persona": str | None, "granularity": str, "csat_satisfied_min": int,
      "totals": METRICS,
      "by_persona": [{"persona": str | None, "persona_name": str | None, **METRICS}],
      "by_period": [{"period_start": str, **METRICS}],
      "by_stage": [{"journey_map_id": int | None, "journey_map_name": str | None,
                    "persona": str | None, "stage_id": int | None,
                    "stage_position": int | None, "stage_name": str | None, **METRICS,
                    "comment_samples": [{"occurred_at": str, "instrument": str,
                                         "score": float | None, "comment": str,
                                         "account_id": int}]}],
    }
    METRICS = {"responses": int,
               "nps": {"responses", "promoters", "passives", "detractors": int,
                       "score": float | None},
               "csat": {"responses", "satisfied": int, "percent": float | None},
               "ces": {"responses": int, "mean": float | None},
               "rating": {"responses": int, "mean": float | None},
               "text_responses": int, "comments": int}

docs/analytics.md ("Feedback") defines every number.
"""

from analytics.feedback.chart import chart, stage_label
from analytics.feedback.compute import compute_feedback
from analytics.feedback.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

COLUMNS = [
    "group",
    "key",
    "responses",
    "nps_score",
    "promoters",
    "passives",
    "detractors",
    "csat_percent",
    "csat_responses",
    "ces_mean",
    "rating_mean",
    "comments",
]


def _row(group: str, key: str | None, metrics: dict) -> list:
    nps, csat = metrics["nps"], metrics["csat"]
    return [
        group,
        key,
        metrics["responses"],
        nps["score"],
        nps["promoters"],
        nps["passives"],
        nps["detractors"],
        csat["percent"],
        csat["responses"],
        metrics["ces"]["mean"],
        metrics["rating"]["mean"],
        metrics["comments"],
    ]


def table(result: dict) -> tuple[list[str], list[list]]:
    """One row for the totals, then one per persona, per period and per stage."""
    return COLUMNS, [
        _row("total", None, result["totals"]),
        *(_row("persona", row["persona"], row) for row in result["by_persona"]),
        *(_row("period", row["period_start"], row) for row in result["by_period"]),
        *(_row("stage", stage_label(row), row) for row in result["by_stage"]),
    ]


SPEC = KindSpec(
    kind=ReportKind.FEEDBACK,
    version="feedback-1",
    parse=parse_parameters,
    compute=compute_feedback,
    chart=chart,
    table=table,
)
