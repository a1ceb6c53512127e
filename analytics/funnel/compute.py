"""The stage funnel, computed in the database.

One common-table-expression chain (portable SQL: CTEs, MIN/LAG/ROW_NUMBER windows,
CASE, COALESCE) puts every account that entered the map on a grid of the map's
stages with, per stage, when it entered and when it advanced. Two queries read it:
counts per (persona, stage), and each account's time in each stage it advanced
through (one number per account per stage) for the percentiles, which Python takes
with linear interpolation (what PostgreSQL's PERCENTILE_CONT does; SQLite has no
percentile function). No single event is looped over in Python.
"""

# ruff: noqa: S608 -- composes fixed SQL text; values travel as parameters.
from collections import defaultdict
from datetime import datetime, timedelta
from math import floor

from django.utils.dateparse import parse_datetime

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics import stage_at_time
from analytics.attribution import sql
from analytics.funnel.parameters import published_map
from analytics.registry import RunContext
from journeys.models import Milestone, Persona
from journeys.versions import MapTimeline

SECONDS_PER_DAY = 86400.0
COUNTS = ("entered", "advanced", "skipped", "stalled", "churned")


def percentile(values: list[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values`, interpolated linearly between the closest
    ranks (PERCENTILE_CONT): position fraction * (n - 1) in the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def spans_fragment(
    timeline: MapTimeline,
    workspace_id: int,
    cutoff,
    as_of,
    quiet_since,
    entered_between: tuple[datetime, datetime] | None = None,
) -> sql.Fragment:
    """CTEs ending in `spans`: one row per (entered account, stage) with persona_id,
    position, stage_index (1-based), entered_at, advanced_at, last_at (last activity),
    conversions, value, skipped (0/1), stalled (0/1) and churned (0/1).

    The stages are those of the timeline's reference version; an achievement marks the
    exit of the stage it exits under the map version in force when it happened
    (analytics/stage_at_time.py). `entered_between` keeps the spans entered in
    [from, to)."""
    achievement = sql.table(MilestoneAchievement)
    interaction = sql.table(Interaction)
    events = "workspace_id = %s AND received_at <= %s AND occurred_at <= %s"
    event_params = [workspace_id, sql.timestamp(cutoff), sql.timestamp(as_of)]
    window = "PARTITION BY account_id ORDER BY position"
    positions = " UNION ALL ".join(
        f"SELECT {int(stage.position)} AS position" for stage in timeline.reference.stages
    )
    exit_position, exit_params = stage_at_time.exit_position_sql(
        timeline, "a.occurred_at", "a.milestone_id"
    )
    exit_ids = stage_at_time.exit_milestone_ids(timeline)
    exit_filter = (
        f"a.milestone_id IN ({', '.join(str(int(m)) for m in exit_ids)})" if exit_ids else "1 = 0"
    )
    entered_filter, entered_params = "", []
    if entered_between is not None:
        entered_filter = " WHERE entered_at >= %s AND entered_at < %s"
        entered_params = [sql.timestamp(moment) for moment in entered_between]
    return sql.Fragment(
        f"WITH map_stages AS ({positions}), "
        # The first time each account reached an exit milestone of each stage.
        "exits AS ("
        "SELECT account_id, position, MIN(at) AS at FROM ("
        f"SELECT a.account_id, {exit_position} AS position, a.occurred_at AS at "
        f"FROM {achievement} a WHERE {exit_filter} AND a.workspace_id = %s "
        "AND a.received_at <= %s AND a.occurred_at <= %s) x "
        "WHERE position IS NOT NULL GROUP BY account_id, position), "
        "touches AS ("
        "SELECT account_id, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at "
        f"FROM {interaction} WHERE {events} GROUP BY account_id), "
        "reached AS ("
        "SELECT a.account_id, MAX(a.occurred_at) AS last_at, "
        "SUM(CASE WHEN m.is_conversion THEN 1 ELSE 0 END) AS conversions, "
        "SUM(CASE WHEN m.is_conversion THEN "
        f"{sql.real('COALESCE(a.value, m.value, 0)')} ELSE 0 END) AS value "
        f"FROM {achievement} a JOIN {sql.table(Milestone)} m ON m.id = a.milestone_id "
        "WHERE a.workspace_id = %s AND a.received_at <= %s AND a.occurred_at <= %s "
        "GROUP BY a.account_id), "
        "accts AS ("
        "SELECT acc.id AS account_id, acc.persona_id, t.first_at, "
        "CASE WHEN t.last_at IS NULL THEN r.last_at "
        "WHEN r.last_at IS NULL OR t.last_at >= r.last_at THEN t.last_at "
        "ELSE r.last_at END AS last_at, "
        "COALESCE(r.conversions, 0) AS conversions, COALESCE(r.value, 0) AS value "
        f"FROM {sql.table(Account)} acc "
        "LEFT JOIN touches t ON t.account_id = acc.id "
        "LEFT JOIN reached r ON r.account_id = acc.id "
        "WHERE acc.workspace_id = %s "
        "AND (t.account_id IS NOT NULL OR r.account_id IS NOT NULL)), "
        # Advanced out of a stage: the first exit milestone of it or of any later stage.
        "grid AS ("
        "SELECT a.account_id, a.persona_id, a.first_at, a.last_at, a.conversions, "
        "a.value, s.position, MIN(e.at) OVER (PARTITION BY a.account_id "
        "ORDER BY s.position DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
        "AS advanced_at FROM accts a CROSS JOIN map_stages s "
        "LEFT JOIN exits e ON e.account_id = a.account_id AND e.position = s.position), "
        # Entered stage 1 at the first interaction (or the first exit milestone, if
        # earlier); stage i > 1 when it advanced out of stage i - 1.
        "entered AS ("
        "SELECT g.*, "
        f"ROW_NUMBER() OVER ({window}) AS stage_index, "
        f"CASE WHEN ROW_NUMBER() OVER ({window}) = 1 THEN "
        "(CASE WHEN first_at IS NULL THEN advanced_at "
        "WHEN advanced_at IS NULL OR first_at <= advanced_at THEN first_at "
        "ELSE advanced_at END) "
        f"ELSE LAG(advanced_at) OVER ({window}) END AS entered_at "
        "FROM grid g), "
        "placed AS ("
        "SELECT e.*, "
        "MIN(CASE WHEN entered_at IS NOT NULL AND advanced_at IS NULL THEN position END) "
        "OVER (PARTITION BY account_id) AS open_position, "
        "MAX(position) OVER (PARTITION BY account_id) AS last_position "
        "FROM entered e WHERE entered_at IS NOT NULL), "
        "all_spans AS ("
        "SELECT account_id, persona_id, position, stage_index, entered_at, advanced_at, "
        "last_at, conversions, value, "
        "CASE WHEN stage_index > 1 AND advanced_at = entered_at THEN 1 ELSE 0 END "
        "AS skipped, "
        "CASE WHEN advanced_at IS NULL AND last_at <= %s THEN 1 ELSE 0 END AS stalled, "
        "CASE WHEN position = COALESCE(open_position, last_position) "
        "AND conversions > 0 AND last_at <= %s THEN 1 ELSE 0 END AS churned "
        "FROM placed), "
        f"spans AS (SELECT * FROM all_spans{entered_filter}) ",
        [
            *exit_params,
            workspace_id,
            sql.timestamp(cutoff),
            sql.timestamp(as_of),
            *event_params,
            *event_params,
            workspace_id,
            sql.timestamp(quiet_since),
            sql.timestamp(quiet_since),
            *entered_params,
        ],
    )


def _as_of(parameters: dict, cutoff: datetime) -> datetime:
    given = parameters.get("as_of")
    return parse_datetime(given) if given else cutoff


def compute_funnel(context: RunContext) -> dict:
    parameters = context.parameters
    workspace = context.workspace
    persona = Persona.objects.filter(workspace=workspace, key=parameters["map_persona"]).first()
    pin = parameters.get("map_version")
    timeline = None
    if persona is not None and (pin is not None or published_map(workspace, persona.key)):
        timeline = stage_at_time.timelines(workspace, [persona.pk], pin=pin).get(persona.pk)
    if timeline is None or timeline.reference is None:
        what = "a published journey map" if pin is None else f"map version {pin}"
        raise ValueError(f"Persona {parameters['map_persona']!r} no longer has {what}.")
    as_of = _as_of(parameters, context.cutoff)
    stall_days = int(parameters["stall_days"])
    overall, personas = measure_funnel(
        timeline,
        workspace.pk,
        context.cutoff,
        as_of,
        stall_days,
        by_persona=parameters["by_persona"],
        progress=context.progress,
    )
    first = overall[0] if overall else None
    reference = timeline.reference
    return {
        "journey_map": {
            "id": str(reference.map_id),
            "name": reference.map_name,
            "persona": parameters["map_persona"],
            "version": reference.number,
        },
        "as_of": as_of.isoformat(),
        "stall_days": stall_days,
        "totals": {
            "accounts": first["entered"] if first else 0,
            "churned": sum(row["churned"] for row in overall),
            "value_lost": round(sum(row["value_lost"] for row in overall), 2),
        },
        "stages": overall,
        "personas": personas,
    }


def measure_funnel(
    timeline: MapTimeline,
    workspace_id: int,
    cutoff: datetime,
    as_of: datetime,
    stall_days: int,
    *,
    by_persona: bool = False,
    entered_between: tuple[datetime, datetime] | None = None,
    only_persona: int | None = None,
    progress=lambda percent: None,
) -> tuple[list[dict], list[dict]]:
    """The funnel rows of the timeline's reference version (overall, or of the accounts
    of `only_persona`; and per persona when asked)."""
    quiet_since = as_of - timedelta(days=stall_days)
    stages = timeline.reference.stages
    spans = spans_fragment(timeline, workspace_id, cutoff, as_of, quiet_since, entered_between)

    counts = sql.fetch(
        (
            spans + "SELECT persona_id, position, COUNT(*), COUNT(advanced_at), SUM(skipped), "
            "SUM(stalled), SUM(churned), SUM(CASE WHEN churned = 1 THEN value ELSE 0 END) "
            "FROM spans GROUP BY persona_id, position"
        ).sql,
        spans.params,
    )
    progress(50)
    durations = sql.fetch(
        (
            spans + "SELECT persona_id, position, "
            f"{sql.seconds_between('advanced_at', 'entered_at')} FROM spans "
            "WHERE advanced_at IS NOT NULL AND skipped = 0"
        ).sql,
        spans.params,
    )
    progress(90)

    # (persona_id, position) -> counts and value; (persona_id, position) -> seconds.
    by_group: dict[tuple, dict] = {}
    for persona_id, position, *numbers in counts:
        *whole, value_lost = numbers
        row = dict(zip(COUNTS, (int(n or 0) for n in whole), strict=True))
        row["value_lost"] = float(value_lost or 0)
        by_group[(persona_id, position)] = row
    seconds: dict[tuple, list[float]] = defaultdict(list)
    for persona_id, position, duration in durations:
        seconds[(persona_id, position)].append(float(duration))

    def stage_rows(persona_ids) -> list[dict]:
        rows = []
        for stage in stages:
            keys = [(pid, stage.position) for pid in persona_ids]
            total = dict.fromkeys(COUNTS, 0) | {"value_lost": 0.0}
            days: list[float] = []
            for key in keys:
                for name, number in by_group.get(key, {}).items():
                    total[name] += number
                days += [s / SECONDS_PER_DAY for s in seconds.get(key, [])]
            median, p90 = percentile(days, 0.5), percentile(days, 0.9)
            rows.append(
                {
                    "stage_id": str(stage.id),
                    "position": stage.position,
                    "name": stage.name,
                    "entered": total["entered"],
                    "advanced": total["advanced"],
                    "in_stage": total["entered"] - total["advanced"],
                    "conversion_rate": (
                        total["advanced"] / total["entered"] if total["entered"] else None
                    ),
                    "skipped": total["skipped"],
                    "median_days": None if median is None else round(median, 6),
                    "p90_days": None if p90 is None else round(p90, 6),
                    "timed": len(days),
                    "stalled": total["stalled"],
                    "churned": total["churned"],
                    "value_lost": round(total["value_lost"], 2),
                }
            )
        return rows

    all_ids = {pid for pid, _ in by_group}
    overall = stage_rows(all_ids if only_persona is None else [only_persona])
    personas = []
    if by_persona:
        names = {p.pk: (p.key, p.name) for p in Persona.objects.filter(pk__in=all_ids - {None})}
        for pid in sorted(all_ids, key=lambda pid: names.get(pid, ("",))[0]):
            key, label = names.get(pid, ("", "(no persona)"))
            personas.append({"persona": key, "label": label, "stages": stage_rows([pid])})
    return overall, personas
