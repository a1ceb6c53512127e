"""Stage funnel: a small world whose funnel is computed by hand (the arithmetic is in
the comments): entered and advanced counts, a skipped stage, stalled against advanced,
median and 90th percentile, churn after conversion with the value lost, the persona
breakdown, the as-of time, the cut-off and the parameter errors. Runs on SQLite and on
PostgreSQL (scripts/with-postgres.sh)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics.funnel.compute import percentile
from analytics.registry import RunContext, spec_for
from journeys.models import JourneyMap, Milestone, Persona, Stage, StageMilestone, Touchpoint

pytestmark = pytest.mark.django_db
approx = pytest.approx
T0 = datetime(2024, 1, 1, tzinfo=UTC)
CUTOFF = T0 + timedelta(days=200)


def day(days: float) -> datetime:
    return T0 + timedelta(days=days)


class FunnelWorld:
    def __init__(self, workspace):
        self.workspace = workspace
        self.p = Persona.objects.create(workspace=workspace, key="p", name="P")
        self.q = Persona.objects.create(workspace=workspace, key="q", name="Q")
        self.map = JourneyMap.objects.create(
            workspace=workspace, persona=self.p, name="P map", status="published"
        )
        self.touchpoint = Touchpoint.objects.create(
            workspace=workspace, key="site", name="Site", channel="web", phase="purchase"
        )
        self.milestones = {}
        for position, key in [(1, "signup"), (2, "demo"), (3, "won")]:
            stage = Stage.objects.create(
                workspace=workspace, journey_map=self.map, position=position, name=key
            )
            milestone = Milestone.objects.create(
                workspace=workspace,
                key=key,
                name=key,
                is_conversion=key == "won",
                value=Decimal("1000") if key == "won" else None,
            )
            StageMilestone.objects.create(
                workspace=workspace, journey_map=self.map, stage=stage, milestone=milestone
            )
            self.milestones[key] = milestone
        self.accounts = {}
        self.events = 0

    def account(self, name, persona=None):
        if name not in self.accounts:
            self.accounts[name] = Account.objects.create(
                workspace=self.workspace, name=name, persona=persona
            )
        return self.accounts[name]

    def _client_id(self):
        self.events += 1
        return f"e{self.events}"

    def touch(self, name, at, received=None):
        Interaction.objects.create(
            workspace=self.workspace,
            account=self.account(name),
            touchpoint=self.touchpoint,
            occurred_at=at,
            received_at=received or at,
            client_id=self._client_id(),
        )

    def reach(self, name, key, at, value=None, received=None):
        MilestoneAchievement.objects.create(
            workspace=self.workspace,
            account=self.account(name),
            milestone=self.milestones[key],
            occurred_at=at,
            received_at=received or at,
            value=value,
            client_id=self._client_id(),
        )

    def run(self, cutoff=CUTOFF, **raw):
        spec = spec_for("funnel")
        parameters = spec.parse(self.workspace, {"map_persona": "p", **raw})
        return spec.compute(RunContext(self.workspace, parameters, cutoff, lambda p: None))


@pytest.fixture
def world(workspace):
    w = FunnelWorld(workspace)
    # Stall 90 days before the cut-off (day 200): quiet since day 110.
    w.account("A", w.p)  # signup 10, demo 30, won 60 (default value 1000), active at 150
    w.touch("A", day(0))
    w.reach("A", "signup", day(10))
    w.reach("A", "demo", day(30))
    w.reach("A", "won", day(60))
    w.touch("A", day(150))
    w.account("B", w.p)  # signup 20, last activity 50: stalled in stage 2
    w.touch("B", day(0))
    w.reach("B", "signup", day(20))
    w.touch("B", day(50))
    w.account("C", w.q)  # signup 104, active at 120: in stage 2, not stalled
    w.touch("C", day(100))
    w.reach("C", "signup", day(104))
    w.touch("C", day(120))
    w.account("D", w.q)  # won at 40 (for 500) straight from stage 1: skips 2 and 3;
    w.touch("D", day(0))  # quiet since: churned after conversion, 500 lost
    w.reach("D", "won", day(40), value=Decimal("500"))
    w.account("E")  # no persona; one touch at 0: stalled in stage 1
    w.touch("E", day(0))
    w.account("F", w.p)  # signup 6, then nothing: stalled in stage 2
    w.touch("F", day(0))
    w.reach("F", "signup", day(6))
    # Received after the cut-off: not counted at all.
    w.account("G", w.p)
    w.touch("G", day(1), received=CUTOFF + timedelta(seconds=1))
    w.reach("A", "signup", day(2), received=CUTOFF + timedelta(seconds=1))
    return w


def by_position(rows):
    return {row["position"]: row for row in rows}


def test_stages_hand_computed(world):
    result = world.run()
    assert result["journey_map"] == {
        "id": str(world.map.pk),
        "name": "P map",
        "persona": "p",
        "version": 1,
    }
    assert result["stall_days"] == 90
    assert result["as_of"] == CUTOFF.isoformat()
    stages = by_position(result["stages"])
    # Stage 1: A, B, C, D, E, F entered; all but E advanced, after 10, 20, 4, 40, 6 days.
    # Sorted 4, 6, 10, 20, 40: median 10; p90 at position 0.9 * 4 = 3.6: 20 + 0.6 * 20.
    assert stages[1] | {"conversion_rate": None} == {
        "stage_id": str(Stage.objects.get(journey_map=world.map, position=1).pk),
        "position": 1,
        "name": "signup",
        "entered": 6,
        "advanced": 5,
        "in_stage": 1,
        "conversion_rate": None,
        "skipped": 0,
        "median_days": 10.0,
        "p90_days": approx(32.0),
        "timed": 5,
        "stalled": 1,  # E
        "churned": 0,
        "value_lost": 0.0,
    }
    assert stages[1]["conversion_rate"] == approx(5 / 6)
    # Stage 2: A (10), B (20), C (104), D (40), F (6) entered; A advanced after 20 days,
    # D skipped it (won at 40 moves it through 2 and 3 at once: not timed).
    # B (last 50) and F (last 6) stalled; C was active at 120.
    s2 = stages[2]
    assert (s2["entered"], s2["advanced"], s2["in_stage"], s2["skipped"]) == (5, 2, 3, 1)
    assert (s2["median_days"], s2["p90_days"], s2["timed"]) == (20.0, 20.0, 1)
    assert (s2["stalled"], s2["churned"]) == (2, 0)
    assert s2["conversion_rate"] == approx(0.4)
    # Stage 3: A (30 -> 60) and D (skipped) entered and advanced; D churned where it is.
    s3 = stages[3]
    assert (s3["entered"], s3["advanced"], s3["skipped"], s3["timed"]) == (2, 2, 1, 1)
    assert (s3["median_days"], s3["p90_days"], s3["stalled"]) == (30.0, 30.0, 0)
    assert (s3["churned"], s3["value_lost"]) == (1, 500.0)
    assert result["totals"] == {"accounts": 6, "churned": 1, "value_lost": 500.0}
    assert result["personas"] == []


def test_by_persona(world):
    result = world.run(by_persona=True)
    personas = {entry["persona"]: entry for entry in result["personas"]}
    assert sorted(personas) == ["", "p", "q"]
    assert personas[""]["label"] == "(no persona)"
    p, q, none = (by_position(personas[key]["stages"]) for key in ("p", "q", ""))
    # P: A, B, F; stage 1 times 10, 20, 6: median 10, p90 at 1.8: 10 + 0.8 * 10 = 18.
    assert (p[1]["entered"], p[1]["advanced"], p[1]["median_days"]) == (3, 3, 10.0)
    assert p[1]["p90_days"] == approx(18.0)
    assert (p[2]["entered"], p[2]["advanced"], p[2]["stalled"]) == (3, 1, 2)
    assert (p[3]["entered"], p[3]["churned"]) == (1, 0)
    # Q: C, D; stage 1 times 4, 40: median 22, p90 at 0.9: 4 + 0.9 * 36 = 36.4.
    assert (q[1]["entered"], q[1]["median_days"]) == (2, 22.0)
    assert q[1]["p90_days"] == approx(36.4)
    assert (q[2]["entered"], q[2]["skipped"], q[2]["stalled"]) == (2, 1, 0)
    assert (q[3]["churned"], q[3]["value_lost"]) == (1, 500.0)
    # No persona: E, stalled in stage 1.
    assert (none[1]["entered"], none[1]["advanced"], none[1]["stalled"]) == (1, 0, 1)
    assert none[2]["entered"] == 0
    assert none[2]["conversion_rate"] is None
    # The breakdown adds up to the whole.
    overall = by_position(result["stages"])
    for position in (1, 2, 3):
        for name in ("entered", "advanced", "stalled", "churned", "skipped"):
            assert (
                sum(by_position(e["stages"])[position][name] for e in personas.values())
                == (overall[position][name])
            )


def test_stall_days_configurable(world):
    # Quiet since day 0: only E (last activity at 0) is stalled; D (last 40) not churned.
    result = world.run(stall_days=200)
    stages = by_position(result["stages"])
    assert [stages[i]["stalled"] for i in (1, 2, 3)] == [1, 0, 0]
    assert result["totals"] == {"accounts": 6, "churned": 0, "value_lost": 0.0}


def test_as_of(world):
    # At day 35: A is in stage 3 (demo at 30), D has not won yet (it does at 40) and is
    # still in stage 1; C has not appeared. Quiet since day 35 - 90: nobody stalled.
    result = world.run(as_of=day(35).isoformat())
    stages = by_position(result["stages"])
    assert [stages[i]["entered"] for i in (1, 2, 3)] == [5, 3, 1]
    assert [stages[i]["advanced"] for i in (1, 2, 3)] == [3, 1, 0]
    assert [stages[i]["stalled"] for i in (1, 2, 3)] == [0, 0, 0]
    assert result["totals"]["churned"] == 0


def test_churn_counts_every_conversion_value(world):
    # A second conversion for D, without a value: the milestone's default 1000 counts.
    world.reach("D", "won", day(45))
    result = world.run()
    assert result["totals"] == {"accounts": 6, "churned": 1, "value_lost": 1500.0}
    # A converted customer that stays active is not churned: A again at day 190.
    world.reach("A", "won", day(190), value=Decimal("10"))
    assert world.run()["totals"]["churned"] == 1


def test_milestone_before_first_interaction_enters_stage_one_then(workspace):
    w = FunnelWorld(workspace)
    w.account("H", w.p)
    w.reach("H", "signup", day(5))  # no interaction at all
    stages = by_position(w.run()["stages"])
    assert (stages[1]["entered"], stages[1]["advanced"], stages[1]["median_days"]) == (1, 1, 0.0)
    assert (stages[2]["entered"], stages[2]["stalled"]) == (1, 1)


def test_empty_funnel(workspace):
    w = FunnelWorld(workspace)
    result = w.run()
    assert [row["entered"] for row in result["stages"]] == [0, 0, 0]
    assert result["stages"][0]["median_days"] is None
    assert result["totals"] == {"accounts": 0, "churned": 0, "value_lost": 0.0}


def test_percentile_interpolates():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([40.0, 4.0, 20.0, 6.0, 10.0], 0.9) == approx(32.0)


def errors_of(workspace, raw):
    with pytest.raises(ValidationError) as caught:
        spec_for("funnel").parse(workspace, raw)
    return {field: [e.code for e in errors] for field, errors in caught.value.error_dict.items()}


def test_parameters(workspace):
    w = FunnelWorld(workspace)
    assert spec_for("funnel").parse(workspace, {"map_persona": "p"}) == {
        "map_persona": "p",
        "stall_days": 90,
        "as_of": None,
        "by_persona": False,
        "map_version": None,
    }
    draft = Persona.objects.create(workspace=workspace, key="draft", name="Draft")
    JourneyMap.objects.create(workspace=workspace, persona=draft, name="Draft map")
    assert errors_of(workspace, {"map_persona": "draft"}) == {"mapPersona": ["not_published"]}
    assert errors_of(workspace, {"map_persona": "nope"}) == {"mapPersona": ["not_found"]}
    assert errors_of(workspace, {}) == {"mapPersona": ["required"]}
    assert errors_of(
        workspace,
        {"map_persona": "p", "stall_days": 0, "as_of": "2024-01-01", "by_persona": "yes", "x": 1},
    ) == {
        "stallDays": ["invalid"],
        "asOf": ["naive_datetime"],
        "byPersona": ["invalid"],
        "x": ["invalid"],
    }
    # An archived map is refused too, and a report whose map was unpublished fails.
    w.map.status = "archived"
    w.map.save()
    assert errors_of(workspace, {"map_persona": "p"}) == {"mapPersona": ["not_published"]}
    with pytest.raises(ValueError, match="no longer has a published journey map"):
        spec_for("funnel").compute(
            RunContext(
                workspace,
                {"map_persona": "p", "stall_days": 90, "as_of": None, "by_persona": False},
                CUTOFF,
                lambda p: None,
            )
        )


def test_other_workspace_is_invisible(world, other_workspace):
    other = FunnelWorld(other_workspace)
    other.account("Z", other.p)
    other.touch("Z", day(0))
    assert world.run()["totals"]["accounts"] == 6
    assert other.run()["totals"]["accounts"] == 1


def test_typed_result_and_input(world):
    from analytics.graphql.funnel import FunnelReportInput, FunnelResult
    from analytics.models import Report

    given = FunnelReportInput(map_persona="p", as_of=day(35), by_persona=True)
    assert given.to_parameters() == {
        "map_persona": "p",
        "as_of": day(35).isoformat(),
        "by_persona": True,
    }
    result = world.run(by_persona=True)
    report = Report(workspace=world.workspace, kind="funnel", status="succeeded", result=result)
    typed = FunnelResult.from_report(report)
    assert typed.totals.value_lost == 500.0
    assert [stage.entered for stage in typed.stages] == [6, 5, 2]
    assert typed.stages[0].p90_days == approx(32.0)
    assert {entry.persona for entry in typed.personas} == {"", "p", "q"}
    assert typed.as_of == CUTOFF
    assert FunnelResult.from_report(Report(kind="funnel", status="running")) is None
    assert (
        FunnelResult.from_report(Report(kind="attribution", status="succeeded", result=result))
        is None
    )
