"""Paths report: small journeys whose paths, rates and transitions are counted by hand.
Runs on SQLite and on PostgreSQL (scripts/with-postgres.sh)."""

import pytest
from django.core.exceptions import ValidationError

from analytics.models import ReportKind
from analytics.registry import RunContext, spec_for
from tests.attribution_helpers import World, day

pytestmark = pytest.mark.django_db
SPEC = spec_for(ReportKind.PATHS)


def run(world: World, cutoff=None, **parameters) -> dict:
    complete = SPEC.parse(world.workspace, parameters)
    return SPEC.compute(
        RunContext(world.workspace, complete, cutoff or day(3650), lambda percent: None)
    )


def table(result: dict) -> list[tuple]:
    """(path, conversions, non-converting, rate, value) in the report's order."""
    return [
        (
            tuple(row["path"]),
            row["conversions"],
            row["non_converting"],
            pytest.approx(row["conversion_rate"]),
            pytest.approx(row["value"]),
        )
        for row in result["paths"]
    ]


def edges(result: dict) -> dict[tuple[str, str], int]:
    return {(row["from"], row["to"]): row["count"] for row in result["transitions"]}


@pytest.fixture
def world(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content", "demo": "sales"})
    # A: ad, ad, blog, demo, converts (100). B: ad, blog, demo, converts (50).
    # C: ad, blog, demo, never converts. D: blog, demo, converts (10).
    # E: ad, ad, blog, never converts.
    for account, keys in [
        ("A", ["ad", "ad", "blog", "demo"]),
        ("B", ["ad", "blog", "demo"]),
        ("C", ["ad", "blog", "demo"]),
        ("D", ["blog", "demo"]),
        ("E", ["ad", "ad", "blog"]),
    ]:
        for index, key in enumerate(keys):
            w.touch(account, key, day(index))
    w.convert("A", day(5), value=100)
    w.convert("B", day(5), value=50)
    w.convert("D", day(5), value=10)
    return w


def test_parse_fills_defaults(world):
    assert SPEC.parse(world.workspace, {}) == {
        "state": "touchpoint",
        "conversion_milestones": ["won"],
        "collapse_repeats": True,
        "max_length": 5,
        "start_touchpoint": None,
        "end_touchpoint": None,
        "top": 20,
        "conversions_from": None,
        "conversions_to": None,
    }


def test_parse_names_bad_fields(world):
    with pytest.raises(ValidationError) as raised:
        SPEC.parse(
            world.workspace,
            {
                "state": "campaign",
                "max_length": 0,
                "top": 1001,
                "start_touchpoint": "nope",
                "end_touchpoint": "nada",
                "collapse_repeats": "yes",
                "conversion_milestones": ["lost"],
                "conversions_from": "2024-03-02T00:00:00+00:00",
                "conversions_to": "2024-03-01T00:00:00+00:00",
                "colour": "red",
            },
        )
    assert set(raised.value.message_dict) == {
        "state",
        "maxLength",
        "top",
        "startTouchpoint",
        "endTouchpoint",
        "collapseRepeats",
        "conversionMilestones",
        "conversionsTo",
        "colour",
    }


def test_collapsed_paths_counts_rates_and_transitions(world):
    result = run(world)
    # Collapsed: A and B ad>blog>demo (convert), C ad>blog>demo (not), D blog>demo,
    # E ad>blog (not, and no converting journey has it, so it is no row).
    assert table(result) == [
        (("ad", "blog", "demo"), 2, 1, 2 / 3, 150),
        (("blog", "demo"), 1, 0, 1, 10),
    ]
    assert result["paths"][0]["labels"] == ["Ad", "Blog", "Demo"]
    assert result["paths"][0]["journeys"] == 3
    assert result["paths"][0]["length"] == 3
    assert result["totals"] == {
        "conversions": 3,
        "untouched_conversions": 0,
        "converting_journeys": 3,
        "non_converting_journeys": 2,
        "distinct_paths": 2,
    }
    # Converting journeys only: A, B (ad>blog>demo) and D (blog>demo).
    assert edges(result) == {
        ("(start)", "ad"): 2,
        ("(start)", "blog"): 1,
        ("ad", "blog"): 2,
        ("blog", "demo"): 3,
        ("demo", "(conversion)"): 3,
    }
    assert [row["count"] for row in result["transitions"]] == [3, 3, 2, 2, 1]
    assert [node["key"] for node in result["nodes"]] == [
        "(start)",
        "ad",
        "blog",
        "demo",
        "(conversion)",
    ]


def test_uncollapsed_paths_keep_repeats(world):
    result = run(world, collapse_repeats=False)
    # A ad>ad>blog>demo; B ad>blog>demo with C; D blog>demo. Ties on conversions go to
    # the higher rate, then the path.
    assert table(result) == [
        (("ad", "ad", "blog", "demo"), 1, 0, 1, 100),
        (("blog", "demo"), 1, 0, 1, 10),
        (("ad", "blog", "demo"), 1, 1, 0.5, 50),
    ]
    assert edges(result) == {
        ("(start)", "ad"): 2,
        ("(start)", "blog"): 1,
        ("ad", "ad"): 1,
        ("ad", "blog"): 2,
        ("blog", "demo"): 3,
        ("demo", "(conversion)"): 3,
    }


def test_max_length_keeps_the_last_states(world):
    # Cut to the last 2 collapsed states: A, B, C, D blog>demo; E ad>blog.
    result = run(world, max_length=2)
    assert table(result) == [(("blog", "demo"), 3, 1, 0.75, 160)]
    assert edges(result) == {
        ("(start)", "blog"): 3,
        ("blog", "demo"): 3,
        ("demo", "(conversion)"): 3,
    }
    # Uncollapsed, the cut comes after: A's ad>ad>blog>demo -> blog>demo too; E ad>blog.
    assert table(run(world, max_length=2, collapse_repeats=False)) == [
        (("blog", "demo"), 3, 1, 0.75, 160)
    ]
    # Length 1: every converting path is demo; C demo; E blog.
    assert table(run(world, max_length=1)) == [(("demo",), 3, 1, 0.75, 160)]


def test_start_and_end_filters(world):
    # Begin with ad: A, B, C (ad>blog>demo) and E (ad>blog); D is out.
    result = run(world, start_touchpoint="ad")
    assert table(result) == [(("ad", "blog", "demo"), 2, 1, 2 / 3, 150)]
    assert result["totals"]["converting_journeys"] == 2
    assert result["totals"]["non_converting_journeys"] == 2
    assert edges(result) == {
        ("(start)", "ad"): 2,
        ("ad", "blog"): 2,
        ("blog", "demo"): 2,
        ("demo", "(conversion)"): 2,
    }
    # End with blog: only E, which does not convert.
    result = run(world, end_touchpoint="blog")
    assert result["paths"] == []
    assert result["transitions"] == []
    assert result["nodes"] == []
    assert result["totals"]["non_converting_journeys"] == 1
    # Both, on the cut paths: start blog (after cutting to 2), end demo.
    result = run(world, start_touchpoint="blog", end_touchpoint="demo", max_length=2)
    assert table(result) == [(("blog", "demo"), 3, 1, 0.75, 160)]
    # A start that no path has.
    assert run(world, start_touchpoint="demo")["paths"] == []


def test_top_n(world):
    assert table(run(world, top=1)) == [(("ad", "blog", "demo"), 2, 1, 2 / 3, 150)]


def test_channel_state(workspace):
    w = World(workspace, {"ad": "paid_ads", "ad2": "paid_ads", "webinar": "webinar"})
    for index, key in enumerate(["ad", "ad2", "webinar"]):
        w.touch("F", key, day(index))
    w.convert("F", day(5))
    result = run(w, state="channel", start_touchpoint="ad2")
    assert table(result) == [(("paid_ads", "webinar"), 1, 0, 1, 0)]
    assert result["paths"][0]["labels"] == ["Paid ads", "Webinar"]
    assert table(run(w, state="channel", collapse_repeats=False)) == [
        (("paid_ads", "paid_ads", "webinar"), 1, 0, 1, 0)
    ]
    assert table(run(w)) == [(("ad", "ad2", "webinar"), 1, 0, 1, 0)]


def test_journeys_split_at_conversions_range_and_cutoff(workspace):
    w = World(workspace, {"ad": "paid_ads", "blog": "content", "demo": "sales"})
    # G: ad, converts (day 1), blog, converts (day 3), demo received after the cut-off,
    # converts (day 5). H converts on day 2 after a demo: no touch, no path.
    w.touch("G", "ad", day(0))
    w.convert("G", day(1))
    w.touch("G", "blog", day(2))
    w.convert("G", day(3))
    w.touch("G", "demo", day(4), received=day(20))
    w.convert("G", day(5))
    w.convert("H", day(2))
    result = run(w, cutoff=day(10))
    assert table(result) == [(("ad",), 1, 0, 1, 0), (("blog",), 1, 0, 1, 0)]
    assert result["totals"]["conversions"] == 4
    assert result["totals"]["untouched_conversions"] == 2
    assert result["notes"]
    ranged = run(w, cutoff=day(10), conversions_from=day(2).isoformat())
    assert table(ranged) == [(("blog",), 1, 0, 1, 0)]
    assert table(run(w)) == [
        (("ad",), 1, 0, 1, 0),
        (("blog",), 1, 0, 1, 0),
        (("demo",), 1, 0, 1, 0),
    ]
