"""Retention chart: the cohort triangle as a heatmap of rates, and the average curve."""

from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed


def _cell(group: str, start: str, size: int, k: int, rate: float | None) -> dict[str, Any]:
    cohort = start[:10] + (f" ({group})" if group else "")
    return {"cohort": f"{cohort}: {size}", "k": k, "rate": rate}


def chart(result: dict[str, Any]) -> dict[str, Any]:
    period = result["period"]
    cells = [
        _cell(cohort["group"], cohort["start"], cohort["size"], k, rate)
        for cohort in result["cohorts"]
        for k, rate in enumerate(cohort["rates"])
    ]
    title = f"Retention by {period} cohort"
    if not any(cell["rate"] is not None for cell in cells):
        return empty(title, "No cohort has any account yet.")
    average = [
        {"k": k, "rate": rate}
        for k, rate in enumerate(result["average"]["rates"])
        if rate is not None
    ]
    order = [
        _cell(c["group"], c["start"], c["size"], 0, None)["cohort"]
        for c in sorted(result["cohorts"], key=lambda c: (c["group"], c["start"]))
    ]
    x = alt.X("k:O", title=f"{period.capitalize()}s since start")
    heatmap = base(cells).encode(x=x, y=alt.Y("cohort:N", title="Cohort: accounts", sort=order))
    rects = heatmap.mark_rect().encode(
        color=alt.Color("rate:Q", title="Retained", scale=alt.Scale(scheme="blues", domain=[0, 1]))
    )
    labels = (
        heatmap.transform_filter("datum.rate != null")
        .mark_text(fontSize=9)
        .encode(
            text=alt.Text("rate:Q", format=".0%"),
            color=alt.condition("datum.rate > 0.5", alt.value("white"), alt.value("#222")),
        )
    )
    curve = (
        base(average)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("rate:Q", title="Average retained", axis=alt.Axis(format="%")),
        )
        .properties(width=WIDTH - 200, height=160)
    )
    curve_labels = curve.mark_text(dy=-9, fontSize=9).encode(text=alt.Text("rate:Q", format=".1%"))
    triangle = alt.layer(rects, labels).properties(width=WIDTH - 200)
    return themed(alt.vconcat(triangle, alt.layer(curve, curve_labels)), title)
