"""Pictures of journey maps: one drawing, as an HTML canvas in the admin and as SVG,
PNG or PDF for export.

`map_drawing` lays a map out once (stages as columns, lanes as rows, the emotion curve,
optionally the measured overlay); the admin's canvas template and `map_svg` both draw
that same layout, so the exported picture shows what the canvas shows.
"""

from enum import StrEnum

import vl_convert


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
