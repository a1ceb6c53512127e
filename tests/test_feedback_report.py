"""The feedback report on a hand-computed fixture: NPS, CSAT, CES; per persona, period and
stage at the time of the response; comment samples; the typed GraphQL result."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import FeedbackResponse
from analytics.models import Report, ReportKind
from analytics.registry import RunContext, spec_for
from journeys.models import JourneyMap
from tests.factories import (
    AccountFactory,
    JourneyMapFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
)

pytestmark = pytest.mark.django_db

SPEC = spec_for(ReportKind.FEEDBACK)
BASE = datetime(2026, 1, 1, tzinfo=UTC)
CUTOFF = BASE + timedelta(days=200)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5), "text": (None, None)}


def day(n: float) -> datetime:
    return BASE + timedelta(days=n)


class World:
    def __init__(self, workspace):
        self.workspace = workspace
        self.buyer = PersonaFactory(workspace=workspace, key="buyer", name="Buyer")
        self.other = PersonaFactory(workspace=workspace, key="other", name="Other")
        self.map = JourneyMapFactory(
            workspace=workspace, persona=self.buyer, status=JourneyMap.Status.PUBLISHED
        )
        JourneyMapFactory(workspace=workspace, persona=self.other)  # a draft: no stages
        self.stages = [
            StageFactory(journey_map=self.map, position=p, name=n)
            for p, n in [(1, "Aware"), (2, "Evaluate"), (3, "Adopt")]
        ]
        self.ms = {}
        for index, stage in enumerate(self.stages, start=1):
            milestone = MilestoneFactory(workspace=workspace, key=f"m{index}")
            StageMilestoneFactory(stage=stage, milestone=milestone)
            self.ms[f"m{index}"] = milestone
        self.accounts = {}
        self.n = 0

    def account(self, name, persona):
        if name not in self.accounts:
            self.accounts[name] = AccountFactory(
                workspace=self.workspace, name=name, persona=persona
            )
        return self.accounts[name]

    def say(self, name, persona, instrument, score, at, comment="", received=None):
        self.n += 1
        low, high = SCALES[instrument]
        FeedbackResponse.objects.create(
            workspace=self.workspace,
            account=self.account(name, persona),
            occurred_at=at,
            received_at=received or at,
            client_id=f"fb-{self.n}",
            instrument=instrument,
            score=None if score is None else Decimal(str(score)),
            scale_min=low,
            scale_max=high,
            comment=comment,
        )

    def reach(self, name, key, at, received=None):
        MilestoneAchievementFactory(
            account=self.accounts[name],
            milestone=self.ms[key],
            occurred_at=at,
            received_at=received or at,
        )

    def run(self, **raw):
        seen = []
        parameters = SPEC.parse(self.workspace, raw)
        result = SPEC.compute(RunContext(self.workspace, parameters, CUTOFF, seen.append))
        assert seen == sorted(seen)
        return result


@pytest.fixture
def world(workspace):
    w = World(workspace)
    buyer, other = w.buyer, w.other
    # A (buyer): NPS 10 d0 (Aware); m1 d1; NPS 6 and CSAT 5 d2 (Evaluate); m2 d4;
    # CES 6 d4 (same instant as m2: Adopt); NPS 9 d5 (Adopt).
    w.say("A", buyer, "nps", 10, day(0))
    w.reach("A", "m1", day(1))
    w.say("A", buyer, "nps", 6, day(2))
    w.say("A", buyer, "csat", 5, day(2), comment="Great demo")
    w.reach("A", "m2", day(4))
    w.say("A", buyer, "ces", 6, day(4))
    w.say("A", buyer, "nps", 9, day(5))
    # B (buyer): NPS 3 d0 (Aware); m2 d10 (skips m1: Adopt); CSAT 3 d11, RATING 4.5 d12.
    w.say("B", buyer, "nps", 3, day(0))
    w.reach("B", "m2", day(10))
    w.say("B", buyer, "csat", 3, day(11), comment="Hard to set up")
    w.say("B", buyer, "rating", "4.5", day(12), comment="Solid")
    # C (other: no published map): NPS 8 d3, a comment d40 (February).
    w.say("C", other, "nps", 8, day(3))
    w.say("C", other, "text", None, day(40), comment="Where are the docs?")
    # X (no persona): CES 2 d35, CSAT 4 d36 (February).
    w.say("X", None, "ces", 2, day(35))
    w.say("X", None, "csat", 4, day(36))
    # D (buyer): its only response arrives after the cut-off.
    w.say("D", buyer, "nps", 0, day(50), received=CUTOFF + timedelta(seconds=1))
    # E (buyer): m1 d60 arrives after the cut-off, so NPS 7 d61 (March) is still Aware.
    w.say("E", buyer, "nps", 7, day(61))
    w.reach("E", "m1", day(60), received=CUTOFF + timedelta(seconds=1))
    return w


def metrics(responses, nps=(0, 0, 0, 0, None), csat=(0, 0, None), ces=(0, None),
            rating=(0, None), text=0, comments=0):  # fmt: skip
    return {
        "responses": responses,
        "nps": dict(
            zip(("responses", "promoters", "passives", "detractors", "score"), nps, strict=True)
        ),
        "csat": dict(zip(("responses", "satisfied", "percent"), csat, strict=True)),
        "ces": dict(zip(("responses", "mean"), ces, strict=True)),
        "rating": dict(zip(("responses", "mean"), rating, strict=True)),
        "text_responses": text,
        "comments": comments,
    }


def without_samples(row):
    return {k: v for k, v in row.items() if k != "comment_samples"}


def test_totals(world):
    result = world.run()
    # NPS: 10, 6, 9, 3, 8, 7: promoters 2 (10, 9), detractors 2 (6, 3): (2 - 2) / 6 = 0.
    # CSAT: 5, 3, 4: satisfied 2 of 3. CES: 6, 2: mean 4. Rating: 4.5.
    assert result["totals"] == metrics(
        13, nps=(6, 2, 2, 2, 0.0), csat=(3, 2, 66.67), ces=(2, 4.0), rating=(1, 4.5),
        text=1, comments=4,
    )  # fmt: skip


def test_per_persona(world):
    rows = world.run()["by_persona"]
    assert rows == [
        {"persona": "buyer", "persona_name": "Buyer", **metrics(
            9, nps=(5, 2, 1, 2, 0.0), csat=(2, 1, 50.0), ces=(1, 6.0), rating=(1, 4.5),
            comments=3)},
        {"persona": "other", "persona_name": "Other", **metrics(
            2, nps=(1, 0, 1, 0, 0.0), text=1, comments=1)},
        {"persona": None, "persona_name": None, **metrics(
            2, csat=(1, 1, 100.0), ces=(1, 2.0))},
    ]  # fmt: skip


def test_per_period(world):
    rows = world.run()["by_period"]
    assert rows == [
        {"period_start": "2026-01-01T00:00:00+00:00", **metrics(
            9, nps=(5, 2, 1, 2, 0.0), csat=(2, 1, 50.0), ces=(1, 6.0), rating=(1, 4.5),
            comments=3)},
        {"period_start": "2026-02-01T00:00:00+00:00", **metrics(
            3, csat=(1, 1, 100.0), ces=(1, 2.0), text=1, comments=1)},
        {"period_start": "2026-03-01T00:00:00+00:00", **metrics(1, nps=(1, 0, 1, 0, 0.0))},
    ]  # fmt: skip


def test_per_stage_at_the_time_of_the_response(world):
    rows = world.run()["by_stage"]
    head = {"journey_map_id": world.map.pk, "journey_map_name": world.map.name,
            "persona": "buyer"}  # fmt: skip
    aware, evaluate, adopt = world.stages
    assert [without_samples(row) for row in rows] == [
        # A's NPS 10 and B's NPS 3 on d0, E's NPS 7 (its m1 arrived too late).
        head | {"stage_id": aware.pk, "stage_position": 1, "stage_name": "Aware"}
        | metrics(3, nps=(3, 1, 1, 1, 0.0)),
        # A's NPS 6 and CSAT 5 on d2, after m1.
        head | {"stage_id": evaluate.pk, "stage_position": 2, "stage_name": "Evaluate"}
        | metrics(2, nps=(1, 0, 0, 1, -100.0), csat=(1, 1, 100.0), comments=1),
        # A's CES at m2's instant and NPS 9; B's CSAT and rating after skipping to m2.
        head | {"stage_id": adopt.pk, "stage_position": 3, "stage_name": "Adopt"}
        | metrics(4, nps=(1, 1, 0, 0, 100.0), csat=(1, 0, 0.0), ces=(1, 6.0),
                  rating=(1, 4.5), comments=2),
        # Accounts without a published map: C (other persona) and X (no persona).
        {"journey_map_id": None, "journey_map_name": None, "persona": None, "stage_id": None,
         "stage_position": None, "stage_name": None}
        | metrics(4, nps=(1, 0, 1, 0, 0.0), csat=(1, 1, 100.0), ces=(1, 2.0), text=1,
                  comments=1),
    ]  # fmt: skip
    samples = [[s["comment"] for s in row["comment_samples"]] for row in rows]
    assert samples == [[], ["Great demo"], ["Solid", "Hard to set up"], ["Where are the docs?"]]
    assert rows[2]["comment_samples"][0] == {
        "occurred_at": day(12).isoformat(),
        "instrument": "rating",
        "score": 4.5,
        "comment": "Solid",
        "account_id": world.accounts["B"].pk,
    }


def test_filters_samples_and_threshold(world):
    result = world.run(persona="buyer", csat_satisfied_min=3, comment_samples=1)
    assert result["totals"]["responses"] == 9
    assert result["totals"]["csat"] == {"responses": 2, "satisfied": 2, "percent": 100.0}
    assert [row["persona"] for row in result["by_persona"]] == ["buyer"]
    assert [len(row["comment_samples"]) for row in result["by_stage"]] == [0, 1, 1, 0]
    later = world.run(period_from=day(30).isoformat(), period_to=day(61).isoformat())
    # X's two, C's comment; E's d61 is at the period's end, so left out.
    assert later["totals"]["responses"] == 3
    assert later["period"] == {"from": day(30).isoformat(), "to": day(61).isoformat()}


def test_parse_fills_in_defaults_and_names_bad_fields(world):
    assert SPEC.parse(world.workspace, {}) == {
        "persona": None,
        "period_from": None,
        "period_to": None,
        "granularity": "month",
        "csat_satisfied_min": 4,
        "comment_samples": 3,
    }
    with pytest.raises(ValidationError) as caught:
        SPEC.parse(
            world.workspace,
            {"persona": "nobody", "granularity": "year", "csat_satisfied_min": 0,
             "comment_samples": 21, "period_from": "2026-01-01", "colour": 1},
        )  # fmt: skip
    codes = {field: [e.code for e in errors] for field, errors in caught.value.error_dict.items()}
    assert codes == {
        "persona": ["not_found"],
        "granularity": ["invalid_choice"],
        "csatSatisfiedMin": ["invalid"],
        "commentSamples": ["invalid"],
        "periodFrom": ["invalid"],
        "colour": ["invalid"],
    }


def test_weekly_periods_start_on_monday(world):
    rows = world.run(granularity="week", persona="other")["by_period"]
    # d3 = Sunday 4 January 2026: its ISO week starts on Monday 29 December 2025.
    assert [row["period_start"][:10] for row in rows] == ["2025-12-29", "2026-02-09"]


FEEDBACK_REPORT = """
mutation ($input: FeedbackReportInput!) {
  feedbackReportRequest(input: $input) { ... on Report { id status } }
}
"""
READ = """
query ($id: ID!) { node(id: $id) { ... on Report { status feedback {
  granularity totals { responses nps { score } csat { percent } ces { mean } }
  byPersona { persona metrics { responses } }
  byStage { stageName stage metrics { nps { score } } commentSamples { comment account } }
} } } }
"""


def test_request_and_read_over_graphql(world, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = editor(FEEDBACK_REPORT, {"input": {"granularity": "MONTH"}}).data
    report_id = body["feedbackReportRequest"]["id"]
    data = editor(READ, {"id": report_id}).data["node"]
    assert data["status"] == "SUCCEEDED"
    feedback = data["feedback"]
    assert feedback["granularity"] == "MONTH"
    # The data cut-off is now: D's late NPS 0 counts, (2 - 3) / 7 = -14.29.
    assert feedback["totals"] == {
        "responses": 14, "nps": {"score": -14.29}, "csat": {"percent": 66.67}, "ces": {"mean": 4.0}
    }  # fmt: skip
    assert [row["stageName"] for row in feedback["byStage"]] == ["Aware", "Evaluate", "Adopt", None]
    assert feedback["byStage"][3]["stage"] is None
    assert feedback["byStage"][1]["commentSamples"][0]["comment"] == "Great demo"
    assert Report.objects.get().kind == ReportKind.FEEDBACK
    bad = editor(FEEDBACK_REPORT, {"input": {"commentSamples": 99}}).data
    assert bad["feedbackReportRequest"].get("id") is None


def test_stage_at_the_time_follows_the_map_version_in_force(workspace):
    from tests.test_map_versions import World as Versioned
    from tests.test_map_versions import day as on

    v = Versioned(workspace)  # v1 from 1 Jan: Discover, Evaluate, Buy; v2 from 1 Feb:
    # Discover, Purchase (Buy renamed), Evaluate; exits signup, won, trial in v2's order.
    for n, (account, instrument, score, at) in enumerate(
        [
            (v.a, "nps", 10, on(1, 15)),  # v1, after signup: Evaluate
            (v.a, "rating", 4, on(1, 25)),  # v1, after trial: Buy, which v2 calls Purchase
            (v.a, "nps", 0, on(2, 16)),  # v2: trial is Evaluate's exit, the last: Evaluate
            (v.b, "csat", 5, on(2, 12)),  # v2, after signup: Purchase
            (v.b, "csat", 1, on(2, 22)),  # v2, after won (Purchase's exit): Evaluate
            (v.c, "nps", 8, on(2, 12)),  # no exit yet: Discover
        ]
    ):
        low, high = SCALES[instrument]
        FeedbackResponse.objects.create(
            workspace=workspace, account=account, occurred_at=at, received_at=at,
            client_id=f"v-{n}", instrument=instrument, score=score, scale_min=low,
            scale_max=high,
        )  # fmt: skip
    parameters = SPEC.parse(workspace, {})
    result = SPEC.compute(RunContext(workspace, parameters, on(3, 1), lambda _: None))
    rows = [
        (r["stage_name"], r["responses"], r["nps"]["score"], r["csat"]["percent"])
        for r in result["by_stage"]
    ]
    assert rows == [
        ("Discover", 1, 0.0, None),
        ("Purchase", 2, None, 100.0),
        ("Evaluate", 3, 0.0, 0.0),
        (None, 0, None, None),
    ]
