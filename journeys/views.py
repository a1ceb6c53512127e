"""Downloads of map pictures (SVG, PNG, PDF), authenticated like the API
(workspaces/http.py), with the journeys:read scope (and analytics:read for ?overlay=1)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from journeys.models import JourneyMap
from journeys.pictures import PictureFormat, map_picture
from workspaces.access import Scope
from workspaces.http import denied, download


@require_GET
def map_picture_view(request, map_id: str, picture_format: str):
    fmt = PictureFormat(picture_format)
    overlay = request.GET.get("overlay", "") in ("1", "true", "yes")
    if overlay and (response := denied(request, Scope.ANALYTICS_READ)) is not None:
        return response

    def build(journey_map: JourneyMap) -> HttpResponse:
        response = HttpResponse(
            map_picture(journey_map, fmt, overlay=overlay), content_type=fmt.media_type
        )
        name = f"journey-map-{journey_map.pk}.{fmt.value}"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response

    return download(request, Scope.JOURNEYS_READ, JourneyMap, map_id, build)
