"""Map fit chart: the designed map against what accounts did, stage by stage: the
designed emotion curve beside the measured stall rate, and the off-map touchpoints."""

from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed

TOP = 12


def chart(result: dict[str, Any]) -> dict[str, Any]:
    stages = [
        {
            "stage": f"{row['stage_position']}. {row['stage_name']}",
            "emotion": row["emotion_score"],
            "stall_rate": row["stall_rate"],
            "entered": row["entered"],
        }
        for row in result["stages"]
    ]
    order = [row["stage"] for row in stages]
    journey_map = result["journey_map"]
    title = f"Map fit of {journey_map['name']}"
    if not stages:
        return empty(title, "The map has no stages.")
    stage_axis = alt.X("stage:N", title="Stage", sort=order, axis=alt.Axis(labelAngle=0))
    stalls = (
        base(stages)
        .mark_bar(color="#fdae6b")
        .encode(
            x=stage_axis,
            y=alt.Y(
                "stall_rate:Q",
                title="Observed stall rate (bars)",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
        )
    )
    stall_labels = stalls.mark_text(dy=-6, fontSize=9, color="#a63603").encode(
        text=alt.Text("stall_rate:Q", format=".0%")
    )
    emotion = (
        base([row for row in stages if row["emotion"] is not None])
        .mark_line(point=True, color="#3182bd")
        .encode(
            x=stage_axis,
            y=alt.Y(
                "emotion:Q",
                title="Designed emotion (line)",
                scale=alt.Scale(domain=[-5, 5]),
            ),
        )
    )
    designed = (
        alt.layer(alt.layer(stalls, stall_labels), emotion)
        .resolve_scale(y="independent")
        .properties(width=WIDTH, height=220, title="Designed emotion against observed stalls")
    )
    worst = sorted(result["off_map"], key=lambda row: (-row["interactions"], row["stage_position"]))
    off_map = [
        {
            "finding": f"{row['touchpoint_name']} in {row['stage_position']}. {row['stage_name']}",
            "stage": f"{row['stage_position']}. {row['stage_name']}",
            "interactions": row["interactions"],
        }
        for row in worst[:TOP]
    ]
    bars = (
        base(off_map)
        .mark_bar()
        .encode(
            y=alt.Y("finding:N", title=None, sort="-x"),
            x=alt.X("interactions:Q", title="Interactions off the map"),
            color=alt.Color("stage:N", title="Stage", sort=order),
        )
    )
    used = alt.layer(
        bars, bars.mark_text(align="left", dx=3, fontSize=9).encode(text="interactions:Q")
    ).properties(
        width=WIDTH - 260,
        title=f"Touchpoints used where the map does not place them (top {TOP})",
    )
    return themed(alt.vconcat(designed, used) if off_map else designed, title)
