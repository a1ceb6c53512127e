"""Map pictures: the drawing holds every stage, every placed touchpoint and one point of
the emotion curve per stage; SVG, PNG and PDF over GraphQL and over /exports/; the
measured overlay from stored reports; tenancy and scopes."""

import base64
import io
import re
from html import escape

import pytest
from django.utils import timezone

from analytics.models import Report, ReportKind
from tests.conftest import token_client
from tests.factories import (
    JourneyMapFactory,
    StageFactory,
    StageMilestoneFactory,
    StageTouchpointFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

PICTURE = """query($id: ID!, $format: PictureFormat!, $overlay: Boolean!) {
  journeyMap(id: $id) { picture(format: $format, overlay: $overlay) { format mediaType data } }
}"""


@pytest.fixture
def journey_map(workspace):
    journey_map = JourneyMapFactory(workspace=workspace, name="Buying journey", status="published")
    scores = [(-2, "frustrated"), (1, "curious"), (4, "proud")]
    stages = [
        StageFactory(
            journey_map=journey_map,
            position=position,
            name=name,
            emotion_score=scores[position - 1][0],
            emotion_label=scores[position - 1][1],
            actions=["Reads the blog", "Asks peers for a recommendation in the community"],
            pain_points=["Too many vendors claim AI forecasting " * 3],
        )
        for position, name in [(1, "Awareness"), (2, "Evaluation & trial"), (3, "Advocacy")]
    ]
    for stage, names in zip(stages, [["Blog", "Webinar"], ["Demo"], ["G2 review"]], strict=True):
        for position, name in enumerate(names, start=1):
            StageTouchpointFactory(
                stage=stage,
                position=position,
                touchpoint=TouchpointFactory(workspace=workspace, name=name),
                notes=f"notes on {name}",
            )
    StageMilestoneFactory(stage=stages[2], milestone__name="Review left")
    journey_map.stages_list = stages
    return journey_map


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_svg_holds_every_stage_touchpoint_and_emotion_point(viewer, journey_map):
    result = viewer(PICTURE, {"id": gid(journey_map), "format": "SVG", "overlay": False})
    picture = result.data["journeyMap"]["picture"]
    assert (picture["format"], picture["mediaType"]) == ("SVG", "image/svg+xml")
    svg = picture["data"]
    lines = texts(svg)
    assert [line for line in lines if line[:2] in ("1.", "2.", "3.")] >= [
        "1. Awareness",
        "2. Evaluation &amp; trial",
        "3. Advocacy",
    ]
    for name in ("Blog", "Webinar", "Demo", "G2 review", "Review left"):
        assert name in lines
    assert "Website · notes on Blog" in lines
    assert svg.count('class="emotion-point"') == 3
    assert {"-2 frustrated", "+1 curious", "+4 proud"} <= set(lines)
    # Long texts wrap inside their column: no line is longer than the wrap width.
    assert max(len(line) for line in lines if not line.startswith("Buying")) <= 34
    assert "Stall rate" not in svg  # no overlay asked for


def test_png_and_pdf_over_graphql(viewer, journey_map):
    for fmt, magic in (("PNG", b"\x89PNG"), ("PDF", b"%PDF")):
        result = viewer(PICTURE, {"id": gid(journey_map), "format": fmt, "overlay": False})
        assert base64.b64decode(result.data["journeyMap"]["picture"]["data"]).startswith(magic)


def _stored(workspace, kind, parameters, result) -> Report:
    now = timezone.now()
    return Report.objects.create(
        workspace=workspace,
        kind=kind,
        parameters=parameters,
        status=Report.Status.SUCCEEDED,
        result=result,
        data_cutoff=now,
        code_version="test",
        finished_at=now,
    )


def _overlay_reports(workspace, journey_map):
    stages = journey_map.stages_list
    _stored(
        workspace,
        ReportKind.FUNNEL,
        {"map_persona": journey_map.persona.key},
        {
            "journey_map": {"id": str(journey_map.pk), "name": journey_map.name},
            "stages": [
                {
                    "stage_id": str(stage.pk),
                    "position": stage.position,
                    "name": stage.name,
                    "entered": entered,
                    "advanced": advanced,
                    "conversion_rate": advanced / entered,
                    "median_days": 12.25,
                }
                for stage, (entered, advanced) in zip(
                    stages, [(40, 30), (30, 6), (6, 3)], strict=True
                )
            ],
        },
    )
    _stored(
        workspace,
        ReportKind.MAP_FIT,
        {"journey_map": gid(journey_map)},
        {
            "stages": [
                {"stage_id": stage.pk, "stall_rate": rate}
                for stage, rate in zip(stages, [0.25, 0.5, None], strict=True)
            ],
            "off_map": [
                {"stage_id": stages[1].pk, "touchpoint_name": "Pricing page", "interactions": 17}
            ],
        },
    )


def test_the_overlay_reads_the_latest_funnel_and_map_fit(viewer, workspace, journey_map):
    query = {"id": gid(journey_map), "format": "SVG", "overlay": True}
    svg = viewer(PICTURE, query).data["journeyMap"]["picture"]["data"]
    lines = texts(svg)
    assert any(line.startswith("No stage funnel report of this map yet") for line in lines)
    assert any("mapFitReportRequest" in line for line in lines)

    _overlay_reports(workspace, journey_map)
    svg = viewer(PICTURE, query).data["journeyMap"]["picture"]["data"]
    lines = texts(svg)
    for expected in (
        "Entered 40",
        "Advanced 30",
        "Conversion 75%",
        "Entered 30",
        "Conversion 20%",
        "Median 12.2 days in stage",
        "Stall rate 25%",
        "Stall rate 50%",
        "Stall rate -",
        "Pricing page",
        "17 interactions",
        "stalled 25%",
        "stalled 50%",
    ):
        assert expected in lines, expected
    assert svg.count('class="stall"') == 2
    assert not any(line.startswith("No ") for line in lines)


def test_exports_with_a_token_and_the_scopes_it_needs(workspace, journey_map):
    url = f"/exports/maps/{gid(journey_map)}"
    reader = token_client(workspace, [Scope.JOURNEYS_READ])
    response = reader.client.get(f"{url}.svg", headers=reader.headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"Awareness" in response.content
    assert reader.client.get(f"{url}.png", headers=reader.headers).content[:4] == b"\x89PNG"
    assert reader.client.get(f"{url}.pdf", headers=reader.headers).content[:4] == b"%PDF"
    # The overlay shows reports: it needs analytics:read as well.
    denied = reader.client.get(f"{url}.svg?overlay=1", headers=reader.headers)
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    analyst = token_client(workspace, [Scope.ANALYTICS_READ])
    assert analyst.client.get(f"{url}.svg", headers=analyst.headers).status_code == 403
    bad = reader.client.get(f"{url}.svg", headers={"Authorization": "Bearer wmk_nope"})
    assert bad.status_code == 401


def test_other_workspaces_and_strangers_get_nothing(outsider, anonymous, journey_map):
    url = f"/exports/maps/{gid(journey_map)}.svg"
    assert outsider.client.get(url, headers=outsider.headers).status_code == 404
    assert anonymous.client.get(url).status_code == 401
    bad_id = outsider.client.get("/exports/maps/not-an-id.svg", headers=outsider.headers)
    assert bad_id.status_code == 404
    result = outsider(PICTURE, {"id": gid(journey_map), "format": "SVG", "overlay": False})
    assert result.data["journeyMap"] is None


def test_the_overlay_over_graphql_needs_analytics_read(workspace, journey_map):
    reader = token_client(workspace, [Scope.JOURNEYS_READ])
    result = reader(PICTURE, {"id": gid(journey_map), "format": "SVG", "overlay": True})
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_every_demo_map_renders(admin_client, fmt):
    """The demo maps (seed_demo without activity) as SVG, PNG and PDF from the admin;
    the SVG holds every stage, every placed touchpoint and one emotion point per stage."""
    from django.core.management import call_command

    from journeys.models import JourneyMap, StageTouchpoint

    call_command("seed_demo", "--no-activity", stdout=io.StringIO())
    maps = JourneyMap.objects.filter(workspace__slug="demo")
    assert maps.count() >= 4  # a template, three personas' maps (and earlier versions)
    magic = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    for journey_map in maps:
        url = f"/admin/journeys/journeymap/{journey_map.pk}/picture.{fmt}"
        content = admin_client.get(url).content
        assert content.startswith(magic)
        if fmt != "svg":
            continue
        lines = texts(content.decode())
        stages = list(journey_map.stages.order_by("position"))
        for stage in stages:
            assert any(line.startswith(f"{stage.position}. ") for line in lines)
        placed = StageTouchpoint.objects.filter(stage__journey_map=journey_map)
        for placement in placed.select_related("touchpoint"):
            assert escape(placement.touchpoint.name)[:30] in " ".join(lines)
        scored = [stage for stage in stages if stage.emotion_score is not None]
        assert content.decode().count('class="emotion-point"') == len(scored) == len(stages)
