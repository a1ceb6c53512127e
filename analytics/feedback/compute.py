"""The feedback report: NPS, CSAT and CES of the responses, in total, per persona, per
period and per stage the account was at when it answered.

Everything is aggregated in SQL - counts and sums with conditional aggregation, grouped by
persona, by truncated period, and by the furthest exit reached before the response (one
query per persona's map version, read under the version in force at the response, as
attribution, the funnel and map fit do) - and Python only turns the sums into scores. The
comment samples are one query per stage and version. docs/analytics.md ("Feedback")
defines every number.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.utils.dateparse import parse_datetime

from accounts.models import FeedbackResponse, MilestoneAchievement
from analytics import stage_at_time
from analytics.registry import RunContext
from journeys.models import Persona

Instrument = FeedbackResponse.Instrument
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
SUMS = ("responses", "nps", "promoters", "detractors", "csat", "satisfied", "ces", "ces_sum",
        "rating", "rating_sum", "text", "comments")  # fmt: skip


def aggregates(csat_satisfied_min: int) -> dict[str, Any]:
    """The sums every group of responses is reduced to (all additive, so groups merge)."""
    nps, csat = Q(instrument=Instrument.NPS), Q(instrument=Instrument.CSAT)
    ces, rating = Q(instrument=Instrument.CES), Q(instrument=Instrument.RATING)
    return {
        "responses": Count("id"),
        "nps": Count("id", filter=nps),
        "promoters": Count("id", filter=nps & Q(score__gte=PROMOTER_MIN)),
        "detractors": Count("id", filter=nps & Q(score__lte=DETRACTOR_MAX)),
        "csat": Count("id", filter=csat),
        "satisfied": Count("id", filter=csat & Q(score__gte=csat_satisfied_min)),
        "ces": Count("id", filter=ces),
        "ces_sum": Sum("score", filter=ces),
        "rating": Count("id", filter=rating),
        "rating_sum": Sum("score", filter=rating),
        "text": Count("id", filter=Q(instrument=Instrument.TEXT)),
        "comments": Count("id", filter=~Q(comment="")),
    }


def _ratio(part, whole, scale: int = 1, digits: int = 2) -> float | None:
    if not whole:
        return None
    return round(float(Decimal(part or 0) * scale / Decimal(whole)), digits)


def metrics(sums: dict[str, Any]) -> dict[str, Any]:
    """Scores from a group's sums (see docs/analytics.md for the definitions)."""
    nps, promoters, detractors = sums["nps"], sums["promoters"], sums["detractors"]
    return {
        "responses": sums["responses"],
        "nps": {
            "responses": nps,
            "promoters": promoters,
            "passives": nps - promoters - detractors,
            "detractors": detractors,
            "score": _ratio(promoters - detractors, nps, 100),
        },
        "csat": {
            "responses": sums["csat"],
            "satisfied": sums["satisfied"],
            "percent": _ratio(sums["satisfied"], sums["csat"], 100),
        },
        "ces": {"responses": sums["ces"], "mean": _ratio(sums["ces_sum"], sums["ces"], 1, 4)},
        "rating": {
            "responses": sums["rating"],
            "mean": _ratio(sums["rating_sum"], sums["rating"], 1, 4),
        },
        "text_responses": sums["text"],
        "comments": sums["comments"],
    }


def _grouped(queryset: QuerySet, by: str, aggregate: dict) -> dict[Any, dict[str, Any]]:
    rows = queryset.order_by().values(by).annotate(**aggregate).values(by, *aggregate)
    return {row.pop(by): row for row in rows}


def _empty() -> dict[str, Any]:
    return dict.fromkeys(SUMS, 0)


def _add(into: dict[str, Any], sums: dict[str, Any]) -> None:
    for name in SUMS:
        into[name] = (into[name] or 0) + (sums[name] or 0)


def _comment(row: FeedbackResponse) -> dict[str, Any]:
    return {
        "occurred_at": row.occurred_at.isoformat(),
        "instrument": row.instrument,
        "score": None if row.score is None else float(row.score),
        "comment": row.comment,
        "account_id": row.account_id,
    }


def _samples(queryset: QuerySet, count: int) -> list[dict[str, Any]]:
    if count == 0:
        return []
    newest = queryset.exclude(comment="").order_by("-occurred_at", "-id")[:count]
    return [_comment(row) for row in newest]


def compute_feedback(context: RunContext) -> dict[str, Any]:
    p = context.parameters
    workspace = context.workspace
    start = parse_datetime(p["period_from"]) if p["period_from"] else None
    end = context.cutoff
    if p["period_to"]:
        end = min(end, parse_datetime(p["period_to"]))
    responses = FeedbackResponse.objects.filter(
        workspace=workspace, received_at__lte=context.cutoff, occurred_at__lt=end
    )
    if start is not None:
        responses = responses.filter(occurred_at__gte=start)
    if p["persona"] is not None:
        responses = responses.filter(account__persona__key=p["persona"])
    aggregate = aggregates(p["csat_satisfied_min"])
    totals = responses.order_by().aggregate(**aggregate)
    context.progress(20)

    personas = {persona.pk: persona for persona in Persona.objects.filter(workspace=workspace)}
    by_persona = [
        {
            "persona": personas[pk].key if pk is not None else None,
            "persona_name": personas[pk].name if pk is not None else None,
            **metrics(sums),
        }
        for pk, sums in _grouped(responses, "account__persona_id", aggregate).items()
    ]
    by_persona.sort(key=lambda row: (row["persona"] is None, row["persona"] or ""))
    context.progress(40)

    truncated = responses.annotate(period_start=TRUNC[p["granularity"]]("occurred_at"))
    by_period = [
        {"period_start": _iso(period), **metrics(sums)}
        for period, sums in sorted(_grouped(truncated, "period_start", aggregate).items())
    ]
    context.progress(60)

    by_stage = _by_stage(context, responses, aggregate, p["comment_samples"])
    context.progress(95)
    return {
        "period": {"from": start.isoformat() if start else None, "to": end.isoformat()},
        "persona": p["persona"],
        "granularity": p["granularity"],
        "csat_satisfied_min": p["csat_satisfied_min"],
        "totals": metrics(totals),
        "by_persona": by_persona,
        "by_period": by_period,
        "by_stage": by_stage,
    }


def _iso(moment: datetime | Any) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)


def _by_stage(context: RunContext, responses, aggregate: dict, samples: int) -> list[dict]:
    """Per stage of each persona's map: the responses of the persona's accounts given while
    the account was at the stage, under the map version in force then (stage at the time,
    analytics.stage_at_time); stages laid out by the latest version, then any stage only
    an earlier version had. Last, a row (stage null) for the responses of accounts whose
    persona has no map version (or no persona)."""
    workspace = context.workspace
    timelines = {
        persona_id: timeline
        for persona_id, timeline in stage_at_time.timelines(workspace).items()
        if timeline.reference is not None and timeline.reference.stages
    }
    keys = dict(Persona.objects.filter(workspace=workspace).values_list("pk", "key"))
    rows = []
    for persona_id, timeline in sorted(timelines.items(), key=lambda item: keys[item[0]]):
        exits = MilestoneAchievement.objects.filter(
            workspace=workspace,
            received_at__lte=context.cutoff,
            milestone_id__in=stage_at_time.exit_milestone_ids(timeline),
        )
        of_persona = responses.filter(account__persona_id=persona_id)
        per_stage: dict[str, dict[str, Any]] = defaultdict(_empty)
        stage_of = {}
        sampled: dict[str, list[QuerySet]] = defaultdict(list)
        for lower, upper, in_force, version in stage_at_time.versions_in_force(timeline):
            in_range = of_persona
            if lower is not None:
                in_range = in_range.filter(occurred_at__gte=lower)
            if upper is not None:
                in_range = in_range.filter(occurred_at__lt=upper)
            placed = in_range.annotate(
                reached_index=stage_at_time.reached_position(in_force, exits)
            )
            reached_of: dict[str, list] = defaultdict(list)
            for reached, sums in _grouped(placed, "reached_index", aggregate).items():
                stage = version.stages[stage_at_time.stage_after(version, reached)]
                _add(per_stage[stage.key], sums)
                stage_of.setdefault(stage.key, stage)
                reached_of[stage.key].append(reached)
            for key, values in reached_of.items():
                sampled[key].append(placed.filter(_reached_in(values)))
        reference = timeline.reference
        ordered = [*reference.stages]
        ordered += [stage for key, stage in stage_of.items() if reference.index_of(key) is None]
        head = {
            "journey_map_id": reference.map_id,
            "journey_map_name": reference.map_name,
            "persona": keys[persona_id],
        }
        for stage in ordered:
            comments = sorted(
                (c for queryset in sampled[stage.key] for c in _samples(queryset, samples)),
                key=lambda c: c["occurred_at"],
                reverse=True,
            )[:samples]
            rows.append(
                head
                | {
                    "stage_id": stage.id,
                    "stage_position": stage.position,
                    "stage_name": stage.name,
                    **metrics(per_stage[stage.key]),
                    "comment_samples": comments,
                }
            )
    without = responses.exclude(account__persona_id__in=list(timelines))
    rows.append(
        {
            "journey_map_id": None,
            "journey_map_name": None,
            "persona": None,
            "stage_id": None,
            "stage_position": None,
            "stage_name": None,
            **metrics(without.order_by().aggregate(**aggregate)),
            "comment_samples": _samples(without, samples),
        }
    )
    return rows


def _reached_in(values: list) -> Q:
    condition = Q(reached_index__in=[value for value in values if value is not None])
    if None in values:
        condition |= Q(reached_index__isnull=True)
    return condition
