"""Outcomes per map version: each version of a persona's map measured over its own live
window, from its publish time to the next publish (or its map's archiving, or the
report's cut-off).

Per version: the funnel of the spans entered in the window (analytics/funnel: advanced
means by the window's end, stalled means quiet for stall_days before it), the off-map
share of the window's interactions (analytics/map_fit), retention of the accounts that
entered the map in the window, and account counts. Every event is read under the
version in force when it happened (analytics/stage_at_time.py); each version's funnel
is laid out by its own stages. All aggregation is SQL; Python combines a few rows per
version.

The SQL is composed from fixed text, quoted table names and integers; times travel as
query parameters (hence the S608 exemption).
"""
# ruff: noqa: S608

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics import stage_at_time
from analytics.attribution import sql
from analytics.funnel.compute import measure_funnel, spans_fragment
from analytics.map_fit.compute import off_map_volume
from analytics.registry import RunContext
from journeys.models import Persona
from journeys.versions import MapTimeline, VersionPlan

_DAWN = datetime(1, 1, 2, tzinfo=UTC)
SECONDS_PER_DAY = 86400

SEASONALITY = (
    "Each version is measured over its own live window, and the windows cover different "
    "dates: differences between versions may come from seasonality, campaigns or the "
    "market as much as from the map's design. Windows of different lengths also give "
    "accounts different times to advance."
)


def compute_map_versions(context: RunContext) -> dict:
    p = context.parameters
    workspace = context.workspace
    persona = Persona.objects.get(workspace=workspace, key=p["map_persona"])
    timeline = stage_at_time.timelines(workspace, [persona.pk]).get(persona.pk)
    if timeline is None:
        raise ValueError(f"Persona {persona.key!r} no longer has a published map version.")
    rows = []
    for index, plan in enumerate(timeline.versions):
        start, end = _window(timeline, index, context.cutoff)
        rows.append(_measure(context, persona, replace(timeline, laid_out=plan.number), start, end))
        context.progress(int(95 * (index + 1) / len(timeline.versions)))
    notes = [SEASONALITY] if len(rows) > 1 else []
    return {
        "persona": persona.key,
        "stall_days": p["stall_days"],
        "retention": {"days": p["retention_days"], "period": p["retention_period"]},
        "versions": rows,
        "notes": notes,
    }


def _window(timeline: MapTimeline, index: int, cutoff: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the index-th version's live window, cut at the cut-off."""
    plan = timeline.versions[index]
    following = timeline.versions[index + 1] if index + 1 < len(timeline.versions) else None
    ends = [cutoff, plan.live_until, following.published_at if following else None]
    end = min(moment for moment in ends if moment is not None)
    start = plan.published_at or _DAWN
    return start, max(start, end)


def _measure(context: RunContext, persona, timeline: MapTimeline, start, end) -> dict:
    p = context.parameters
    plan: VersionPlan = timeline.reference
    stages, _ = measure_funnel(
        timeline,
        context.workspace.pk,
        context.cutoff,
        end,
        p["stall_days"],
        entered_between=(start, end),
        only_persona=persona.pk,
    )
    interactions, off_map = off_map_volume(context.workspace, timeline, context.cutoff, start, end)
    eligible, retained = _retention(context, persona.pk, timeline, start, end)
    entered = sum(row["entered"] for row in stages)
    advanced = sum(row["advanced"] for row in stages)
    return {
        "number": plan.number,
        "map_name": plan.map_name,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
        "window": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "days": round((end - start).total_seconds() / SECONDS_PER_DAY, 6),
            "live": plan.live_until is None and end == context.cutoff,
        },
        "accounts": {
            "entered": stages[0]["entered"] if stages else 0,
            "active": _active_accounts(context, persona.pk, start, end),
        },
        "funnel": {
            "entered": entered,
            "advanced": advanced,
            "conversion_rate": advanced / entered if entered else None,
            "stalled": sum(row["stalled"] for row in stages),
        },
        "stages": stages,
        "off_map": {
            "interactions": interactions,
            "off_map_interactions": off_map,
            "share": off_map / interactions if interactions else None,
        },
        "retention": {
            "eligible": eligible,
            "retained": retained,
            "rate": retained / eligible if eligible else None,
        },
    }


def _retention(context: RunContext, persona_id: int, timeline, start, end) -> tuple[int, int]:
    """(eligible, retained) of the persona's accounts that entered the map's first stage
    in [start, end): retained when it has an interaction in retention period k after
    entering ([k * days, (k + 1) * days) later); eligible once that period ended by the
    cut-off."""
    p = context.parameters
    days, k = p["retention_days"], p["retention_period"]
    low, high = k * days * SECONDS_PER_DAY, (k + 1) * days * SECONDS_PER_DAY
    spans = spans_fragment(
        timeline,
        context.workspace.pk,
        context.cutoff,
        end,
        end - timedelta(days=p["stall_days"]),
        (start, end),
    )
    since = sql.seconds_between("i.occurred_at", "s.entered_at")
    query = spans + sql.Fragment(
        "SELECT COUNT(*), SUM(CASE WHEN EXISTS ("
        f"SELECT 1 FROM {sql.table(Interaction)} i WHERE i.workspace_id = %s "
        "AND i.account_id = s.account_id AND i.received_at <= %s "
        f"AND {since} >= {int(low)} AND {since} < {int(high)}) THEN 1 ELSE 0 END) "
        f"FROM spans s WHERE s.stage_index = 1 AND s.persona_id = {int(persona_id)} "
        "AND s.entered_at <= %s",
        [
            context.workspace.pk,
            sql.timestamp(context.cutoff),
            sql.timestamp(context.cutoff - timedelta(seconds=high)),
        ],
    )
    eligible, retained = sql.fetch(query.sql, query.params)[0]
    return int(eligible or 0), int(retained or 0)


def _active_accounts(context: RunContext, persona_id: int, start, end) -> int:
    """The persona's accounts with an interaction or an achievement in [start, end)."""

    def within(model):
        return Exists(
            model.objects.filter(
                workspace=context.workspace,
                account=OuterRef("pk"),
                received_at__lte=context.cutoff,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
        )

    return (
        Account.objects.filter(workspace=context.workspace, persona_id=persona_id)
        .filter(within(Interaction) | within(MilestoneAchievement))
        .count()
    )
