"""Every report kind runs end to end over GraphQL through the runner: requested, queued,
computed by the task after commit, read back as its typed result."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import FeedbackResponse
from analytics.models import Report, ReportKind
from tests.conftest import token_client
from tests.factories import (
    AccountFactory,
    InteractionFactory,
    JourneyMapFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
    StageTouchpointFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def activity(workspace):
    """One persona's published two-stage map; two accounts touch, one converts."""
    persona = PersonaFactory(workspace=workspace, key="buyer")
    journey_map = JourneyMapFactory(workspace=workspace, persona=persona, status="published")
    web = TouchpointFactory(workspace=workspace, key="web", channel="web")
    demo = TouchpointFactory(workspace=workspace, key="demo", channel="sales")
    won = MilestoneFactory(workspace=workspace, key="won", is_conversion=True, value=100)
    first = StageFactory(journey_map=journey_map, position=1)
    StageFactory(journey_map=journey_map, position=2)
    StageTouchpointFactory(stage=first, touchpoint=web, position=1)
    StageMilestoneFactory(stage=first, journey_map=journey_map, milestone=won)
    buyer, browser = (AccountFactory(workspace=workspace, persona=persona) for _ in range(2))
    for account, touchpoint, hours in ((buyer, web, 0), (buyer, demo, 5), (browser, web, 1)):
        InteractionFactory(
            account=account, touchpoint=touchpoint, occurred_at=T0 + timedelta(hours=hours)
        )
    MilestoneAchievementFactory(
        account=buyer, milestone=won, occurred_at=T0 + timedelta(hours=6), value=100
    )
    FeedbackResponse.objects.create(  # after the exit: at the second stage
        workspace=workspace,
        account=buyer,
        occurred_at=T0 + timedelta(hours=7),
        received_at=T0 + timedelta(hours=7),
        client_id="nps-1",
        instrument="nps",
        score=10,
        scale_min=0,
        scale_max=10,
    )
    return {"map": journey_map}


# kind -> (mutation, input builder, typed result selection, check of the result)
KINDS = {
    ReportKind.ATTRIBUTION: (
        "attributionReportRequest",
        lambda fixtures: {"models": ["LINEAR"], "dimensions": ["CHANNEL"]},
        "attribution { totals { conversions value } }",
        lambda result: result["attribution"]["totals"] == {"conversions": 1, "value": 100.0},
    ),
    ReportKind.FUNNEL: (
        "funnelReportRequest",
        lambda fixtures: {"mapPersona": "buyer"},
        "funnel { stages { position entered advanced } }",
        lambda result: (
            [(s["entered"], s["advanced"]) for s in result["funnel"]["stages"]] == [(2, 1), (1, 0)]
        ),
    ),
    ReportKind.MAP_FIT: (
        "mapFitReportRequest",
        lambda fixtures: {"journeyMap": gid(fixtures["map"])},
        "mapFit { offMap { touchpoint { key } interactions } }",
        lambda result: (
            [(r["touchpoint"]["key"], r["interactions"]) for r in result["mapFit"]["offMap"]]
            == [("demo", 1)]
        ),
    ),
    ReportKind.MAP_VERSIONS: (
        "mapVersionsReportRequest",
        lambda fixtures: {"mapPersona": "buyer"},
        "mapVersions { versions { number accounts { entered active } "
        "offMap { interactions offMapInteractions } } }",
        lambda result: (
            result["mapVersions"]["versions"]
            == [
                {
                    "number": 1,
                    "accounts": {"entered": 2, "active": 2},
                    "offMap": {"interactions": 3, "offMapInteractions": 1},
                }
            ]
        ),
    ),
    ReportKind.RETENTION: (
        "retentionReportRequest",
        lambda fixtures: {"period": "MONTH", "periods": 12},
        "retention { cohorts { size } }",
        lambda result: sum(c["size"] for c in result["retention"]["cohorts"]) == 1,
    ),
    ReportKind.FEEDBACK: (
        "feedbackReportRequest",
        lambda fixtures: {},
        "feedback { byStage { stagePosition metrics { responses nps { score } } } }",
        lambda result: (
            [(r["stagePosition"], r["metrics"]["responses"]) for r in result["feedback"]["byStage"]]
            == [(1, 0), (2, 1), (None, 0)]
        ),
    ),
    ReportKind.PATHS: (
        "pathsReportRequest",
        lambda fixtures: {},
        "paths { paths { conversions } }",
        lambda result: [row["conversions"] for row in result["paths"]["paths"]] == [1],
    ),
}


def test_every_kind_is_covered():
    assert set(KINDS) == set(ReportKind), "add the new kind to KINDS"


@pytest.mark.parametrize("kind", list(KINDS), ids=str)
def test_requested_over_graphql_computed_by_the_runner(
    workspace, activity, kind, django_capture_on_commit_callbacks
):
    mutation, build_input, selection, check = KINDS[kind]
    client = token_client(workspace, [Scope.ANALYTICS_WRITE, Scope.ANALYTICS_READ])
    query = (
        f"mutation($input: {mutation[0].upper()}{mutation[1 : -len('Request')]}Input!) "
        f"{{ {mutation}(input: $input) {{ ... on Report {{ id status kind }} "
        "... on OperationInfo { messages { field code message } } } }"
    )
    with django_capture_on_commit_callbacks(execute=True):
        requested = client(query, {"input": build_input(activity)}).data[mutation]
    assert requested["status"] == "QUEUED", requested
    report = client(
        f"query($id: ID!) {{ report(id: $id) {{ status error {selection} }} }}",
        {"id": requested["id"]},
    ).data["report"]
    assert report["status"] == "SUCCEEDED", report["error"]
    assert check(report), report
    assert Report.objects.get().kind == kind
