"""Attribution chart: the conversions each model credits, per dimension, as grouped bars."""

from collections import Counter, defaultdict
from typing import Any

import altair as alt

from analytics.charts import WIDTH, base, empty, themed

MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position-based",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "markov": "Markov",
    "shapley": "Shapley",
}
DIMENSION_LABELS = {
    "touchpoint": "Touchpoint",
    "channel": "Channel",
    "campaign": "Campaign",
    "stage": "Stage",
    "persona": "Persona",
}


TOP = 10  # keys shown per dimension; the rest are summed into one bar group


def chart_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """(model, dimension, label, conversions) rows: per dimension the TOP keys with the
    most credit under any model, and the others summed per model."""
    best: dict[tuple[str, str], float] = defaultdict(float)
    for entry in result["models"]:
        for row in entry["rows"]:
            slot = (row["dimension"], row["label"])
            best[slot] = max(best[slot], float(row["conversions"]))
    ranked = sorted(best, key=lambda slot: (slot[0], -best[slot], slot[1]))
    shown = {
        slot
        for dimension in {d for d, _ in best}
        for slot in [s for s in ranked if s[0] == dimension][:TOP]
    }
    others = Counter(dimension for dimension, _ in best) - Counter(d for d, _ in shown)
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    for entry in result["models"]:
        for row in entry["rows"]:
            dimension = row["dimension"]
            label = (
                row["label"]
                if (dimension, row["label"]) in shown
                else f"({others[dimension]} others)"
            )
            sums[(entry["model"], dimension, label)] += float(row["conversions"])
    return [
        {
            "model": MODEL_LABELS.get(model, model),
            "dimension": DIMENSION_LABELS.get(dimension, dimension),
            "label": label,
            "conversions": round(value, 2),
        }
        for (model, dimension, label), value in sums.items()
    ]


def chart(result: dict[str, Any]) -> dict[str, Any]:
    rows = chart_rows(result)
    totals = result["totals"]
    title = f"Attribution: {totals['conversions']} conversions, credit per model"
    if not rows:
        return empty(title, "No conversion was credited to any touch.")
    bars = (
        base(rows)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort="-x"),
            yOffset=alt.YOffset("model:N"),
            x=alt.X("conversions:Q", title="Conversions credited"),
            color=alt.Color("model:N", title="Model"),
            tooltip=["dimension:N", "label:N", "model:N", "conversions:Q"],
        )
        .properties(width=WIDTH - 200, height={"step": 7, "for": "offset"})
    )
    text = bars.mark_text(align="left", dx=3, fontSize=9).encode(
        text=alt.Text("conversions:Q", format=".2f"), color=alt.value("#333")
    )
    layered = alt.layer(bars, text).facet(
        row=alt.Row("dimension:N", title=None, header=alt.Header(labelFontWeight="bold"))
    )
    return themed(layered.resolve_scale(y="independent"), title)
