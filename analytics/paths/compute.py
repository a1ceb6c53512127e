"""The paths engine: a report's parameters and cut-off in, the result JSON out (the
format is in analytics/paths/report.py; the method in docs/analytics/paths.md).

Journeys are the attribution engine's (analytics/attribution/journeys.py): converting
journeys end at a conversion, non-converting ones belong to accounts without a
conversion in the range. Their touches are turned into states (touchpoint key or
channel), consecutive repeats optionally collapsed, cut to their last `max_length`
states, filtered on their first and last state, and joined into path strings with the
attribution engine's backend-specific helper (analytics/attribution/sql.py). Two queries
return only aggregated rows: the distinct paths with their counts, and the transition
counts. Python sorts them and keeps the top N.

The SQL is composed from fixed text and integers; states and times travel as query
parameters. Hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

from typing import Any

from analytics.attribution import journeys, sql
from analytics.attribution.scope import Scope, scope_from
from analytics.attribution.sql import Fragment, with_ctes
from analytics.registry import RunContext
from journeys.models import Channel, Touchpoint

START = "(start)"
CONVERSION = "(conversion)"


def compute_paths(context: RunContext) -> dict[str, Any]:
    p = context.parameters
    scope = scope_from(
        context.workspace,
        {
            "conversion_milestones": p["conversion_milestones"],
            "conversions_from": p.get("conversions_from"),
            "conversions_to": p.get("conversions_to"),
            "markov_state": p["state"],  # the attribution journeys' state column
        },
        context.cutoff,
    )
    notes = list(scope.notes)
    endpoints = {}
    for name, what in (("start_touchpoint", "start"), ("end_touchpoint", "end")):
        key = p.get(name)
        if key is None:
            continue
        endpoints[what] = _state_of(context.workspace, key, p["state"])
        if endpoints[what] is None:
            notes.append(f"The {what} touchpoint {key!r} no longer exists: no path matches.")
    totals = journeys.totals(scope)
    context.progress(20)
    if any(state is None for state in endpoints.values()):
        path_rows, edge_rows = [], []
    else:
        steps = _steps(
            scope,
            collapse=p["collapse_repeats"],
            max_length=int(p["max_length"]),
            start=endpoints.get("start"),
            end=endpoints.get("end"),
        )
        path_rows = _path_rows(steps)
        context.progress(60)
        edge_rows = _edge_rows(steps)
    context.progress(90)
    return _result(context.workspace, p, totals, path_rows, edge_rows, notes)


def _state_of(workspace, key: str, state: str) -> str | None:
    """A touchpoint key as a state: the key itself, or the touchpoint's channel."""
    touchpoint = Touchpoint.objects.filter(workspace=workspace, key=key).first()
    if touchpoint is None:
        return None
    return touchpoint.key if state == "touchpoint" else touchpoint.channel


def _steps(
    scope: Scope, collapse: bool, max_length: int, start: str | None, end: str | None
) -> list[tuple[str, Fragment]]:
    """CTEs ending in `steps` (journey, kind, state, occurred_at, touch_id, value,
    from_end): the states of every journey that passes the filters, at most the last
    `max_length` of them, from_end = 1 on its last state. `journey` is unique over both
    kinds (converting: 2 * conversion id + 1; non-converting: 2 * account id)."""
    state_ctes = journeys._collapsed(scope)
    ctes = [*journeys._journey_sources(scope, True, True)]
    if collapse:
        ctes += state_ctes
        states = "collapsed"
    else:
        ctes += state_ctes[:1]  # `states`: one row per touch
        states = "states"
    limit = int(max_length)
    ctes.append(
        (
            "numbered",
            Fragment(
                "SELECT kind, journey * 2 + kind AS jid, state, occurred_at, touch_id, value, "
                "ROW_NUMBER() OVER (PARTITION BY kind, journey "
                "ORDER BY occurred_at DESC, touch_id DESC) AS from_end, "
                f"COUNT(*) OVER (PARTITION BY kind, journey) AS n FROM {states}"
            ),
        )
    )
    ctes.append(
        (
            "kept",
            Fragment(
                "SELECT jid AS journey, kind, state, occurred_at, touch_id, value, from_end, "
                f"CASE WHEN n < {limit} THEN n ELSE {limit} END AS first_at "
                f"FROM numbered WHERE from_end <= {limit}"
            ),
        )
    )
    conditions, params = [], []
    if start is not None:
        conditions.append("SUM(CASE WHEN from_end = first_at AND state = %s THEN 1 ELSE 0 END) > 0")
        params.append(start)
    if end is not None:
        conditions.append("SUM(CASE WHEN from_end = 1 AND state = %s THEN 1 ELSE 0 END) > 0")
        params.append(end)
    if not conditions:
        ctes.append(("steps", Fragment("SELECT * FROM kept")))
        return ctes
    ctes.append(
        (
            "chosen",
            Fragment(
                f"SELECT journey FROM kept GROUP BY journey HAVING {' AND '.join(conditions)}",
                params,
            ),
        )
    )
    ctes.append(
        ("steps", Fragment("SELECT * FROM kept WHERE journey IN (SELECT journey FROM chosen)"))
    )
    return ctes


def _path_rows(steps: list[tuple[str, Fragment]]) -> list[tuple[tuple[str, ...], int, int, float]]:
    """(states, converting journeys, non-converting journeys, value) per distinct path."""
    query = with_ctes(
        [*steps, ("paths", Fragment(sql.path_strings("steps", extra=("kind", "value"))))],
        Fragment(
            "SELECT path, SUM(kind), COUNT(*) - SUM(kind), SUM(value) FROM paths GROUP BY path"
        ),
    )
    return [
        (tuple(path.split(sql.PATH_SEPARATOR)), int(converting), int(other), float(value or 0))
        for path, converting, other, value in sql.fetch(query.sql, query.params)
    ]


def _edge_rows(steps: list[tuple[str, Fragment]]) -> list[tuple[str | None, str | None, int]]:
    """(from, to, count) over the converting journeys' paths; None stands for the start
    (from) and the conversion (to)."""
    edges = Fragment(
        "SELECT LAG(state) OVER (PARTITION BY journey ORDER BY occurred_at, touch_id) AS src, "
        "state AS dst FROM steps WHERE kind = 1 "
        "UNION ALL SELECT state AS src, NULL AS dst FROM steps WHERE kind = 1 AND from_end = 1"
    )
    query = with_ctes(
        [*steps, ("edges", edges)],
        Fragment("SELECT src, dst, COUNT(*) FROM edges GROUP BY src, dst"),
    )
    return [(src, dst, int(count)) for src, dst, count in sql.fetch(query.sql, query.params)]


def _labels(workspace, state: str, keys: set[str]) -> dict[str, str]:
    if state == "channel":
        return {key: str(Channel(key).label) if key in Channel.values else key for key in keys}
    names = dict(
        Touchpoint.objects.filter(workspace=workspace, key__in=keys).values_list("key", "name")
    )
    return {key: names.get(key, key) for key in keys}


def _result(workspace, p, totals, path_rows, edge_rows, notes) -> dict[str, Any]:
    converting = [row for row in path_rows if row[1] > 0]
    ranked = sorted(converting, key=lambda row: (-row[1], -row[1] / (row[1] + row[2]), row[0]))[
        : int(p["top"])
    ]
    transitions = sorted(
        (
            {
                "from": START if src is None else src,
                "to": CONVERSION if dst is None else dst,
                "count": count,
            }
            for src, dst, count in edge_rows
        ),
        key=lambda row: (-row["count"], row["from"], row["to"]),
    )
    states = {state for row in ranked for state in row[0]}
    states |= {row["from"] for row in transitions} | {row["to"] for row in transitions}
    states -= {START, CONVERSION}
    labels = _labels(workspace, p["state"], states)
    if totals.untouched_conversions:
        notes.append(
            f"{totals.untouched_conversions} conversion(s) had no touch in their journey: "
            "they have no path."
        )
    nodes = [{"key": START, "label": "Start"}]
    nodes += [{"key": key, "label": labels[key]} for key in sorted(states)]
    nodes.append({"key": CONVERSION, "label": "Conversion"})
    return {
        "totals": {
            "conversions": totals.conversions,
            "untouched_conversions": totals.untouched_conversions,
            "converting_journeys": sum(row[1] for row in path_rows),
            "non_converting_journeys": sum(row[2] for row in path_rows),
            "distinct_paths": len(converting),
        },
        "paths": [
            {
                "path": list(path),
                "labels": [labels[state] for state in path],
                "length": len(path),
                "conversions": conversions,
                "non_converting": other,
                "journeys": conversions + other,
                "conversion_rate": conversions / (conversions + other),
                "value": value,
            }
            for path, conversions, other, value in ranked
        ],
        "transitions": transitions,
        "nodes": nodes if transitions else [],
        "notes": notes,
    }
