"""Feedback chart: NPS and CSAT by period, and NPS by stage at the time of the response."""

from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed


def stage_label(row: dict[str, Any]) -> str:
    if row["stage_id"] is None:
        return "(no stage)"
    return f"{row['journey_map_name']}: {row['stage_position']}. {row['stage_name']}"


def chart(result: dict[str, Any]) -> dict[str, Any]:
    totals = result["totals"]
    title = f"Feedback: {totals['responses']} responses, NPS {_score(totals['nps']['score'])}"
    periods = [
        {"period": row["period_start"][:10], "measure": measure, "value": value}
        for row in result["by_period"]
        for measure, value in (("NPS", row["nps"]["score"]), ("CSAT %", row["csat"]["percent"]))
        if value is not None
    ]
    stages = [
        {"stage": stage_label(row), "nps": row["nps"]["score"], "responses": row["responses"]}
        for row in result["by_stage"]
        if row["nps"]["score"] is not None
    ]
    if not periods and not stages:
        return empty(title, "No NPS or CSAT response in the period.")
    parts = []
    if periods:
        line = (
            base(periods)
            .mark_line(point=True)
            .encode(
                x=alt.X("period:O", title="Period", axis=alt.Axis(labelAngle=-40)),
                y=alt.Y("value:Q", title="Score", scale=alt.Scale(domain=[-100, 100])),
                color=alt.Color("measure:N", title=None),
            )
        )
        labels = line.mark_text(dy=-9, fontSize=9).encode(text=alt.Text("value:Q", format=".0f"))
        parts.append(
            alt.layer(line, labels).properties(
                width=WIDTH, height=200, title="NPS and CSAT by period"
            )
        )
    if stages:
        bars = (
            base(stages)
            .mark_bar(color="#3182bd")
            .encode(
                y=alt.Y("stage:N", title=None, sort=None),
                x=alt.X("nps:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])),
            )
        )
        labels = bars.mark_text(align="left", dx=3, fontSize=9).encode(
            text=alt.Text("nps:Q", format=".0f"), color=alt.value("#333")
        )
        parts.append(
            alt.layer(bars, labels).properties(
                width=WIDTH - 260, title="NPS by stage at the time of the response"
            )
        )
    return themed(alt.vconcat(*parts), title)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
