"""Attribution engine: small journeys whose credits are computed by hand (the arithmetic
is in the comments), every filter and dimension, spend, and the backend-specific SQL.
Runs on SQLite and on PostgreSQL (scripts/with-postgres.sh)."""

from datetime import timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from accounts.models import Interaction
from analytics.attribution import markov, shapley, sql
from analytics.attribution.dimensions import NO_TOUCH, prorated
from analytics.models import Report, Spend
from journeys.models import JourneyMap, Persona, Stage, StageTouchpoint, Touchpoint
from tests.attribution_helpers import World, credits, day, model, rows, values

pytestmark = pytest.mark.django_db
approx = pytest.approx


def close(actual: dict, expected: dict):
    """Same keys, and each value equal to 1e-9 (keys missing from `expected` are 0)."""
    for key in set(actual) | set(expected):
        assert actual.get(key, 0.0) == approx(expected.get(key, 0.0), abs=1e-9), key


# The worked example of docs/attribution.md ----------------------------------------------


@pytest.fixture
def example(workspace):
    w = World(
        workspace,
        {"ad": "paid_ads", "blog": "content", "webinar": "webinar", "demo": "sales"},
    )
    # A: ad (day 0), blog (2), webinar (5), lead reached (5, 12:00), demo (9), opportunity
    # (9, 12:00), won (10) for 1000. B: blog (1), demo (3), won (4) for 500.
    # C: ad (0), ad (1), blog (2), never converts.
    for account, touchpoint, at in [
        ("A", "ad", day(0)),
        ("A", "blog", day(2)),
        ("A", "webinar", day(5)),
        ("A", "demo", day(9)),
        ("B", "blog", day(1)),
        ("B", "demo", day(3)),
        ("C", "ad", day(0)),
        ("C", "ad", day(1)),
        ("C", "blog", day(2)),
    ]:
        w.touch(account, touchpoint, at)
    w.reach("A", day(5, 12), milestone=w.lead)
    w.reach("A", day(9, 12), milestone=w.opp)
    w.convert("A", day(10), value=1000)
    w.convert("B", day(4), value=500)
    return w


EXAMPLE_TOUCHPOINT_CREDITS = {
    # A has 4 touches, B 2.
    "first_touch": {"ad": 1, "blog": 1},
    "last_touch": {"demo": 2},
    # A: 1/4 each; B: 1/2 each.
    "linear": {"ad": 0.25, "blog": 0.75, "webinar": 0.25, "demo": 0.75},
    # A: ages 10, 8, 5, 1 days, half-life 7: 2^(-9/7), 2^(-7/7), 2^(-4/7), 1 over their sum
    # 2.583118 -> .158788, .193565, .260519, .387129.
    # B: ages 3, 1: 2^(-2/7) = .820335 and 1 over 1.820335 -> .450651, .549349.
    "time_decay": {
        "ad": 0.158788,
        "blog": 0.193565 + 0.450651,
        "webinar": 0.260519,
        "demo": 0.387129 + 0.549349,
    },
    # A: 40/10/10/40; B: 50/50.
    "position_based": {"ad": 0.4, "blog": 0.1 + 0.5, "webinar": 0.1, "demo": 0.4 + 0.5},
    # A: first ad, lead webinar (last touch before 5 12:00), opportunity demo: 30% each,
    # blog 10%. B reaches neither anchor: first touch (blog) 90%, demo 10%.
    "w_shaped": {"ad": 0.3, "blog": 0.1 + 0.9, "webinar": 0.3, "demo": 0.3 + 0.1},
    # A: first ad, lead webinar, opportunity demo, last demo: 22.5% each (demo 45%),
    # blog 10%. B: first blog and last demo are the only anchors and the only touches:
    # 50/50.
    "full_path": {"ad": 0.225, "blog": 0.1 + 0.5, "webinar": 0.225, "demo": 0.45 + 0.5},
}


def test_worked_example_rule_models(example):
    result = example.run(lead_milestone="lead", opportunity_milestone="opp")
    assert result["totals"] == {
        "conversions": 2,
        "value": 1500.0,
        "converting_journeys": 2,
        "non_converting_journeys": 1,
        "touches": 6,
    }
    for name, expected in EXAMPLE_TOUCHPOINT_CREDITS.items():
        got = credits(result, name, "touchpoint")
        for key, value in expected.items():
            assert got[key] == approx(value, abs=1e-6), (name, key)
        assert sum(got.values()) == approx(2)
        assert sum(values(result, name, "touchpoint").values()) == approx(1500)
    # Values: A's shares times 1000 plus B's times 500; linear: ad 250, blog 250 + 250...
    close(
        values(result, "linear", "touchpoint"),
        {"ad": 250, "blog": 500, "webinar": 250, "demo": 500},
    )
    close(
        values(result, "w_shaped", "touchpoint"),
        {"ad": 300, "blog": 100 + 450, "webinar": 300, "demo": 300 + 50},
    )


def test_worked_example_markov(example):
    # Channel paths: A paid_ads > content > webinar > sales (converts), B content > sales
    # (converts), C paid_ads > content (ad, ad collapsed; does not convert).
    # START -> paid_ads 2/3, -> content 1/3; paid_ads -> content 1; content -> webinar,
    # sales, NULL 1/3 each; webinar -> sales 1; sales -> CONVERSION 1.
    # P(conv) from content = 2/3, so P = 2/3 * 2/3 + 1/3 * 2/3 = 2/3.
    # Without paid_ads: P = 1/3 * 2/3 = 2/9, RE = 1 - (2/9)/(2/3) = 2/3.
    # Without content or sales: P = 0, RE = 1. Without webinar: P = 1/3, RE = 1/2.
    # Sum of RE = 19/6; credit = 2 * RE / (19/6): 8/19, 12/19, 6/19, 12/19.
    result = example.run(models=["markov"])
    effects = {e["state"]: e["removal_effect"] for e in model(result, "markov")["removal_effects"]}
    close(effects, {"paid_ads": 2 / 3, "content": 1, "webinar": 0.5, "sales": 1})
    close(
        credits(result, "markov", "channel"),
        {"paid_ads": 8 / 19, "content": 12 / 19, "webinar": 6 / 19, "sales": 12 / 19},
    )
    close(
        values(result, "markov", "channel"),
        {"paid_ads": 1500 * 4 / 19, "content": 1500 * 6 / 19, "webinar": 1500 * 3 / 19}
        | {"sales": 1500 * 6 / 19},
    )
    # Data-driven models give rows of their state's dimension only.
    assert {row["dimension"] for row in model(result, "markov")["rows"]} == {"channel"}
    assert rows(result, "markov", "channel")["content"]["touches"] == 2  # A's blog, B's blog


def test_worked_example_shapley(example):
    # v(S) = conversions of journeys whose channel set is inside S. Sets: A {paid_ads,
    # content, webinar, sales} (1 conversion, 1000), B {content, sales} (1, 500).
    # phi = sum over sets containing the channel of conversions / set size:
    # paid_ads 1/4, content 1/4 + 1/2, webinar 1/4, sales 1/4 + 1/2.
    result = example.run(models=["shapley"])
    close(
        credits(result, "shapley", "channel"),
        {"paid_ads": 0.25, "content": 0.75, "webinar": 0.25, "sales": 0.75},
    )
    close(
        values(result, "shapley", "channel"),
        {"paid_ads": 250, "content": 500, "webinar": 250, "sales": 500},
    )


def test_every_dimension_adds_up_to_the_totals(example):
    result = example.run(lead_milestone="lead", opportunity_milestone="opp")
    for entry in result["models"]:
        for dimension in {row["dimension"] for row in entry["rows"]}:
            got = [row for row in entry["rows"] if row["dimension"] == dimension]
            assert sum(row["conversions"] for row in got) == approx(2), entry["model"]
            assert sum(row["value"] for row in got) == approx(1500), entry["model"]
            assert sum(row["touches"] for row in got) == 6


def test_result_follows_the_contract(example):
    result = example.run()
    assert set(result) == {"totals", "models", "notes"}
    assert [entry["model"] for entry in result["models"]] == [
        "first_touch",
        "last_touch",
        "linear",
        "time_decay",
        "position_based",
        "w_shaped",
        "full_path",
        "markov",
        "shapley",
    ]
    row = model(result, "linear")["rows"][0]
    assert set(row) == {
        "dimension",
        "key",
        "label",
        "conversions",
        "value",
        "touches",
        "spend",
        "cost_per_conversion",
        "roi",
    }
    assert set(model(result, "markov")) == {"model", "rows", "removal_effects"}
    # No lead or opportunity milestone given: said once each.
    assert sum("No lead milestone" in note for note in result["notes"]) == 1
    assert sum("No opportunity milestone" in note for note in result["notes"]) == 1


def test_progress_is_reported_between_models(example):
    seen = []
    example.run(progress=seen.append)
    assert seen == sorted(seen)
    assert len(seen) >= 4
    assert all(0 <= percent <= 100 for percent in seen)


# Journeys -------------------------------------------------------------------------------


def test_journey_runs_from_the_previous_conversion(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content", "webinar": "webinar"})
    w.milestone("trial", is_conversion=True)  # a conversion milestone not in the report
    w.touch("X", "ad", day(0))
    w.convert("X", day(1), value=100)
    w.touch("X", "blog", day(1))  # at the conversion's time: still in its journey
    w.touch("X", "webinar", day(2))
    w.convert("X", day(3))  # no value: counts 0
    w.touch("X", "ad", day(4))  # after the last conversion: in no journey
    result = w.run(conversion_milestones=["won"])
    # Journey 1: ad, blog. Journey 2: webinar.
    assert result["totals"] == {
        "conversions": 2,
        "value": 100.0,
        "converting_journeys": 2,
        "non_converting_journeys": 0,
        "touches": 3,
    }
    close(credits(result, "first_touch", "touchpoint"), {"ad": 1, "webinar": 1})
    close(credits(result, "last_touch", "touchpoint"), {"blog": 1, "webinar": 1})
    close(values(result, "linear", "touchpoint"), {"ad": 50, "blog": 50})


def test_another_conversion_milestone_splits_journeys_only_when_chosen(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content"})
    trial = w.milestone("trial", is_conversion=True)
    w.touch("X", "ad", day(0))
    w.reach("X", day(1), milestone=trial, value=10)
    w.touch("X", "blog", day(2))
    w.convert("X", day(3), value=100)
    only_won = w.run(conversion_milestones=["won"], models=["first_touch"])
    close(credits(only_won, "first_touch", "touchpoint"), {"ad": 1})
    both = w.run(models=["first_touch"])  # default: every conversion milestone
    close(credits(both, "first_touch", "touchpoint"), {"ad": 1, "blog": 1})
    assert both["totals"]["value"] == 110


def test_ties_are_broken_by_id(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content"})
    w.touch("X", "blog", day(0))  # created first: lower id
    w.touch("X", "ad", day(0))
    w.convert("X", day(1))
    result = w.run(models=["first_touch", "last_touch", "position_based"])
    close(credits(result, "first_touch", "touchpoint"), {"blog": 1})
    close(credits(result, "last_touch", "touchpoint"), {"ad": 1})


def test_lookback_window_is_exact(workspace):
    w = World(workspace, {"old": "web", "edge": "email", "inside": "sales", "early": "web"})
    w.touch("X", "old", day(0))
    w.touch("X", "early", day(3) - timedelta(microseconds=1))  # 7 days + 1 µs before
    w.touch("X", "edge", day(3))  # exactly 7 days before: in
    w.touch("X", "inside", day(5))
    w.convert("X", day(10))
    result = w.run(lookback_days=7, models=["first_touch", "linear"])
    close(credits(result, "first_touch", "touchpoint"), {"edge": 1})
    close(credits(result, "linear", "touchpoint"), {"edge": 0.5, "inside": 0.5})
    assert result["totals"]["touches"] == 2
    everything = w.run(models=["first_touch"])
    close(credits(everything, "first_touch", "touchpoint"), {"old": 1})


def test_conversion_date_range(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content", "demo": "sales"})
    w.touch("X", "ad", day(0))
    w.convert("X", day(5), value=1)  # before the range: not attributed, still splits
    w.touch("X", "blog", day(8))
    w.convert("X", day(20), value=2)
    w.touch("Y", "demo", day(12))  # Y converts after the range: non-converting in it
    w.convert("Y", day(40), value=4)
    w.touch("Z", "demo", day(2))  # Z's only touch is before the range: no journey
    result = w.run(
        conversions_from=day(10).isoformat(),
        conversions_to=day(30).isoformat(),
        models=["first_touch", "markov"],
    )
    assert result["totals"]["conversions"] == 1
    assert result["totals"]["value"] == 2
    assert result["totals"]["non_converting_journeys"] == 1
    close(credits(result, "first_touch", "touchpoint"), {"blog": 1})


def test_persona_filter(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content"})
    buyer = Persona.objects.create(workspace=workspace, key="buyer", name="Buyer")
    other = Persona.objects.create(workspace=workspace, key="other", name="Other")
    w.account("X", persona=buyer)
    w.account("Y", persona=other)
    w.account("Z", persona=buyer)
    w.touch("X", "ad", day(0))
    w.convert("X", day(1), value=10)
    w.touch("Y", "blog", day(0))
    w.convert("Y", day(1), value=20)
    w.touch("Z", "blog", day(0))  # buyer, never converts
    result = w.run(persona="buyer", models=["first_touch"])
    assert result["totals"]["conversions"] == 1
    assert result["totals"]["value"] == 10
    assert result["totals"]["non_converting_journeys"] == 1
    close(credits(result, "first_touch", "touchpoint"), {"ad": 1})
    close(credits(result, "first_touch", "persona"), {"buyer": 1})


def test_only_data_received_by_the_cutoff_counts(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content", "demo": "sales"})
    cutoff = day(10)
    w.touch("X", "ad", day(0))
    w.touch("X", "blog", day(1), received=day(11))  # arrives late
    w.reach("X", day(2), milestone=w.won, received=day(12))  # arrives late: no split
    w.touch("X", "demo", day(3))
    w.convert("X", day(4), value=7)
    w.touch("Y", "demo", day(0))
    w.convert("Y", day(1), value=9, received=day(11))  # arrives late
    result = w.run(cutoff=cutoff, models=["linear"])
    assert result["totals"]["conversions"] == 1
    assert result["totals"]["value"] == 7
    close(credits(result, "linear", "touchpoint"), {"ad": 0.5, "demo": 0.5})
    later = w.run(cutoff=day(20), models=["linear"])
    assert later["totals"]["conversions"] == 3


def test_conversion_without_touch_goes_to_the_no_touch_row(workspace):
    w = World(workspace, {"ad": "paid_ads"})
    w.touch("X", "ad", day(0))
    w.convert("X", day(1), value=10)
    w.convert("Y", day(1), value=30)  # Y never touched anything
    result = w.run()
    assert result["totals"]["conversions"] == 2
    assert result["totals"]["converting_journeys"] == 1
    assert any("no touch" in note for note in result["notes"])
    for entry in result["models"]:
        for dimension in {row["dimension"] for row in entry["rows"]}:
            got = rows(result, entry["model"], dimension)
            assert got[NO_TOUCH]["conversions"] == 1
            assert got[NO_TOUCH]["value"] == 30
            assert got[NO_TOUCH]["touches"] == 0
            assert sum(row["conversions"] for row in got.values()) == approx(2)


def test_nothing_in_scope(workspace):
    w = World(workspace, {"ad": "paid_ads"})
    w.touch("X", "ad", day(0))
    result = w.run()
    assert result["totals"] == {
        "conversions": 0,
        "value": 0.0,
        "converting_journeys": 0,
        "non_converting_journeys": 1,
        "touches": 0,
    }
    assert all(entry["rows"] == [] for entry in result["models"])


def test_a_deleted_persona_matches_nothing(workspace):
    w = World(workspace, {"ad": "paid_ads"})
    persona = Persona.objects.create(workspace=workspace, key="gone", name="Gone")
    w.account("X", persona=persona)
    w.touch("X", "ad", day(0))
    w.convert("X", day(1))
    from analytics.attribution.parameters import parse_parameters
    from analytics.attribution.scope import scope_from

    parameters = parse_parameters(workspace, {"persona": "gone"})
    persona.delete()
    scope = scope_from(workspace, parameters, day(100))
    from analytics.attribution.compute import attribute

    result = attribute(scope, ("linear",), ("touchpoint",))
    assert result["totals"]["conversions"] == 0
    assert any("no longer exists" in note for note in result["notes"])


# Time decay and position-based ----------------------------------------------------------


def test_time_decay_uses_continuous_time(workspace):
    w = World(workspace, {"a": "web", "b": "email", "c": "sales"})
    w.touch("X", "a", day(0))  # 7 days before: weight 1/2
    w.touch("X", "b", day(3, 12))  # 3.5 days before: weight 2^(-1/2)
    w.touch("X", "c", day(7))  # at the conversion: weight 1
    w.convert("X", day(7))
    result = w.run(models=["time_decay"])
    total = 0.5 + 2**-0.5 + 1
    close(
        credits(result, "time_decay", "touchpoint"),
        {"a": 0.5 / total, "b": 2**-0.5 / total, "c": 1 / total},
    )
    slower = w.run(models=["time_decay"], half_life_days=14)  # 2^(-1/2), 2^(-1/4), 1
    total = 2**-0.5 + 2**-0.25 + 1
    close(
        credits(slower, "time_decay", "touchpoint"),
        {"a": 2**-0.5 / total, "b": 2**-0.25 / total, "c": 1 / total},
    )


def test_time_decay_survives_ancient_touches(workspace):
    w = World(workspace, {"a": "web", "b": "email"})
    w.touch("X", "a", day(0))
    w.touch("X", "b", day(3000))  # 2^(-3000 / 0.01) underflows; relative ages do not
    w.convert("X", day(3001))
    result = w.run(models=["time_decay"], half_life_days=0.01)
    close(credits(result, "time_decay", "touchpoint"), {"a": 0, "b": 1})


@pytest.fixture
def three_journeys(workspace):
    """P: p1, p2, p3, p4; Q: q1, q2; R: r1 -- one conversion each."""
    w = World(workspace)
    for key in ("p1", "p2", "p3", "p4", "q1", "q2", "r1"):
        w.touchpoint(key)
    for account, keys in (("P", ["p1", "p2", "p3", "p4"]), ("Q", ["q1", "q2"]), ("R", ["r1"])):
        for i, key in enumerate(keys):
            w.touch(account, key, day(i))
        w.convert(account, day(10))
    return w


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        # U-shaped 40/20/40: middle 20% over p2, p3; two touches 50/50; one touch 100%.
        ({}, {"p1": 0.4, "p2": 0.1, "p3": 0.1, "p4": 0.4, "q1": 0.5, "q2": 0.5, "r1": 1}),
        # J-shaped 20/60, 20% middle; two touches in proportion 20:60 = 25/75.
        (
            {"position_preset": "j_shaped"},
            {"p1": 0.2, "p2": 0.1, "p3": 0.1, "p4": 0.6, "q1": 0.25, "q2": 0.75, "r1": 1},
        ),
        # Inverse J 60/20.
        (
            {"position_preset": "inverse_j"},
            {"p1": 0.6, "p2": 0.1, "p3": 0.1, "p4": 0.2, "q1": 0.75, "q2": 0.25, "r1": 1},
        ),
        # Custom 30/50: middle 20%; two touches 30:50 = .375/.625.
        (
            {"position_first": 0.3, "position_last": 0.5},
            {"p1": 0.3, "p2": 0.1, "p3": 0.1, "p4": 0.5, "q1": 0.375, "q2": 0.625, "r1": 1},
        ),
        # 50/50: nothing for the middle.
        (
            {"position_first": 0.5, "position_last": 0.5},
            {"p1": 0.5, "p4": 0.5, "q1": 0.5, "q2": 0.5, "r1": 1},
        ),
        # 0/0: all for the middle; two touches 50/50.
        (
            {"position_first": 0, "position_last": 0},
            {"p2": 0.5, "p3": 0.5, "q1": 0.5, "q2": 0.5, "r1": 1},
        ),
    ],
)
def test_position_based(three_journeys, parameters, expected):
    result = three_journeys.run(models=["position_based"], **parameters)
    close(credits(result, "position_based", "touchpoint"), expected)


# W-shaped and full path -----------------------------------------------------------------


@pytest.fixture
def anchored(workspace):
    w = World(workspace)
    for key in ("j1", "x1", "x2", "y1", "y2", "y3", "z1", "z2", "z3"):
        w.touchpoint(key)
    for key in ("v1", "v2", "v3", "v4", "v5"):
        w.touchpoint(key)
    # J: one touch; lead and opportunity after it.
    w.touch("J", "j1", day(0))
    w.reach("J", day(1), milestone=w.lead)
    w.reach("J", day(2), milestone=w.opp)
    w.convert("J", day(3))
    # X: lead after x1, opportunity after x2.
    w.touch("X", "x1", day(0))
    w.reach("X", day(0, 1), milestone=w.lead)
    w.touch("X", "x2", day(1))
    w.reach("X", day(1, 1), milestone=w.opp)
    w.convert("X", day(2))
    # Y: no lead; opportunity after y2.
    w.touch("Y", "y1", day(0))
    w.touch("Y", "y2", day(1))
    w.reach("Y", day(1, 1), milestone=w.opp)
    w.touch("Y", "y3", day(2))
    w.convert("Y", day(3))
    # Z: lead before the first touch (no touch leads to it), opportunity after z3.
    w.reach("Z", day(0), milestone=w.lead)
    w.touch("Z", "z1", day(1))
    w.touch("Z", "z2", day(2))
    w.touch("Z", "z3", day(3))
    w.reach("Z", day(3, 1), milestone=w.opp)
    w.convert("Z", day(4))
    # V: five touches; lead and opportunity both right after v2 (the same anchor touch);
    # a later second lead does not move the anchor (the first achievement counts).
    for i in range(5):
        w.touch("V", f"v{i + 1}", day(i))
        if i == 1:
            w.reach("V", day(i, 1), milestone=w.lead)
            w.reach("V", day(i, 2), milestone=w.opp)
    w.reach("V", day(3, 1), milestone=w.lead)
    w.convert("V", day(5))
    return w


def test_w_shaped_edge_cases(anchored):
    result = anchored.run(models=["w_shaped"], lead_milestone="lead", opportunity_milestone="opp")
    close(
        credits(result, "w_shaped", "touchpoint"),
        {
            # J: first, lead and opportunity all on j1: 100%.
            "j1": 1,
            # X: first and lead on x1, opportunity on x2; no other touch, so the anchors
            # share everything: 2/3 and 1/3.
            "x1": 2 / 3,
            "x2": 1 / 3,
            # Y: lead missing; first y1 and opportunity y2 share 90% (45% each), y3 10%.
            "y1": 0.45,
            "y2": 0.45,
            "y3": 0.1,
            # Z: lead missing (no touch before it); first z1 45%, opportunity z3 45%.
            "z1": 0.45,
            "z2": 0.1,
            "z3": 0.45,
            # V: first v1 30%, lead + opportunity on v2 60%, v3..v5 10% / 3.
            "v1": 0.3,
            "v2": 0.6,
            "v3": 0.1 / 3,
            "v4": 0.1 / 3,
            "v5": 0.1 / 3,
        },
    )


def test_full_path_edge_cases(anchored):
    result = anchored.run(models=["full_path"], lead_milestone="lead", opportunity_milestone="opp")
    close(
        credits(result, "full_path", "touchpoint"),
        {
            "j1": 1,
            # X: first + lead on x1, opportunity + last on x2; 2 roles of 4 each.
            "x1": 0.5,
            "x2": 0.5,
            # Y: lead missing; first y1, opportunity y2, last y3 share everything: 1/3 each.
            "y1": 1 / 3,
            "y2": 1 / 3,
            "y3": 1 / 3,
            # Z: first z1, opportunity + last z3: 3 roles over 90%, z2 10%.
            "z1": 0.3,
            "z2": 0.1,
            "z3": 0.6,
            # V: first v1, lead + opportunity v2, last v5: 22.5% per role, v3, v4 5% each.
            "v1": 0.225,
            "v2": 0.45,
            "v3": 0.05,
            "v4": 0.05,
            "v5": 0.225,
        },
    )


def test_w_shaped_without_anchor_milestones(anchored):
    # Only the first touch is an anchor: 90% (100% with no other touch).
    result = anchored.run(models=["w_shaped"])
    got = credits(result, "w_shaped", "touchpoint")
    assert got["j1"] == approx(1)
    assert got["x1"] == approx(0.9)
    assert got["x2"] == approx(0.1)
    assert got["y1"] == approx(0.9)
    assert got["y2"] == approx(0.05)
    assert any("No lead milestone" in note for note in result["notes"])


def test_anchor_must_be_within_the_journey(workspace):
    w = World(workspace, {"a": "web", "b": "email", "c": "sales", "d": "event"})
    w.touch("X", "a", day(0))
    w.reach("X", day(0, 1), milestone=w.lead)  # in the first journey
    w.convert("X", day(1))
    w.touch("X", "b", day(2))
    w.touch("X", "c", day(3))
    w.touch("X", "d", day(4))
    w.convert("X", day(5))  # its journey b, c, d reaches no lead: first b 90%
    result = w.run(models=["w_shaped"], lead_milestone="lead")
    close(credits(result, "w_shaped", "touchpoint"), {"a": 1, "b": 0.9, "c": 0.05, "d": 0.05})


# Markov and Shapley ---------------------------------------------------------------------


@pytest.fixture
def orders(workspace):
    w = World(workspace, {"a1": "web", "a2": "web", "b": "email"})
    # P: web, web (another touchpoint: the same channel state), email -> converts.
    w.touch("P", "a1", day(0))
    w.touch("P", "a2", day(0, 12))
    w.touch("P", "b", day(1))
    w.convert("P", day(2))
    # Q: email, web -> does not convert. R: web -> does not convert.
    w.touch("Q", "b", day(0))
    w.touch("Q", "a1", day(1))
    w.touch("R", "a2", day(0))
    return w


def test_markov_first_order(orders):
    # Paths: web > email (conv), email > web (null), web (null).
    # START -> web 2/3, -> email 1/3; web -> email 1/3, -> NULL 2/3; email -> CONV 1/2,
    # -> web 1/2. h(email) = 1/2 + 1/2 h(web), h(web) = 1/3 h(email): h(email) = 3/5,
    # h(web) = 1/5; P = 2/3 * 1/5 + 1/3 * 3/5 = 1/3.
    # Without web: P = 1/3 * 1/2 = 1/6, RE = 1 - (1/6)/(1/3) = 1/2. Without email: RE 1.
    # Credits: (1/2) / (3/2) = 1/3 and 2/3.
    result = orders.run(models=["markov"])
    close(credits(result, "markov", "channel"), {"web": 1 / 3, "email": 2 / 3})
    assert rows(result, "markov", "channel")["web"]["touches"] == 2


def test_markov_second_order(orders):
    # States are pairs: (S,S) -> (S,web) 2/3, -> (S,email) 1/3; (S,web) -> (web,email)
    # 1/2, -> NULL 1/2; (web,email) -> CONV; (S,email) -> (email,web) -> NULL.
    # P = 2/3 * 1/2 = 1/3. Removing web or email removes (web,email): P = 0, RE = 1 each.
    result = orders.run(models=["markov"], markov_order=2)
    close(credits(result, "markov", "channel"), {"web": 0.5, "email": 0.5})


def test_markov_third_order_and_touchpoint_states(orders):
    result = orders.run(models=["markov", "shapley"], markov_order=3, markov_state="touchpoint")
    # Touchpoint paths: a1 > a2 > b (conv), b > a1, a2: every state on the only
    # converting path is needed (RE 1 each), so 1/3 each.
    close(credits(result, "markov", "touchpoint"), {"a1": 1 / 3, "a2": 1 / 3, "b": 1 / 3})
    close(credits(result, "shapley", "touchpoint"), {"a1": 1 / 3, "a2": 1 / 3, "b": 1 / 3})
    assert {row["dimension"] for row in model(result, "markov")["rows"]} == {"touchpoint"}


def test_markov_transitions_from_the_database_match_the_paths(orders):
    from analytics.attribution import journeys
    from analytics.attribution.parameters import parse_parameters
    from analytics.attribution.scope import scope_from

    scope = scope_from(orders.workspace, parse_parameters(orders.workspace, {}), day(100))
    converting = [(path, count) for path, count, _ in journeys.paths(scope, converting=True)]
    non_converting = [(path, count) for path, count, _ in journeys.paths(scope, converting=False)]
    assert sorted(converting) == [(("web", "email"), 1)]
    assert sorted(non_converting) == [(("email", "web"), 1), (("web",), 1)]
    for order in (1, 2, 3):
        from_sql = markov.transitions_from_steps(journeys.markov_steps(scope, order), order)
        assert from_sql == markov.transition_counts(converting, non_converting, order)


def test_removal_effects_exact_on_a_hand_chain():
    # The worked example's chain, solved with fractions: see test_worked_example_markov.
    converting = [(("paid_ads", "content", "webinar", "sales"), 1), (("content", "sales"), 1)]
    non_converting = [(("paid_ads", "content"), 1)]
    counts = markov.transition_counts(converting, non_converting, 1)
    effects = markov.removal_effects(counts, 1)
    assert effects.conversion_probability == approx(float(Fraction(2, 3)))
    close(effects.effects, {"paid_ads": 2 / 3, "content": 1, "webinar": 1 / 2, "sales": 1})
    chain = markov.Chain.from_counts(counts, 1)
    for name, effect in effects.effects.items():
        direct = markov.conversion_probability(chain, chain.removed(name))
        assert 1 - direct / effects.conversion_probability == approx(effect)


def test_markov_refuses_a_chain_beyond_the_exact_solver(orders, monkeypatch):
    monkeypatch.setattr(markov, "MAX_STATES", 2)
    with pytest.raises(markov.ChainTooLarge, match="more than the 2 the exact solver"):
        orders.run(models=["markov"])


def test_shapley_closed_form_equals_the_coalition_definition():
    # {a}: 1, {a, b}: 1, {a, b, c}: 1 -> phi_a = 1 + 1/2 + 1/3 = 11/6, phi_b = 1/2 + 1/3
    # = 5/6, phi_c = 1/3.
    sets = {
        frozenset("a"): (1, 10.0),
        frozenset("ab"): (1, 20.0),
        frozenset("abc"): (1, 30.0),
    }
    expected = {"a": (11 / 6, 10 + 10 + 10), "b": (5 / 6, 10 + 10), "c": (1 / 3, 10)}
    for got in (shapley.shapley(sets), shapley.shapley_by_coalitions(sets)):
        for player, (conversions, value) in expected.items():
            assert got[player][0] == approx(conversions)
            assert got[player][1] == approx(value)


# Dimensions and spend ---------------------------------------------------------------------


def test_channel_campaign_persona_and_stage_dimensions(workspace):
    w = World(workspace, {"ad": "paid_ads", "search": "paid_ads", "blog": "content"})
    buyer = Persona.objects.create(workspace=workspace, key="buyer", name="Buyer")
    published = JourneyMap.objects.create(
        workspace=workspace, persona=buyer, name="Buyer map", status="published"
    )
    draft_persona = Persona.objects.create(workspace=workspace, key="draft", name="Draft")
    draft = JourneyMap.objects.create(workspace=workspace, persona=draft_persona, name="Draft")
    aware = Stage.objects.create(
        workspace=workspace, journey_map=published, position=1, name="Aware"
    )
    decide = Stage.objects.create(
        workspace=workspace, journey_map=published, position=2, name="Decide"
    )
    draft_stage = Stage.objects.create(workspace=workspace, journey_map=draft, position=1, name="D")
    for stage, key, position in [
        (aware, "ad", 1),
        (decide, "blog", 1),
        (decide, "ad", 2),  # ad sits in two stages: the first (Aware) counts
        (draft_stage, "ad", 1),
    ]:
        StageTouchpoint.objects.create(
            workspace=workspace, stage=stage, touchpoint=w.touchpoints[key], position=position
        )
    w.account("X", persona=buyer)
    w.account("Y", persona=draft_persona)
    # X: ad (spring), search, blog (spring) -> linear thirds. Y: ad -> 1.
    w.touch("X", "ad", day(0), campaign="spring")
    w.touch("X", "search", day(1))
    w.touch("X", "blog", day(2), campaign="spring")
    w.convert("X", day(3), value=300)
    w.touch("Y", "ad", day(0), campaign="fall")
    w.convert("Y", day(1), value=100)
    result = w.run(models=["linear"])
    close(credits(result, "linear", "channel"), {"paid_ads": 2 / 3 + 1, "content": 1 / 3})
    close(credits(result, "linear", "campaign"), {"spring": 2 / 3, "": 1 / 3, "fall": 1})
    close(credits(result, "linear", "persona"), {"buyer": 1, "draft": 1})
    # Stages of the account's persona's published map: X's ad -> Aware, blog -> Decide,
    # search is off the map; Y's persona has only a draft map.
    close(
        credits(result, "linear", "stage"),
        {str(aware.pk): 1 / 3, str(decide.pk): 1 / 3, "": 1 / 3 + 1},
    )
    labels = {key: row["label"] for key, row in rows(result, "linear", "stage").items()}
    assert labels[str(aware.pk)] == "Buyer map: 1. Aware"
    assert labels[""] == "(no stage)"
    assert rows(result, "linear", "campaign")[""]["label"] == "(no campaign)"
    assert rows(result, "linear", "channel")["paid_ads"]["label"] == "Paid ads"
    assert rows(result, "linear", "channel")["paid_ads"]["touches"] == 3
    assert rows(result, "linear", "persona")["buyer"]["label"] == "Buyer"


def test_prorated_spend():
    start, end = day(0).date(), day(9).date()  # 10 days, 1000
    assert prorated(1000, start, end, None, None) == 1000
    assert prorated(1000, start, end, day(5).date(), None) == 500
    assert prorated(1000, start, end, day(5).date(), day(5).date()) == 100
    assert prorated(1000, start, end, day(10).date(), None) == 0


def test_spend_cost_per_conversion_and_roi(workspace):
    w = World(workspace, {"ad": "paid_ads", "search": "paid_ads", "blog": "content"})
    w.touch("X", "ad", day(5), campaign="spring")
    w.touch("X", "blog", day(6))
    w.convert("X", day(7), value=1000)
    for touchpoint, campaign, start, end, amount in [
        ("ad", "", 0, 9, 1000),  # 10 days, 5 of them (days 5-9) in the range: 500
        ("ad", "spring", 5, 5, 100),  # on the touchpoint and the campaign
        ("search", "", 5, 14, 200),  # no touch: a row with spend only
        (None, "spring", 0, 19, 400),  # days 5-14 of 20: 200
    ]:
        Spend.objects.create(
            workspace=workspace,
            touchpoint=w.touchpoints[touchpoint] if touchpoint else None,
            campaign=campaign,
            period_start=day(start).date(),
            period_end=day(end).date(),
            amount=amount,
        )
    result = w.run(
        models=["linear", "markov"],
        conversions_from=day(5).isoformat(),
        conversions_to=day(14, 23).isoformat(),
    )
    by_touchpoint = rows(result, "linear", "touchpoint")
    ad = by_touchpoint["ad"]
    assert ad["spend"] == approx(600)  # 500 + 100
    assert ad["cost_per_conversion"] == approx(600 / 0.5)
    assert ad["roi"] == approx((500 - 600) / 600)
    assert by_touchpoint["blog"]["spend"] is None
    assert by_touchpoint["blog"]["roi"] is None
    assert by_touchpoint["search"] == {
        "dimension": "touchpoint",
        "key": "search",
        "label": "Search",
        "conversions": 0.0,
        "value": 0.0,
        "touches": 0,
        "spend": 200.0,
        "cost_per_conversion": None,
        "roi": -1.0,
    }
    assert rows(result, "linear", "channel")["paid_ads"]["spend"] == approx(800)
    assert rows(result, "linear", "campaign")["spring"]["spend"] == approx(100 + 200)
    assert rows(result, "linear", "stage")[""]["spend"] is None
    assert rows(result, "markov", "channel")["paid_ads"]["spend"] == approx(800)


def test_spend_recorded_after_the_cutoff_is_ignored(workspace):
    w = World(workspace, {"ad": "paid_ads"})
    w.touch("X", "ad", day(0))
    w.convert("X", day(1), value=10)
    cutoff = timezone.now()
    Spend.objects.create(
        workspace=workspace,
        touchpoint=w.touchpoints["ad"],
        period_start=day(0).date(),
        period_end=day(0).date(),
        amount=5,
    )
    assert (
        rows(w.run(cutoff=cutoff, models=["linear"]), "linear", "touchpoint")["ad"]["spend"] is None
    )
    later = w.run(cutoff=timezone.now(), models=["linear"])
    assert rows(later, "linear", "touchpoint")["ad"]["spend"] == 5


# The backend-specific SQL (runs on whichever backend the suite runs on) -------------------


def test_seconds_between_and_days_before(workspace):
    w = World(workspace, {"a": "web"})
    late = w.touch("X", "a", day(10, 0) + timedelta(microseconds=250))
    exact = w.touch("X", "a", day(3, 0) + timedelta(microseconds=250))
    early = w.touch("X", "a", day(3, 0) + timedelta(microseconds=249))
    table = sql.table(Interaction)
    query = (
        f"SELECT b.id, {sql.seconds_between('a.occurred_at', 'b.occurred_at')}, "
        f"CASE WHEN {sql.at_most_days_before('b.occurred_at', 'a.occurred_at', 7)} "
        f"THEN 1 ELSE 0 END FROM {table} a, {table} b WHERE a.id = %s AND b.id IN (%s, %s) "
        "ORDER BY b.id"
    )
    got = sql.fetch(query, [late.pk, exact.pk, early.pk])
    assert got[0][1] == approx(7 * 86400)
    assert got[1][1] == approx(7 * 86400 + 1e-6)
    assert [row[2] for row in got] == [1, 0]


def test_path_strings_keep_order_and_ties(workspace):
    w = World(workspace)
    keys = [f"s{i}" for i in range(12)]
    for key in keys:
        w.touchpoint(key)
    # Inserted out of order; s5 and s6 share a time (s5 has the lower id).
    order = [3, 0, 7, 5, 6, 1, 11, 2, 9, 4, 10, 8]
    for i in order:
        at = day(5) if i in (5, 6) else day(i)
        w.touch("X", keys[i], at)
    w.touch("Y", "s1", day(0))
    source = (
        "SELECT i.account_id AS journey, i.occurred_at, i.id AS touch_id, tp.key AS state, "
        f"1 AS value FROM {sql.table(Touchpoint)} tp JOIN "
        f"{sql.table(Interaction)} i ON i.touchpoint_id = tp.id "
        "WHERE i.workspace_id = %s"
    )
    query = f"WITH src AS ({source}) {sql.path_strings('src', extra=('value',))}"
    got = {journey: path for journey, value, path in sql.fetch(query, [workspace.pk])}
    x, y = w.accounts["X"].pk, w.accounts["Y"].pk
    assert got[y] == "s1"
    assert got[x].split(",") == keys


# Through the report runner ----------------------------------------------------------------


def test_report_runs_to_success(example, django_capture_on_commit_callbacks):
    from analytics.runner import report_request

    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            workspace=example.workspace,
            kind="attribution",
            parameters={"models": ["linear", "markov"], "dimensions": ["channel"]},
        )
    report.refresh_from_db()
    assert report.status == Report.Status.SUCCEEDED, report.error
    assert report.progress == 100
    assert report.result["totals"]["conversions"] == 2
    close(
        credits(report.result, "linear", "channel"),
        {"paid_ads": 0.25, "content": 0.75, "webinar": 0.25, "sales": 0.75},
    )


def test_report_fails_with_a_clear_message(orders, monkeypatch, django_capture_on_commit_callbacks):
    from analytics.runner import report_request

    monkeypatch.setattr(markov, "MAX_STATES", 2)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            workspace=orders.workspace, kind="attribution", parameters={"models": ["markov"]}
        )
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "ChainTooLarge" in report.error
    assert "use a lower order" in report.error
