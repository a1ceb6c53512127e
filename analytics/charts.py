"""Charts of reports, drawn on the server: each report kind's `chart` builds a Vega-Lite
chart (with altair) from its stored result, and vl-convert renders it to SVG, PNG or PDF.

No browser and no network are involved: vl-convert embeds the Vega and Vega-Lite
JavaScript in its own engine. docs/admin.md says why these two libraries.
"""

from typing import Any

import altair as alt
import vl_convert

from analytics.models import Report
from analytics.registry import spec_for
from journeys.pictures import PictureFormat

# The Vega-Lite version altair writes its specs for ("v6.4.1" -> "6.4").
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
WIDTH = 640
FONT = "sans-serif"


class ChartUnavailable(Exception):
    """The report has no result to chart (not succeeded yet, or failed)."""


def base(values: list[dict[str, Any]]) -> alt.Chart:
    """A chart over inline rows (no data frames needed)."""
    return alt.Chart(alt.Data(values=values))


def themed(chart: alt.TopLevelMixin, title: str) -> dict[str, Any]:
    """The Vega-Lite spec of a chart with the house title and fonts."""
    return (
        chart.properties(title=title)
        .configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelLimit=220, titleFontWeight="normal")
        .to_dict()
    )


def empty(title: str, message: str) -> dict[str, Any]:
    """The chart of a result with nothing to draw: its title and why, never a blank."""
    text = base([{"message": message}]).mark_text(fontSize=13, color="#57606a")
    return themed(text.encode(text="message:N").properties(width=WIDTH, height=60), title)


def render_spec(spec: dict[str, Any], picture_format: PictureFormat) -> bytes:
    if picture_format is PictureFormat.SVG:
        return vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION).encode()
    if picture_format is PictureFormat.PNG:
        return vl_convert.vegalite_to_png(spec, vl_version=VEGA_LITE_VERSION, scale=2)
    return vl_convert.vegalite_to_pdf(spec, vl_version=VEGA_LITE_VERSION)


def report_chart_spec(report: Report) -> dict[str, Any]:
    """The Vega-Lite spec of a succeeded report's chart."""
    if report.status != Report.Status.SUCCEEDED or report.result is None:
        raise ChartUnavailable(
            f"Report {report.pk} is {report.status}: only a succeeded report has a chart."
        )
    return spec_for(report.kind).chart(report.result)


def report_chart(report: Report, picture_format: PictureFormat = PictureFormat.SVG) -> bytes:
    return render_spec(report_chart_spec(report), picture_format)
