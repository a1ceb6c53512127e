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

from analytics.feedback.compute import compute_feedback
from analytics.feedback.parameters import parse_parameters
from analytics.models import ReportKind
from analytics.registry import KindSpec

SPEC = KindSpec(
    kind=ReportKind.FEEDBACK,
    version="feedback-1",
    parse=parse_parameters,
    compute=compute_feedback,
)
