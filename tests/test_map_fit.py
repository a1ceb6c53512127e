"""Map fit: a small published map and five accounts whose fit is computed by hand (the
timelines are in the comments). Runs on SQLite and on PostgreSQL (scripts/with-postgres.sh).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from strawberry import relay

from analytics.models import ReportKind
from analytics.registry import RunContext, spec_for
from journeys.models import JourneyMap
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
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db
BASE = datetime(2024, 1, 1, tzinfo=UTC)
SPEC = spec_for(ReportKind.MAP_FIT)


def day(n: float) -> datetime:
    return BASE + timedelta(days=n)


CUTOFF = day(200)


def gid(row) -> str:
    return relay.to_base64(type(row).__name__, row.pk)


class World:
    def __init__(self, workspace):
        self.workspace = workspace
        self.persona = PersonaFactory(workspace=workspace, key="buyer")
        self.map = JourneyMapFactory(
            workspace=workspace, persona=self.persona, status=JourneyMap.Status.PUBLISHED
        )
        self.stages = [
            StageFactory(journey_map=self.map, position=p, name=n, emotion_score=e)
            for p, n, e in [(1, "Aware", 2), (2, "Evaluate", -3), (3, "Adopt", 4)]
        ]
        self.tp = {
            key: TouchpointFactory(workspace=workspace, key=key, name=key.title())
            for key in ("ad", "blog", "demo", "guide", "docs")
        }
        # Placements: Aware: ad, blog; Evaluate: demo, guide; Adopt: docs.
        for stage, keys in zip(
            self.stages, [("ad", "blog"), ("demo", "guide"), ("docs",)], strict=True
        ):
            for position, key in enumerate(keys, start=1):
                StageTouchpointFactory(stage=stage, touchpoint=self.tp[key], position=position)
        # Exit milestones: m1 exits Aware, m2 Evaluate, m3 Adopt.
        self.ms = {}
        for index, stage in enumerate(self.stages, start=1):
            milestone = MilestoneFactory(workspace=workspace, key=f"m{index}")
            StageMilestoneFactory(stage=stage, milestone=milestone)
            self.ms[f"m{index}"] = milestone
        self.accounts = {}

    def account(self, name, persona=True):
        if name not in self.accounts:
            self.accounts[name] = AccountFactory(
                workspace=self.workspace, name=name, persona=self.persona if persona else None
            )
        return self.accounts[name]

    def touch(self, name, key, at, received=None, persona=True):
        InteractionFactory(
            account=self.account(name, persona),
            touchpoint=self.tp[key],
            occurred_at=at,
            received_at=received or at,
        )

    def reach(self, name, key, at):
        MilestoneAchievementFactory(
            account=self.account(name), milestone=self.ms[key], occurred_at=at, received_at=at
        )

    def parse(self, **raw):
        return SPEC.parse(self.workspace, {"journey_map": gid(self.map)} | raw)

    def run(self, **raw):
        seen = []
        result = SPEC.compute(RunContext(self.workspace, self.parse(**raw), CUTOFF, seen.append))
        assert seen == sorted(seen)
        return result


@pytest.fixture
def world(workspace):
    w = World(workspace)
    # A: ad d0 (Aware), m1 d1, ad d2 (Evaluate: off-map), demo d3 (Evaluate), m2 d4,
    #    demo d4 (same instant as m2: Adopt, off-map), docs d5 (Adopt).
    w.touch("A", "ad", day(0))
    w.reach("A", "m1", day(1))
    w.touch("A", "ad", day(2))
    w.touch("A", "demo", day(3))
    w.reach("A", "m2", day(4))
    w.touch("A", "demo", day(4))
    w.touch("A", "docs", day(5))
    # B: ad d0 (Aware), m2 d10 (skips m1: Adopt), demo d11 (Adopt, off-map), m1 d20 (late).
    w.touch("B", "ad", day(0))
    w.reach("B", "m2", day(10))
    w.touch("B", "demo", day(11))
    w.reach("B", "m1", day(20))
    # C: ad d0, guide d150 (both Aware; guide is placed in Evaluate: off-map).
    w.touch("C", "ad", day(0))
    w.touch("C", "guide", day(150))
    # D: ad d0, then nothing received in time: docs d50 arrives after the cut-off.
    w.touch("D", "ad", day(0))
    w.touch("D", "docs", day(50), received=CUTOFF + timedelta(seconds=1))
    # E: only m3 (Adopt's exit) at d30.
    w.reach("E", "m3", day(30))
    # X has no persona: its blog touch does not count.
    w.touch("X", "blog", day(0), persona=False)
    return w


def stage(n):
    return {1: "Aware", 2: "Evaluate", 3: "Adopt"}[n]


def off_map(result):
    return [
        (row["stage_name"], row["touchpoint_key"], row["interactions"], row["accounts"])
        for row in result["off_map"]
    ]


def unused(result):
    return [
        (row["stage_name"], row["touchpoint_key"], row["interactions_elsewhere"])
        for row in result["unused"]
    ]


def out_of_order(result):
    return [
        (
            row["expected_stage_name"],
            row["reached_stage_name"],
            row["accounts"],
            row["reached_later"],
        )
        for row in result["out_of_order"]
    ]


def stalls(result):
    return [
        (row["stage_name"], row["emotion_score"], row["entered"], row["stalled"], row["stall_rate"])
        for row in result["stages"]
    ]


def test_off_map_touchpoints_all_data(world):
    result = world.run()
    # Aware: ad x4 (A, B, C, D: placed), guide x1 (C). Evaluate: ad x1 (A), demo x1 (A:
    # placed). Adopt: demo x2 (A at the tie, B), docs x1 (A: placed). 10 in all.
    assert off_map(result) == [
        ("Aware", "guide", 1, 1),
        ("Evaluate", "ad", 1, 1),
        ("Adopt", "demo", 2, 2),
    ]
    assert result["totals"] == {"accounts": 5, "interactions": 10, "off_map_interactions": 4}
    row = result["off_map"][0]
    assert row["stage_id"] == world.stages[0].pk
    assert row["touchpoint_id"] == world.tp["guide"].pk
    assert row["channel"] == "web"


def test_unused_placed_touchpoints_all_data(world):
    # Aware's blog is only touched by X (another persona); guide only at Aware.
    assert unused(world.run()) == [("Aware", "blog", 0), ("Evaluate", "guide", 1)]


def test_out_of_order_milestones(world):
    # B reached Evaluate's exit (d10) before Aware's (d20); E reached Adopt's exit without
    # ever reaching Aware's or Evaluate's. A reached them in order.
    assert out_of_order(world.run()) == [
        ("Aware", "Evaluate", 1, 1),
        ("Aware", "Adopt", 1, 0),
        ("Evaluate", "Adopt", 1, 0),
    ]


def test_stall_rates_beside_emotion(world):
    # End d200, stall 90 days: quiet since d110 or earlier.
    # Aware: A (left d1), B (left d10 by m2), C (last activity d150), D (last d0: stalls).
    # Evaluate: A only (d1 to d4); B went from Aware to Adopt at d10; E passed through.
    # Adopt: A (last d5), B (last d20), E (d30): all stall.
    assert stalls(world.run()) == [
        ("Aware", 2, 4, 1, 0.25),
        ("Evaluate", -3, 1, 0, 0.0),
        ("Adopt", 4, 3, 3, 1.0),
    ]


def test_measured_emotion_beside_the_designed_one(world):
    from accounts.models import FeedbackResponse

    def say(name, instrument, score, scale, at, persona=True):
        FeedbackResponse.objects.create(
            workspace=world.workspace,
            account=world.account(name, persona),
            occurred_at=at,
            received_at=at,
            client_id=f"fb-{FeedbackResponse.objects.count()}",
            instrument=instrument,
            score=score,
            scale_min=scale[0] if scale else None,
            scale_max=scale[1] if scale else None,
        )

    say("A", "nps", 10, (0, 10), day(0))  # Aware: -5 + 10 x 10/10 = 5
    say("A", "csat", 2, (1, 5), day(2))  # Evaluate: -5 + 10 x 1/4 = -2.5
    say("A", "ces", 4, (1, 7), day(3))  # Evaluate: -5 + 10 x 3/6 = 0
    say("A", "text", None, None, day(3))  # no score: left out
    say("B", "nps", 0, (0, 10), day(11))  # Adopt (B skipped to m2 at d10): -5
    say("B", "rating", 5, (1, 5), day(12))  # Adopt: 5
    say("X", "nps", 10, (0, 10), day(1), persona=False)  # another persona
    rows = [
        (row["stage_name"], row["emotion_score"], row["measured_score"],
         row["measured_responses"], row["emotion_gap"])
        for row in world.run()["stages"]
    ]  # fmt: skip
    assert rows == [
        ("Aware", 2, 5.0, 1, 3.0),
        ("Evaluate", -3, -1.25, 2, 1.75),
        ("Adopt", 4, 0.0, 2, -4.0),
    ]
    # Only responses in the period count.
    later = world.run(period_from=day(3).isoformat())["stages"]
    assert [(r["measured_score"], r["measured_responses"]) for r in later] == [
        (None, 0),
        (0.0, 1),
        (0.0, 2),
    ]


def test_period_and_stall_days(world):
    result = world.run(period_from=day(3).isoformat(), period_to=day(100), stall_days=30)
    # In [d3, d100): A demo d3 (Evaluate), demo d4, docs d5 (Adopt), B demo d11 (Adopt).
    assert result["totals"]["interactions"] == 4
    assert off_map(result) == [("Adopt", "demo", 2, 2)]
    assert unused(result) == [("Aware", "ad", 0), ("Aware", "blog", 0), ("Evaluate", "guide", 0)]
    # Reached in the period: B's m2 (d10), E's m3 (d30); A's m1 (d1) is before it.
    assert out_of_order(result) == [
        ("Aware", "Evaluate", 1, 1),
        ("Aware", "Adopt", 1, 0),
        ("Evaluate", "Adopt", 1, 0),
    ]
    # Quiet since d70. Aware: A left before d3; B (left d10), C (last d0 before d100), D.
    # Evaluate: A (left d4). Adopt: A, B, E.
    assert stalls(result) == [
        ("Aware", 2, 3, 2, 2 / 3),
        ("Evaluate", -3, 1, 0, 0.0),
        ("Adopt", 4, 3, 3, 1.0),
    ]
    assert result["period"] == {"from": day(3).isoformat(), "to": day(100).isoformat()}
    assert result["stall_days"] == 30


def test_result_follows_the_contract(world):
    result = world.run()
    assert set(result) == {
        "journey_map",
        "period",
        "stall_days",
        "totals",
        "off_map",
        "unused",
        "out_of_order",
        "stages",
    }
    assert result["journey_map"] == {
        "id": gid(world.map),
        "name": world.map.name,
        "persona": "buyer",
        "version": 1,
    }
    assert result["period"] == {"from": None, "to": CUTOFF.isoformat()}


def test_map_without_exits_or_interactions(workspace):
    persona = PersonaFactory(workspace=workspace)
    journey_map = JourneyMapFactory(
        workspace=workspace, persona=persona, status=JourneyMap.Status.PUBLISHED
    )
    only = StageFactory(journey_map=journey_map, position=1, name="Only")
    placement = StageTouchpointFactory(stage=only, position=1)
    account = AccountFactory(workspace=workspace, persona=persona)
    InteractionFactory(
        account=account, touchpoint=placement.touchpoint, occurred_at=day(0), received_at=day(0)
    )
    parameters = SPEC.parse(workspace, {"journey_map": gid(journey_map)})
    result = SPEC.compute(RunContext(workspace, parameters, CUTOFF, lambda _: None))
    assert result["off_map"] == []
    assert result["unused"] == []
    assert result["out_of_order"] == []
    assert [(r["entered"], r["stalled"]) for r in result["stages"]] == [(1, 1)]


# Parameters ------------------------------------------------------------------------------


def errors(world, **raw) -> dict:
    with pytest.raises(ValidationError) as caught:
        SPEC.parse(world.workspace, raw)
    return {field: [e.code for e in errs] for field, errs in caught.value.error_dict.items()}


def test_parse_fills_in_defaults(world):
    assert world.parse() == {
        "journey_map": gid(world.map),
        "period_from": None,
        "period_to": None,
        "stall_days": 90,
        "map_version": None,
    }


def test_parse_refuses_maps_that_are_not_published(world):
    draft = JourneyMapFactory(workspace=world.workspace, status=JourneyMap.Status.DRAFT)
    elsewhere = JourneyMapFactory(workspace=WorkspaceFactory(), status=JourneyMap.Status.PUBLISHED)
    assert errors(world) == {"journeyMap": ["required"]}
    assert errors(world, journey_map=gid(draft)) == {"journeyMap": ["not_published"]}
    assert errors(world, journey_map=gid(elsewhere)) == {"journeyMap": ["not_found"]}
    assert errors(world, journey_map=gid(world.stages[0])) == {"journeyMap": ["not_found"]}
    assert errors(world, journey_map="not an id") == {"journeyMap": ["not_found"]}


def test_parse_checks_the_other_fields(world):
    journey_map = gid(world.map)
    assert errors(world, journey_map=journey_map, stall_days=0) == {"stallDays": ["invalid"]}
    assert errors(world, journey_map=journey_map, stall_days="9") == {"stallDays": ["invalid"]}
    assert errors(world, journey_map=journey_map, period_from="2024-01-01T00:00:00") == {
        "periodFrom": ["naive_datetime"]
    }
    assert errors(
        world, journey_map=journey_map, period_from=day(5).isoformat(), period_to=day(1)
    ) == {"periodTo": ["invalid"]}
    assert errors(world, journey_map=journey_map, persona="x") == {"persona": ["invalid"]}


# GraphQL types (the lead mounts them) ----------------------------------------------------


def test_input_and_typed_result(world):
    from analytics.graphql.map_fit import MapFitReportInput, MapFitReportMutation, MapFitResult
    from analytics.models import Report

    given = MapFitReportInput(
        journey_map=relay.GlobalID("JourneyMap", str(world.map.pk)), period_to=day(100)
    )
    assert given.to_parameters() == {
        "journey_map": gid(world.map),
        "period_to": day(100).isoformat(),
    }
    parameters = world.parse(**given.to_parameters())
    report = Report(
        workspace=world.workspace,
        kind=ReportKind.MAP_FIT,
        parameters=parameters,
        status=Report.Status.SUCCEEDED,
        result=SPEC.compute(RunContext(world.workspace, parameters, CUTOFF, lambda _: None)),
    )
    typed = MapFitResult.from_report(report)
    assert typed.journey_map == relay.GlobalID("JourneyMap", str(world.map.pk))
    assert typed.period_to == day(100)
    # Before d100: C's guide (d150) is left out.
    assert [(r.stage.name, r.touchpoint.key, r.interactions) for r in typed.off_map] == [
        ("Evaluate", "ad", 1),
        ("Adopt", "demo", 2),
    ]
    assert typed.out_of_order[0].expected.id == relay.GlobalID("Stage", str(world.stages[0].pk))
    assert [r.stall_rate for r in typed.stages] == [
        row["stall_rate"] for row in report.result["stages"]
    ]
    report.status = Report.Status.RUNNING
    assert MapFitResult.from_report(report) is None
    report.status, report.kind = Report.Status.SUCCEEDED, ReportKind.ATTRIBUTION
    assert MapFitResult.from_report(report) is None

    import strawberry

    @strawberry.type
    class Query:
        ok: bool = True

    sdl = str(strawberry.Schema(query=Query, mutation=MapFitReportMutation))
    assert "mapFitReportRequest(input: MapFitReportInput!)" in sdl
    assert "union MapFitReportRequestPayload = Report | OperationInfo" in sdl
