"""Paths chart: a Sankey diagram of the transitions between states before conversion.

Vega-Lite has no Sankey mark, so the layout is computed here: states that lead
somewhere stand on the left, states that are led to on the right (paths may loop, so a
state can stand on both sides), each node as tall as the journeys through it, and each
transition a band as thick as its count, drawn as an area between two smooth curves.
"""

from collections import defaultdict
from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed

HEIGHT = 360
GAP = 10  # between two nodes of one side
NODE = 4  # node width, in x units of 0..100
STEPS = 10  # points along each band (monotone interpolation smooths between)
TOP = 40  # transitions drawn: the most frequent


def _smooth(t: float) -> float:
    return t * t * (3 - 2 * t)


def _stack(totals: dict[str, int], scale: float) -> dict[str, float]:
    """The top of each node of one side, largest first."""
    tops, y = {}, 0.0
    for key in sorted(totals, key=lambda k: (-totals[k], k)):
        tops[key] = y
        y += totals[key] * scale + GAP
    return tops


def layout(result: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """(nodes, band points) of the Sankey, in x 0..100 and y 0..HEIGHT (top down)."""
    labels = {node["key"]: node["label"] for node in result["nodes"]}
    transitions = sorted(
        (t for t in result["transitions"] if t["count"] > 0),
        key=lambda t: (-t["count"], t["from"], t["to"]),
    )[:TOP]
    outgoing, incoming = defaultdict(int), defaultdict(int)
    for t in transitions:
        outgoing[t["from"]] += t["count"]
        incoming[t["to"]] += t["count"]
    busiest = max(len(outgoing), len(incoming), 1)
    flow = max(sum(outgoing.values()), 1)
    scale = (HEIGHT - GAP * (busiest - 1)) / flow
    left, right = _stack(outgoing, scale), _stack(incoming, scale)
    nodes = [
        {
            "x": x,
            "x2": x + NODE,
            "y": tops[key],
            "y2": tops[key] + totals[key] * scale,
            "label": f"{labels.get(key, key)} ({totals[key]})",
            "side": side,
            "tx": x - 1 if side == "from" else x + NODE + 1,
        }
        for side, x, tops, totals in (
            ("from", 0, left, outgoing),
            ("to", 100 - NODE, right, incoming),
        )
        for key in tops
    ]
    out_used, in_used = defaultdict(float), defaultdict(float)
    bands = []
    ordered = sorted(transitions, key=lambda t: (left[t["from"]], right[t["to"]]))
    for index, t in enumerate(ordered):
        thickness = t["count"] * scale
        start = left[t["from"]] + out_used[t["from"]]
        end = right[t["to"]] + in_used[t["to"]]
        out_used[t["from"]] += thickness
        in_used[t["to"]] += thickness
        name = f"{labels.get(t['from'], t['from'])} → {labels.get(t['to'], t['to'])}"
        for step in range(STEPS + 1):
            s = step / STEPS
            top = start + (end - start) * _smooth(s)
            bands.append(
                {
                    "band": index,
                    "transition": name,
                    "count": t["count"],
                    "x": NODE + (100 - 2 * NODE) * s,
                    "y": top,
                    "y2": top + thickness,
                }
            )
    return nodes, bands


def chart(result: dict[str, Any]) -> dict[str, Any]:
    totals = result["totals"]
    shown = min(TOP, sum(1 for t in result["transitions"] if t["count"] > 0))
    title = (
        f"Paths before {totals['conversions']} conversions: the {shown} most frequent transitions"
    )
    if not shown:
        return empty(title, "No converting journey had a touch.")
    nodes, bands = layout(result)
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, 100]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[0, HEIGHT], reverse=True))
    links = (
        base(bands)
        .mark_area(opacity=0.45, interpolate="monotone")
        .encode(
            x=x,
            y=y,
            y2="y2:Q",
            detail="band:N",
            color=alt.Color("transition:N", legend=None, scale=alt.Scale(scheme="tableau20")),
            tooltip=["transition:N", "count:Q"],
        )
    )
    boxes = base(nodes).mark_rect(color="#444").encode(x=x, x2="x2:Q", y=y, y2="y2:Q")
    words = (
        base(nodes)
        .encode(
            x=alt.X("tx:Q", axis=None, scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("middle:Q", axis=None, scale=alt.Scale(domain=[0, HEIGHT], reverse=True)),
            text="label:N",
        )
        .transform_calculate(middle="(datum.y + datum.y2) / 2")
    )
    left = words.transform_filter("datum.side == 'from'").mark_text(align="right", fontSize=10)
    right = words.transform_filter("datum.side == 'to'").mark_text(align="left", fontSize=10)
    drawing = alt.layer(links, boxes, left, right).properties(width=WIDTH - 240, height=HEIGHT)
    return themed(drawing, title)
