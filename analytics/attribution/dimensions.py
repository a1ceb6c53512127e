"""Credit rows per dimension: keys, labels, touches, spend, cost per conversion, ROI.

The engine's SQL returns credit sums per (touchpoint, campaign, persona). Every
dimension is a function of those three and the persona's map version in force at the
touch (channel of the touchpoint, stage of the touchpoint in that version), so rolling
them up here handles a few hundred aggregated rows, never events.

Keys: touchpoint and persona keys, channel values, campaign names, stage keys (a
stage's identity across map versions: the id of the stage first published, as text).
Key "" collects touches without one (no campaign, no persona, touchpoint not on the
persona's map); key "(no touch)" the conversions whose journey has no touch.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date

from django.db.models import Sum

from analytics.attribution.journeys import CreditRow, Totals
from analytics.attribution.scope import Scope
from analytics.models import Spend
from journeys.models import Channel, Persona, Touchpoint

NO_TOUCH = "(no touch)"
NONE_LABELS = {
    "touchpoint": "(no touchpoint)",
    "channel": "(no channel)",
    "campaign": "(no campaign)",
    "stage": "(no stage)",
    "persona": "(no persona)",
}


@dataclass(frozen=True)
class TouchpointInfo:
    key: str
    name: str
    channel: str


@dataclass
class Catalog:
    touchpoints: dict[int, TouchpointInfo]
    personas: dict[int, tuple[str, str]]  # id -> (key, name)
    # (persona id, version in force, touchpoint id) -> (stage key, label)
    stages: dict[tuple[int, int | None, int], tuple[str, str]]

    @property
    def touchpoint_ids(self) -> dict[str, int]:
        return {info.key: pk for pk, info in self.touchpoints.items()}


def load_catalog(scope: Scope, rows: Iterable[CreditRow], timelines: dict) -> Catalog:
    rows = list(rows)
    persona_ids = {row.persona_id for row in rows if row.persona_id is not None}
    touchpoints = {
        pk: TouchpointInfo(key, name, channel)
        for pk, key, name, channel in Touchpoint.objects.filter(
            workspace_id=scope.workspace_id
        ).values_list("id", "key", "name", "channel")
    }
    personas = {
        pk: (key, name)
        for pk, key, name in Persona.objects.filter(
            workspace_id=scope.workspace_id, id__in=persona_ids
        ).values_list("id", "key", "name")
    }
    # A touch's stage is that of its touchpoint in the persona's map version in force
    # at the touch (analytics/stage_at_time.py); a touchpoint placed in several stages
    # of a version belongs to the first of them. Stages keep their key across versions
    # and are labelled as in the report's reference version (else their latest one).
    stages: dict[tuple[int, int | None, int], tuple[str, str]] = {}
    for persona_id, timeline in timelines.items():
        labels: dict[str, str] = {}
        reference = timeline.reference
        for plan in [*timeline.versions, *([reference] if reference else [])]:
            for stage in plan.stages:
                labels[stage.key] = f"{plan.map_name}: {stage.position}. {stage.name}"
        for plan in timeline.versions:
            for touchpoint_id, stage_key in plan.first_stage_of.items():
                stages[(persona_id, plan.number, touchpoint_id)] = (stage_key, labels[stage_key])
    return Catalog(touchpoints, personas, stages)


def dimension_key(dimension: str, row: CreditRow, catalog: Catalog) -> tuple[str, str]:
    """(key, label) of the row's touches in a dimension."""
    touchpoint = catalog.touchpoints.get(row.touchpoint_id)
    if dimension == "touchpoint":
        return (touchpoint.key, touchpoint.name) if touchpoint else ("", NONE_LABELS[dimension])
    if dimension == "channel":
        if touchpoint is None:
            return "", NONE_LABELS[dimension]
        return touchpoint.channel, channel_label(touchpoint.channel)
    if dimension == "campaign":
        return (row.campaign, row.campaign) if row.campaign else ("", NONE_LABELS[dimension])
    if dimension == "persona":
        persona = catalog.personas.get(row.persona_id) if row.persona_id else None
        return persona if persona else ("", NONE_LABELS[dimension])
    if dimension == "stage":
        stage = catalog.stages.get((row.persona_id, row.version, row.touchpoint_id))
        return stage if stage else ("", NONE_LABELS[dimension])
    raise ValueError(f"unknown dimension {dimension}")


def channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


# Spend ----------------------------------------------------------------------------------


@dataclass
class SpendTotals:
    by_touchpoint: dict[int, float] = field(default_factory=dict)
    by_campaign: dict[str, float] = field(default_factory=dict)


def prorated(amount: float, start: date, end: date, first: date | None, last: date | None):
    """The part of `amount`, spent evenly over the days start..end (inclusive), that falls
    on the days first..last (inclusive; None: unbounded)."""
    low = max(start, first) if first else start
    high = min(end, last) if last else end
    if high < low:
        return 0.0
    return amount * ((high - low).days + 1) / ((end - start).days + 1)


def load_spend(scope: Scope) -> SpendTotals:
    """Spend recorded by the cut-off, prorated by days to the conversion date range (the
    days it touches, in UTC); all of it without a range."""
    first = scope.conversions_from.astimezone(UTC).date() if scope.conversions_from else None
    last = scope.conversions_to.astimezone(UTC).date() if scope.conversions_to else None
    rows = Spend.objects.filter(workspace_id=scope.workspace_id, created_at__lte=scope.cutoff)
    if first:
        rows = rows.filter(period_end__gte=first)
    if last:
        rows = rows.filter(period_start__lte=last)
    grouped = (
        rows.values("touchpoint_id", "campaign", "period_start", "period_end")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    out = SpendTotals()
    for row in grouped:
        amount = prorated(float(row["amount"]), row["period_start"], row["period_end"], first, last)
        if row["touchpoint_id"] is not None:
            tp = row["touchpoint_id"]
            out.by_touchpoint[tp] = out.by_touchpoint.get(tp, 0.0) + amount
        if row["campaign"]:
            campaign = row["campaign"]
            out.by_campaign[campaign] = out.by_campaign.get(campaign, 0.0) + amount
    return out


def spend_by_key(dimension: str, spend: SpendTotals, catalog: Catalog) -> dict[str, float]:
    """Spend per row key: touchpoints and campaigns directly, a channel the sum of its
    touchpoints' spend; no spend for stages and personas."""
    if dimension == "touchpoint":
        return {
            catalog.touchpoints[pk].key: amount
            for pk, amount in spend.by_touchpoint.items()
            if pk in catalog.touchpoints
        }
    if dimension == "channel":
        out: dict[str, float] = defaultdict(float)
        for pk, amount in spend.by_touchpoint.items():
            if pk in catalog.touchpoints:
                out[catalog.touchpoints[pk].channel] += amount
        return dict(out)
    if dimension == "campaign":
        return dict(spend.by_campaign)
    return {}


def spend_label(dimension: str, key: str, catalog: Catalog) -> str:
    if dimension == "touchpoint":
        pk = catalog.touchpoint_ids.get(key)
        return catalog.touchpoints[pk].name if pk in catalog.touchpoints else key
    if dimension == "channel":
        return channel_label(key)
    return key


# Rows -----------------------------------------------------------------------------------


def make_row(
    dimension: str,
    key: str,
    label: str,
    conversions: float,
    value: float,
    touches: int,
    spend: float | None,
) -> dict:
    return {
        "dimension": dimension,
        "key": key,
        "label": label,
        "conversions": conversions,
        "value": value,
        "touches": touches,
        "spend": spend,
        "cost_per_conversion": spend / conversions if spend is not None and conversions else None,
        "roi": (value - spend) / spend if spend else None,
    }


def _finish(
    dimension: str,
    sums: dict[str, list],
    labels: dict[str, str],
    totals: Totals,
    spend: SpendTotals,
    catalog: Catalog,
) -> list[dict]:
    spent = spend_by_key(dimension, spend, catalog)
    for key in spent:
        if key not in sums:  # spend without a touch in the report: shown, credited 0
            sums[key] = [0.0, 0.0, 0]
            labels[key] = spend_label(dimension, key, catalog)
    rows = [
        make_row(dimension, key, labels[key], c, v, t, spent.get(key))
        for key, (c, v, t) in sums.items()
    ]
    if totals.untouched_conversions:
        rows.append(
            make_row(
                dimension,
                NO_TOUCH,
                NO_TOUCH,
                float(totals.untouched_conversions),
                totals.untouched_value,
                0,
                None,
            )
        )
    rows.sort(key=lambda row: (-row["conversions"], -row["value"], row["key"]))
    return rows


def rule_model_rows(
    model: str,
    dimensions: Iterable[str],
    base: list[CreditRow],
    catalog: Catalog,
    spend: SpendTotals,
    totals: Totals,
) -> list[dict]:
    out = []
    for dimension in dimensions:
        sums: dict[str, list] = {}
        labels: dict[str, str] = {}
        for row in base:
            key, label = dimension_key(dimension, row, catalog)
            entry = sums.setdefault(key, [0.0, 0.0, 0])
            labels[key] = label
            conversions, value = row.credits[model]
            entry[0] += conversions
            entry[1] += value
            entry[2] += row.touches
        out.extend(_finish(dimension, sums, labels, totals, spend, catalog))
    return out


def state_rows(
    dimension: str,
    credits: dict[str, tuple[float, float]],
    base: list[CreditRow],
    catalog: Catalog,
    spend: SpendTotals,
    totals: Totals,
) -> list[dict]:
    """Rows of a data-driven model, whose credits are per state (channel or touchpoint
    key); touches are those of the converting journeys."""
    touches: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for row in base:
        key, label = dimension_key(dimension, row, catalog)
        touches[key] += row.touches
        labels[key] = label
    sums = {}
    for key, (conversions, value) in credits.items():
        sums[key] = [conversions, value, touches.get(key, 0)]
        labels.setdefault(key, spend_label(dimension, key, catalog))
    return _finish(dimension, sums, labels, totals, spend, catalog)
