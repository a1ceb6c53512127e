"""Map versions chart: each version of the persona's map over its live window, side by
side: conversion through the funnel, off-map share and retention."""

from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed

MEASURES = (
    ("Conversion", lambda v: v["funnel"]["conversion_rate"]),
    ("Off-map share", lambda v: v["off_map"]["share"]),
    ("Retained", lambda v: v["retention"]["rate"]),
)


def version_label(version: dict[str, Any]) -> str:
    return f"v{version['number']}: {version['map_name']}"


def chart(result: dict[str, Any]) -> dict[str, Any]:
    rows = [
        {"version": version_label(version), "measure": name, "rate": rate(version)}
        for version in result["versions"]
        for name, rate in MEASURES
        if rate(version) is not None
    ]
    order = [version_label(version) for version in result["versions"]]
    title = f"Map versions of persona {result['persona']}"
    if not rows:
        return empty(title, "No version has measures yet: no account was active in any window.")
    bars = (
        base(rows)
        .mark_bar()
        .encode(
            # Every version stands on the axis, measured or not (rates are null before
            # anything happened in a version's window).
            x=alt.X(
                "version:N",
                title="Version",
                sort=order,
                scale=alt.Scale(domain=order),
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("measure:N", sort=[name for name, _ in MEASURES]),
            y=alt.Y(
                "rate:Q", title="Rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color("measure:N", title=None, sort=[name for name, _ in MEASURES]),
        )
    )
    labels = bars.mark_text(dy=-5, fontSize=9).encode(
        text=alt.Text("rate:Q", format=".0%"), color=alt.value("#333")
    )
    return themed(alt.layer(bars, labels).properties(width=WIDTH, height=260), title)
