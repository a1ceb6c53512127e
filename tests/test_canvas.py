"""The map canvas in the admin (its page, saving a new order, refusals), the services
behind it, published maps left untouched, and the report and picture downloads
of the admin."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from analytics.models import ReportKind
from journeys import services
from journeys.models import JourneyMap, Stage, StageTouchpoint
from tests.admin_helpers import messages_of, staff_client
from tests.factories import JourneyMapFactory, StageFactory, StageTouchpointFactory
from tests.test_admin import form_data, url
from tests.test_charts import FUNNEL, RESULTS, stored
from workspaces.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace):
    journey_map = JourneyMapFactory(workspace=workspace, name="Draft journey")
    for position, name in enumerate(["Discover", "Evaluate", "Buy"], start=1):
        stage = StageFactory(journey_map=journey_map, position=position, name=name)
        for slot in (1, 2):
            StageTouchpointFactory(
                stage=stage, position=slot, touchpoint__name=f"{name} {slot}", notes=f"n{slot}"
            )
    return journey_map


@pytest.fixture
def editor_admin(workspace):
    return staff_client(workspace, Role.EDITOR, "mapper")


def canvas_url(journey_map) -> str:
    return url(JourneyMap, "canvas", journey_map.pk)


def order(journey_map) -> list[tuple[int, str]]:
    return list(
        Stage.objects.filter(journey_map=journey_map)
        .order_by("position")
        .values_list("position", "name")
    )


def ids(journey_map, *names) -> str:
    by_name = dict(Stage.objects.filter(journey_map=journey_map).values_list("name", "pk"))
    return ",".join(str(by_name[name]) for name in names)


# Services ----------------------------------------------------------------------------


def test_stage_order_set_renumbers_densely(draft):
    stages = {stage.name: stage for stage in draft.stages.all()}
    services.stage_order_set(
        journey_map=draft, stages=[stages["Buy"], stages["Discover"], stages["Evaluate"]]
    )
    assert order(draft) == [(1, "Buy"), (2, "Discover"), (3, "Evaluate")]


@pytest.mark.parametrize(
    ("names", "code", "message"),
    [
        (
            ["Buy", "Buy", "Discover"],
            "duplicate",
            "Stage 'Buy' is listed twice (positions 1 and 2): each stage takes exactly one "
            "position.",
        ),
        (
            ["Buy", "Discover"],
            "required",
            "Every stage of the map needs a position; missing: 'Evaluate'.",
        ),
    ],
)
def test_stage_order_set_refuses_repeats_and_gaps(draft, names, code, message):
    stages = {stage.name: stage for stage in draft.stages.all()}
    with pytest.raises(ValidationError) as raised:
        services.stage_order_set(journey_map=draft, stages=[stages[n] for n in names])
    error = raised.value.error_dict["stages"][0]
    assert (error.code, error.message) == (code, message)
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]


def test_stage_order_set_refuses_a_stage_of_another_map(draft, workspace):
    stranger = StageFactory(journey_map=JourneyMapFactory(workspace=workspace), position=1)
    with pytest.raises(ValidationError) as raised:
        services.stage_order_set(journey_map=draft, stages=[*draft.stages.all(), stranger])
    assert raised.value.error_dict["stages"][0].code == "not_found"


def test_stage_touchpoints_reorder_keeps_notes(draft):
    stage = draft.stages.get(name="Buy")
    first, second = stage.touchpoint_placements.order_by("position")
    services.stage_touchpoints_reorder(stage=stage, placements=[second, first])
    assert list(
        StageTouchpoint.objects.filter(stage=stage)
        .order_by("position")
        .values_list("position", "touchpoint__name", "notes")
    ) == [(1, "Buy 2", "n2"), (2, "Buy 1", "n1")]
    with pytest.raises(ValidationError) as raised:
        services.stage_touchpoints_reorder(stage=stage, placements=[first, first])
    assert raised.value.error_dict["touchpoints"][0].code == "duplicate"


# The canvas page ----------------------------------------------------------------------


def test_the_canvas_is_a_maps_default_view(editor_admin, draft):
    changelist = editor_admin.get(url(JourneyMap))
    assert f'href="{canvas_url(draft)}"' in changelist.content.decode()
    page = editor_admin.get(canvas_url(draft))
    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "Discover",
        "Evaluate",
        "Buy",
        "Buy 1",
        "Customer goal",
        "Exit milestones",
        "Owner team",
        "Expected duration",
        'id="wm-order-form"',
        "No stage funnel report: reports measure published maps",
    ):
        assert text in html, text
    change = editor_admin.get(url(JourneyMap, "change", draft.pk)).content.decode()
    assert f'href="{canvas_url(draft)}"' in change


def test_saving_a_new_order_from_the_canvas(editor_admin, draft):
    buy = draft.stages.get(name="Buy")
    first, second = buy.touchpoint_placements.order_by("position")
    response = editor_admin.post(
        canvas_url(draft),
        {
            "stage_order": ids(draft, "Buy", "Discover", "Evaluate"),
            f"touchpoints-{buy.pk}": f"{second.pk},{first.pk}",
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Saved the new stage order.",
        "Saved the new touchpoints of Buy.",
    ]
    assert order(draft) == [(1, "Buy"), (2, "Discover"), (3, "Evaluate")]
    assert list(buy.touchpoint_placements.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    events = AuditEvent.objects.filter(operation="journeyMapUpdate", source="admin")
    assert events.count() == 2


def test_duplicate_positions_are_refused_with_a_clear_message(editor_admin, draft):
    response = editor_admin.post(
        canvas_url(draft), {"stage_order": ids(draft, "Buy", "Buy", "Evaluate")}, follow=True
    )
    assert messages_of(response) == [
        "Nothing was saved: Stage 'Buy' is listed twice (positions 1 and 2): each stage "
        "takes exactly one position."
    ]
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]
    response = editor_admin.post(canvas_url(draft), {"stage_order": "1,x"}, follow=True)
    assert messages_of(response) == [
        "Nothing was saved: stage_order: expected ids separated by commas."
    ]


def test_a_half_valid_order_saves_nothing(editor_admin, draft):
    buy = draft.stages.get(name="Buy")
    first, _ = buy.touchpoint_placements.order_by("position")
    editor_admin.post(
        canvas_url(draft),
        {
            "stage_order": ids(draft, "Buy", "Discover", "Evaluate"),
            f"touchpoints-{buy.pk}": f"{first.pk},{first.pk}",
        },
    )
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]


def test_viewers_published_and_archived_maps_are_read_only(workspace, draft, editor_admin):
    viewer = staff_client(workspace, Role.VIEWER, "looker")
    new_order = {"stage_order": ids(draft, "Buy", "Discover", "Evaluate")}
    page = viewer.get(canvas_url(draft)).content.decode()
    assert 'id="wm-order-form"' not in page
    assert messages_of(viewer.post(canvas_url(draft), new_order, follow=True)) == [
        "This map cannot be rearranged here."
    ]
    for status in ("published", "archived"):
        JourneyMap.objects.filter(pk=draft.pk).update(status=status)
        page = editor_admin.get(canvas_url(draft)).content.decode()
        assert f"This map is {status}" in page
        assert 'id="wm-order-form"' not in page
        editor_admin.post(canvas_url(draft), new_order)
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]


def test_other_workspaces_do_not_see_the_canvas(other_workspace, draft):
    outsider = staff_client(other_workspace, Role.ADMIN, "outsider")
    response = outsider.get(canvas_url(draft))
    assert response.status_code == 302  # to the admin index: "does not exist"
    assert outsider.get(url(JourneyMap, "picture", draft.pk, "svg")).status_code == 404


def test_the_admin_downloads_map_pictures(editor_admin, draft):
    for fmt, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
        response = editor_admin.get(url(JourneyMap, "picture", draft.pk, fmt))
        assert response.content.startswith(magic)
    assert b"Discover" in editor_admin.get(url(JourneyMap, "picture", draft.pk, "svg")).content


# Published maps: warning and audit -----------------------------------------------------


def test_a_published_map_is_refused_not_edited_in_place(editor_admin, draft):
    """Published maps change only through a draft of the next version: the admin shows
    their stages read-only, and the canvas service refuses them too."""
    JourneyMap.objects.filter(pk=draft.pk).update(status="published")
    draft.refresh_from_db()
    stage = draft.stages.get(name="Buy")
    page = editor_admin.get(url(Stage, "change", stage.pk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    response = editor_admin.post(url(Stage, "change", stage.pk), {"customer_goal": "Sign"})
    assert response.status_code == 403
    with pytest.raises(ValidationError) as raised:
        services.stage_order_set(journey_map=draft, stages=list(draft.stages.all()))
    assert [error.code for error in raised.value.error_list] == ["map_published"]
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]


# Reports in the admin ------------------------------------------------------------------


def test_report_page_shows_the_chart_above_the_json_and_downloads_csv(editor_admin, workspace):
    report = stored(workspace, ReportKind.FUNNEL, FUNNEL)
    html = editor_admin.get(url(report, "change", report.pk)).content.decode()
    assert html.index('class="report-chart"') < html.index("Result as JSON")
    assert "Stage funnel of Buying: 10 accounts" in html
    response = editor_admin.get(url(report, "rows", report.pk))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + len(FUNNEL["stages"])
    assert editor_admin.get(url(report, "chart", report.pk, "png")).content[:4] == b"\x89PNG"
    queued = stored(workspace, ReportKind.PATHS, status="queued")
    assert (
        "No chart: the report is queued."
        in editor_admin.get(url(queued, "change", queued.pk)).content.decode()
    )


def test_chart_text_from_data_is_escaped(editor_admin, workspace):
    result = {**RESULTS[ReportKind.FUNNEL]}
    result["stages"] = [{**result["stages"][0], "name": "<script>alert(1)</script>"}]
    report = stored(workspace, ReportKind.FUNNEL, result)
    html = editor_admin.get(url(report, "change", report.pk)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_duplicate_positions_in_the_admin_forms_are_refused(editor_admin, draft):
    change = url(JourneyMap, "change", draft.pk)
    data = form_data(editor_admin.get(change))
    data["stages-0-position"] = data["stages-1-position"] = "2"
    response = editor_admin.post(change, data)
    assert response.status_code == 200
    errors = " ".join(
        str(e) for e in response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert errors == (
        "Position 2 is given to both 'Discover' and 'Evaluate': give each its own position, "
        "or leave one blank to put it last."
    )
    assert order(draft) == [(1, "Discover"), (2, "Evaluate"), (3, "Buy")]

    stage = draft.stages.get(name="Buy")
    page = url(Stage, "change", stage.pk)
    data = form_data(editor_admin.get(page))
    data["touchpoint_placements-0-position"] = data["touchpoint_placements-1-position"] = "1"
    response = editor_admin.post(page, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors[0].startswith("Position 1 is given to both 'Buy 1' and 'Buy 2': ")
