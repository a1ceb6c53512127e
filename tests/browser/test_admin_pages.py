"""In a real browser: log in, drag a stage on the canvas and save, see the new order;
reorder a touchpoint; find the chart on each report kind's page; run a query in
GraphiQL. The page watcher (conftest) fails a test on any CSP violation, console error
or request to another host."""

import json
from urllib.parse import quote

import pytest

from analytics.models import ReportKind
from journeys.models import Stage, StageTouchpoint
from tests.admin_helpers import staff_client
from tests.browser.conftest import log_in
from tests.factories import JourneyMapFactory, StageFactory, StageTouchpointFactory
from tests.test_charts import EXPECTED, RESULTS, stored
from workspaces.models import AuditEvent, Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor_user(workspace):
    return staff_client(workspace, Role.EDITOR, "mapper").user


@pytest.fixture
def draft(workspace):
    journey_map = JourneyMapFactory(workspace=workspace, name="Draft journey")
    for position, name in enumerate(["Discover", "Evaluate", "Buy"], start=1):
        stage = StageFactory(
            journey_map=journey_map, position=position, name=name, emotion_score=position - 2
        )
        for slot in (1, 2):
            StageTouchpointFactory(
                stage=stage, position=slot, touchpoint__name=f"{name} touch {slot}"
            )
    return journey_map


def stage_names(page) -> list[str]:
    return [name.strip() for name in page.locator("#wm-stages .wm-stage a").all_inner_texts()]


def drag(page, source, target) -> None:
    """Drag with real mouse moves, in steps, as a person does (SortableJS's fallback)."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 21):
        x = start["x"] + 5 + (end["x"] + 5 - start["x"] - 5) * step / 20
        y = start["y"] + (end["y"] - start["y"]) * step / 20 + start["height"] / 2
        page.mouse.move(x, y)
    page.mouse.up()


def test_drag_a_stage_and_a_touchpoint_on_the_canvas_and_save(page, editor_user, draft):
    log_in(page, editor_user.username)
    page.goto(f"{page.base}/admin/journeys/journeymap/")
    page.click("text=Draft journey")  # the canvas is a map's default view
    page.wait_for_selector(".wm-canvas[data-editable='true']")
    assert stage_names(page) == ["Discover", "Evaluate", "Buy"]

    handles = page.locator("#wm-stages .wm-handle")
    drag(page, handles.nth(2), handles.nth(0))
    assert stage_names(page) == ["Buy", "Discover", "Evaluate"]
    # The lanes follow their header: the first touchpoint column is Buy's now.
    first = page.locator('[data-lane="touchpoints"] .wm-cell').first
    assert first.inner_text().startswith("Buy touch 1")
    placements = first.locator(".wm-placement")
    drag(page, placements.nth(1), placements.nth(0))
    page.click("#wm-save")
    page.wait_for_selector("text=Saved the new stage order.")
    assert page.locator("text=Saved the new touchpoints of Buy.").count() == 1

    assert stage_names(page) == ["Buy", "Discover", "Evaluate"]
    stored_order = Stage.objects.filter(journey_map=draft).order_by("position")
    assert [(s.position, s.name) for s in stored_order] == [
        (1, "Buy"),
        (2, "Discover"),
        (3, "Evaluate"),
    ]
    buy = stored_order[0]
    assert list(
        StageTouchpoint.objects.filter(stage=buy)
        .order_by("position")
        .values_list("position", "touchpoint__name")
    ) == [(1, "Buy touch 2"), (2, "Buy touch 1")]
    assert AuditEvent.objects.filter(operation="journeyMapUpdate").count() == 2


def test_twelve_stages_with_long_texts_fit_the_page(page, editor_user, workspace):
    journey_map = JourneyMapFactory(workspace=workspace, name="Long journey")
    long_text = "A very long customer goal that keeps going " * 6 + "Supercalifragilistic" * 4
    for position in range(1, 13):
        StageFactory(
            journey_map=journey_map,
            position=position,
            name=f"Stage number {position} with a long name",
            customer_goal=long_text,
            actions=[long_text, "Short"],
            emotion_score=(position % 11) - 5,
        )
    log_in(page, editor_user.username)
    page.goto(f"{page.base}/admin/journeys/journeymap/{journey_map.pk}/canvas/")
    assert page.locator("#wm-stages .wm-stage").count() == 12
    assert page.locator(".wm-curve .emotion-point").count() == 12
    # Texts wrap inside their columns: the page never scrolls sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]


def test_a_published_map_is_read_only_on_the_canvas(page, editor_user, draft):
    draft.status = "published"
    draft.save()
    log_in(page, editor_user.username)
    page.goto(f"{page.base}/admin/journeys/journeymap/{draft.pk}/canvas/")
    assert "This map is published" in page.locator(".wm-notice").inner_text()
    assert page.locator(".wm-handle").count() == 0
    assert page.locator("#wm-order-form").count() == 0


@pytest.mark.parametrize("kind", list(ReportKind))
def test_each_report_kind_page_shows_its_chart(page, workspace, editor_user, kind):
    report = stored(workspace, kind, RESULTS[kind])
    log_in(page, editor_user.username)
    page.goto(f"{page.base}/admin/analytics/report/{report.pk}/change/")
    chart = page.locator(".report-chart svg")
    assert chart.count() == 1
    assert chart.bounding_box()["width"] > 300
    texts = chart.locator("text").all_text_contents()
    assert EXPECTED[kind][0] in texts
    # The JSON is there, folded away below the chart.
    assert page.locator("details:has-text('Result as JSON')").count() == 1


def test_graphiql_runs_a_query_without_a_cdn(page, editor_user, draft):
    log_in(page, editor_user.username)
    query = "{ journeyMaps { edges { node { name stages { name } } } } }"
    page.goto(f"{page.base}/graphql/?q={quote(query)}")
    page.wait_for_selector(".graphiql-execute-button")
    page.click(".graphiql-execute-button")
    result = page.locator(".result-window")
    result.locator("text=Draft journey").wait_for()
    body = json.loads(result.locator(".CodeMirror").evaluate("e => e.CodeMirror.getValue()"))
    node = body["data"]["journeyMaps"]["edges"][0]["node"]
    assert node == {
        "name": "Draft journey",
        "stages": [{"name": "Discover"}, {"name": "Evaluate"}, {"name": "Buy"}],
    }
