"""Pictures of journey maps: one drawing, as an HTML canvas in the admin and as SVG,
PNG or PDF for export.

`map_drawing` lays a map out once (stages as columns, lanes as rows, the emotion curve,
optionally the measured overlay); the admin's canvas template and `map_svg` both draw
that same layout, so the exported picture shows what the canvas shows.
"""

import textwrap
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape

import vl_convert
from django.conf import settings
from django.db.models import Prefetch
from django.utils.module_loading import import_string

from journeys.models import JourneyMap, Stage, StageMilestone, StageTouchpoint


class PictureFormat(StrEnum):
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        return {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}[self.value]


def svg_to(svg: str, picture_format: PictureFormat) -> bytes:
    """The SVG as bytes of the format (PNG at twice the size, for sharp screens)."""
    if picture_format is PictureFormat.SVG:
        return svg.encode()
    if picture_format is PictureFormat.PNG:
        return vl_convert.svg_to_png(svg, scale=2)
    return vl_convert.svg_to_pdf(svg)


# The layout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageMeasures:
    """What accounts really did in a stage, from the latest reports (the overlay)."""

    entered: int | None = None
    advanced: int | None = None
    conversion_rate: float | None = None
    median_days: float | None = None
    stall_rate: float | None = None
    off_map: tuple[tuple[str, int], ...] = ()  # (touchpoint name, interactions)


@dataclass(frozen=True)
class Overlay:
    """Measures per stage id, where they come from, and what is missing."""

    stages: dict[int, StageMeasures] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # e.g. "Stage funnel report 12 of 3 Dec 2026"
    missing: tuple[str, ...] = ()  # how to request the reports that are absent


@dataclass(frozen=True)
class Item:
    """One entry of a cell: a text, with an optional note and a channel."""

    text: str
    note: str = ""
    channel: str = ""
    id: int | None = None  # the placement's id, for reordering touchpoints


@dataclass(frozen=True)
class Lane:
    key: str
    title: str
    cells: tuple[tuple[Item, ...], ...]  # one per stage, in stage order


@dataclass(frozen=True)
class Column:
    id: int
    position: int
    name: str
    emotion_score: int | None
    emotion_label: str
    measures: StageMeasures | None


@dataclass(frozen=True)
class Drawing:
    journey_map: JourneyMap
    columns: tuple[Column, ...]
    lanes: tuple[Lane, ...]
    overlay: Overlay | None

    @property
    def emotion_points(self) -> list[tuple[int, int, str]]:
        """(column index, score, label) of every stage with an emotion score."""
        return [
            (index, column.emotion_score, column.emotion_label)
            for index, column in enumerate(self.columns)
            if column.emotion_score is not None
        ]


def _texts(values: list[str]) -> tuple[Item, ...]:
    return tuple(Item(text=str(value)) for value in values if str(value).strip())


def _one(value: str) -> tuple[Item, ...]:
    return (Item(text=value),) if value else ()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _measured_lanes(columns: tuple[Column, ...]) -> list[Lane]:
    def cells(build) -> tuple[tuple[Item, ...], ...]:
        return tuple(build(column.measures or StageMeasures()) for column in columns)

    def days(value) -> str:
        return "-" if value is None else f"{value:.1f} days"

    def number(value) -> str:
        return "-" if value is None else f"{value:g}"

    return [
        Lane(
            "measured",
            "Measured",
            cells(
                lambda m: (
                    Item(f"Entered {number(m.entered)}"),
                    Item(f"Advanced {number(m.advanced)}"),
                    Item(f"Conversion {_percent(m.conversion_rate)}"),
                    Item(f"Median {days(m.median_days)} in stage"),
                    Item(f"Stall rate {_percent(m.stall_rate)}"),
                )
            ),
        ),
        Lane(
            "off_map",
            "Off-map touchpoints",
            cells(
                lambda m: tuple(
                    Item(name, note=f"{count} interactions") for name, count in m.off_map
                )
            ),
        ),
    ]


def map_drawing(journey_map: JourneyMap, overlay: Overlay | None = None) -> Drawing:
    """Lay the map out: its stages in order as columns, each lane a row of cells."""
    stages = list(
        Stage.objects.filter(journey_map=journey_map, workspace_id=journey_map.workspace_id)
        .order_by("position")
        .prefetch_related(
            Prefetch(
                "touchpoint_placements",
                StageTouchpoint.objects.select_related("touchpoint").order_by("position"),
            ),
            Prefetch(
                "milestone_placements",
                StageMilestone.objects.select_related("milestone").order_by("milestone__name"),
            ),
        )
    )
    columns = tuple(
        Column(
            id=stage.pk,
            position=stage.position,
            name=stage.name,
            emotion_score=stage.emotion_score,
            emotion_label=stage.emotion_label,
            measures=overlay.stages.get(stage.pk) if overlay is not None else None,
        )
        for stage in stages
    )

    def lane(key: str, title: str, build) -> Lane:
        return Lane(key, title, tuple(build(stage) for stage in stages))

    lanes = [
        lane("goal", "Customer goal", lambda s: _one(s.customer_goal)),
        lane("actions", "Actions", lambda s: _texts(s.actions)),
        lane("thoughts", "Thoughts", lambda s: _texts(s.thoughts)),
        lane("pains", "Pain points", lambda s: _texts(s.pain_points)),
        lane("opportunities", "Opportunities", lambda s: _texts(s.opportunities)),
        lane(
            "touchpoints",
            "Touchpoints",
            lambda s: tuple(
                Item(
                    text=p.touchpoint.name,
                    note=p.notes,
                    channel=p.touchpoint.get_channel_display(),
                    id=p.pk,
                )
                for p in s.touchpoint_placements.all()
            ),
        ),
        lane(
            "milestones",
            "Exit milestones",
            lambda s: tuple(Item(p.milestone.name) for p in s.milestone_placements.all()),
        ),
        lane("kpis", "KPIs", lambda s: _texts(s.kpis)),
        lane("owner", "Owner team", lambda s: _one(s.owner_team)),
        lane(
            "duration",
            "Expected duration",
            lambda s: _one(
                "" if s.expected_duration_days is None else f"{s.expected_duration_days} days"
            ),
        ),
    ]
    if overlay is not None and overlay.stages:
        lanes += _measured_lanes(columns)
    return Drawing(journey_map, columns, tuple(lanes), overlay)


def overlay_for(journey_map: JourneyMap) -> Overlay:
    """The measured overlay of a map, from the provider the settings name.

    Measures come from analytics, which depends on this app; so this app never imports
    it: `JOURNEY_MAP_OVERLAY` (config/settings.py) names the function that builds them.
    """
    return import_string(settings.JOURNEY_MAP_OVERLAY)(journey_map)


# SVG ----------------------------------------------------------------------------------

LABEL_WIDTH = 150
COLUMN_WIDTH = 210
PAD = 8
LINE = 15
FONT_SIZE = 12
WRAP = 30  # characters per line in a column
EMOTION_HEIGHT = 130
HEADER_HEIGHT = 44
COLORS = {
    "grid": "#d0d7de",
    "head": "#264b73",
    "lane": "#f3f6f9",
    "curve": "#2b7bb9",
    "stall": "#fdae6b",
    "text": "#1f2328",
    "note": "#57606a",
}


def _wrap(text: str, width: int = WRAP) -> list[str]:
    lines = []
    for paragraph in str(text).splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width, break_long_words=True) or [""]
    return lines


def _item_lines(item: Item) -> list[tuple[str, str]]:
    """(line, style) pairs: the text wrapped, then its channel and note in grey."""
    lines = [(line, "text") for line in _wrap(item.text)]
    extra = " · ".join(part for part in (item.channel, item.note) if part)
    lines += [(line, "note") for line in _wrap(extra, WRAP + 4)] if extra else []
    return lines


def _el(tag: str, content: str | None = None, **attrs) -> str:
    """One SVG element; attribute names in snake_case become kebab-case."""

    def value_of(value) -> str:
        return escape(f"{value:.1f}" if isinstance(value, float) else str(value))

    rendered = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{value_of(value)}"'
        for name, value in attrs.items()
    )
    if content is None:
        return f"<{tag}{rendered}/>"
    return f"<{tag}{rendered}>{escape(content)}</{tag}>"


def _text(x: float, y: float, line: str, *, style: str = "text", **attrs) -> str:
    note = style == "note"
    base = {
        "font_size": FONT_SIZE - 1 if note else FONT_SIZE,
        "fill": COLORS["note"] if note else COLORS["text"],
    }
    return _el("text", line, x=float(x), y=float(y), **(base | attrs))


class _Canvas:
    """Collects the SVG elements of a drawing, top to bottom."""

    def __init__(self, drawing: Drawing):
        self.drawing = drawing
        self.width = LABEL_WIDTH + max(len(drawing.columns), 1) * COLUMN_WIDTH
        self.parts: list[str] = []
        self.y = 0.0

    @staticmethod
    def column_x(index: int) -> float:
        return float(LABEL_WIDTH + index * COLUMN_WIDTH)

    def band(self, height: float, fill: str = COLORS["lane"]) -> None:
        self.parts.append(_el("rect", x=0, y=self.y, width=self.width, height=height, fill=fill))

    def header(self) -> None:
        journey_map = self.drawing.journey_map
        status = journey_map.get_status_display()
        persona = journey_map.persona
        self.parts.append(_text(PAD, 22, journey_map.name, font_weight="bold", font_size=16))
        self.parts.append(
            _text(PAD, 40, f"{persona.name} · {status}" if persona else status, style="note")
        )
        self.y = 52.0
        for index, column in enumerate(self.drawing.columns):
            x = self.column_x(index)
            self.parts.append(
                _el(
                    "rect",
                    class_="stage",
                    x=x,
                    y=self.y,
                    width=COLUMN_WIDTH - 2,
                    height=HEADER_HEIGHT,
                    fill=COLORS["head"],
                    rx=4,
                )
            )
            for k, line in enumerate(_wrap(f"{column.position}. {column.name}", WRAP - 4)[:2]):
                self.parts.append(
                    _text(
                        x + PAD,
                        self.y + 18 + k * LINE,
                        line,
                        fill="white",
                        font_weight="bold",
                        font_size=13,
                    )
                )
        self.y += HEADER_HEIGHT + 4

    def emotion(self) -> None:
        """The designed emotion curve, and the measured stall rate beside it as bars."""
        self.band(EMOTION_HEIGHT)
        self.parts.append(_text(PAD, self.y + 18, "Emotion", font_weight="bold"))
        if self.drawing.overlay is not None:
            self.parts.append(_text(PAD, self.y + 34, "line: designed", style="note"))
            self.parts.append(_text(PAD, self.y + 48, "bars: stall rate", style="note"))
        top, bottom = self.y + 14, self.y + EMOTION_HEIGHT - 26
        mid = (top + bottom) / 2
        self.parts.append(
            _el(
                "line",
                x1=LABEL_WIDTH,
                y1=mid,
                x2=self.width,
                y2=mid,
                stroke=COLORS["grid"],
                stroke_dasharray="4 4",
            )
        )
        for index, column in enumerate(self.drawing.columns):
            rate = column.measures.stall_rate if column.measures else None
            if rate is None:
                continue
            center = self.column_x(index) + COLUMN_WIDTH / 2
            height = (bottom - top) * rate
            self.parts.append(
                _el(
                    "rect",
                    class_="stall",
                    x=center - 30,
                    y=bottom - height,
                    width=60,
                    height=height,
                    fill=COLORS["stall"],
                    opacity=0.8,
                )
            )
            self.parts.append(_text(center + 34, bottom - 2, f"stalled {rate:.0%}", style="note"))
        points = [
            (
                self.column_x(i) + COLUMN_WIDTH / 2,
                mid - (bottom - top) / 2 * score / 5,
                score,
                label,
            )
            for i, score, label in self.drawing.emotion_points
        ]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            self.parts.append(
                _el("polyline", points=path, fill="none", stroke=COLORS["curve"], stroke_width=2.5)
            )
        for px, py, score, label in points:
            self.parts.append(
                _el("circle", class_="emotion-point", cx=px, cy=py, r=5, fill=COLORS["curve"])
            )
            self.parts.append(
                _text(px - 60, bottom + 18, f"{score:+d} {label}".strip(), style="note")
            )
        self.y += EMOTION_HEIGHT + 4

    def lane(self, number: int, lane: Lane) -> None:
        blocks = [[line for item in cell for line in _item_lines(item)] for cell in lane.cells]
        height = max([len(block) for block in blocks] + [1]) * LINE + 2 * PAD
        if number % 2 == 0:
            self.band(height)
        self.parts.append(_text(PAD, self.y + PAD + FONT_SIZE, lane.title, font_weight="bold"))
        for index, block in enumerate(blocks):
            for k, (line, style) in enumerate(block):
                y = self.y + PAD + FONT_SIZE + k * LINE
                self.parts.append(_text(self.column_x(index) + PAD, y, line, style=style))
        self.y += height
        self.parts.append(
            _el("line", x1=0, y1=self.y, x2=self.width, y2=self.y, stroke=COLORS["grid"])
        )

    def footer(self) -> None:
        overlay = self.drawing.overlay
        if overlay is None:
            return
        for line in [f"Measured: {source}" for source in overlay.sources] + list(overlay.missing):
            self.y += LINE + 4
            self.parts.append(_text(PAD, self.y, line, style="note"))

    def svg(self) -> str:
        height = round(self.y + PAD * 2)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{height}" '
            f'viewBox="0 0 {self.width} {height}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>{"".join(self.parts)}</svg>'
        )


def map_svg(drawing: Drawing) -> str:
    """The drawing as a standalone SVG document (fonts: the system's sans-serif)."""
    canvas = _Canvas(drawing)
    canvas.header()
    canvas.emotion()
    for number, lane in enumerate(drawing.lanes):
        canvas.lane(number, lane)
    canvas.footer()
    return canvas.svg()


def map_picture(
    journey_map: JourneyMap, picture_format: PictureFormat, *, overlay: bool = False
) -> bytes:
    drawing = map_drawing(journey_map, overlay_for(journey_map) if overlay else None)
    return svg_to(map_svg(drawing), picture_format)
