"""Pictures over GraphQL: a map's drawing, a report's chart, as SVG text or base64 bytes."""

import base64
from enum import Enum

import strawberry

from journeys.pictures import PictureFormat as Format


@strawberry.enum(description="The format of a picture.")
class PictureFormat(Enum):
    SVG = strawberry.enum_value("svg", description="SVG, returned as text.")
    PNG = strawberry.enum_value("png", description="PNG at twice the size, base64-encoded.")
    PDF = strawberry.enum_value("pdf", description="PDF, one page, base64-encoded.")

    @property
    def format(self) -> Format:
        return Format(self.value)


@strawberry.type(description="A picture: a map's drawing or a report's chart.")
class Picture:
    format: PictureFormat = strawberry.field(description="The picture's format.")
    media_type: str = strawberry.field(description="e.g. image/svg+xml.")
    data: str = strawberry.field(
        description="The picture: SVG text as is, PNG and PDF bytes base64-encoded."
    )

    @classmethod
    def of(cls, content: bytes, picture_format: PictureFormat) -> "Picture":
        fmt = picture_format.format
        data = content.decode() if fmt is Format.SVG else base64.b64encode(content).decode()
        return cls(format=picture_format, media_type=fmt.media_type, data=data)
