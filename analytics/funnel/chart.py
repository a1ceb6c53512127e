"""Funnel chart: accounts entering and advancing each stage, with the conversion rate."""

from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed


def chart(result: dict[str, Any]) -> dict[str, Any]:
    journey_map = result["journey_map"]
    title = f"Stage funnel of {journey_map['name']}: {result['totals']['accounts']} accounts"
    if not result["stages"]:
        return empty(title, "The map has no stages.")
    bars, labels = [], []
    for stage in result["stages"]:
        name = f"{stage['position']}. {stage['name']}"
        for measure in ("entered", "advanced"):
            bars.append(
                {"stage": name, "measure": measure.capitalize(), "accounts": stage[measure]}
            )
        rate = stage["conversion_rate"]
        labels.append(
            {
                "stage": name,
                "entered": stage["entered"],
                "label": "no entries" if rate is None else f"{rate:.0%} advanced",
            }
        )
    stage_axis = alt.X("stage:N", title="Stage", sort=None, axis=alt.Axis(labelAngle=0))
    columns = (
        base(bars)
        .mark_bar()
        .encode(
            x=stage_axis,
            xOffset=alt.XOffset("measure:N", sort=["Entered", "Advanced"]),
            y=alt.Y("accounts:Q", title="Accounts"),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=["Entered", "Advanced"],
                scale=alt.Scale(range=["#9ecae1", "#3182bd"]),
            ),
        )
    )
    counts = columns.mark_text(dy=-5, fontSize=9).encode(text="accounts:Q", color=alt.value("#333"))
    rates = (
        base(labels)
        .mark_text(dy=-18, fontWeight="bold", fontSize=10)
        .encode(x=stage_axis, y="entered:Q", text="label:N")
    )
    return themed(alt.layer(columns, counts, rates).properties(width=WIDTH, height=280), title)
