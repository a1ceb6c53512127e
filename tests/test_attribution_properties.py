"""Property-based tests of the attribution engine (hypothesis).

Random small worlds (touchpoints over a few channels, accounts with touches, lead and
opportunity milestones and conversions on a coarse time grid, so ties are common) and
random parameters. The engine's SQL result is checked against

- invariants: each conversion's credits sum to 1 and to its value (every journey's
  touches carry their own campaign, so the campaign rows are per conversion), every
  dimension of every model adds up to the totals;
- a plain Python reference that walks each journey touch by touch (fine for a test,
  never for the engine): the journeys, every rule-based model's credit per touchpoint,
  the Markov transition counts, and Shapley values by enumerating coalitions.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Interaction, MilestoneAchievement
from analytics.attribution import journeys, markov, shapley
from analytics.attribution.dimensions import NO_TOUCH
from analytics.attribution.parameters import parse_parameters
from analytics.attribution.rule_models import RULE_MODELS, position_shares
from analytics.attribution.scope import scope_from
from tests.attribution_helpers import World, day
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db
approx = pytest.approx
CHANNELS = ("web", "email", "sales")
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Worlds -------------------------------------------------------------------------------


@st.composite
def moments(draw):
    return day(draw(st.integers(0, 12)), draw(st.sampled_from([0, 12])))


@st.composite
def worlds(draw):
    touchpoints = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4))
    accounts = []
    for _ in range(draw(st.integers(1, 4))):
        events = draw(
            st.lists(
                st.one_of(
                    st.tuples(st.just("touch"), st.integers(0, len(touchpoints) - 1), moments()),
                    st.tuples(
                        st.just("convert"),
                        st.one_of(st.none(), st.integers(0, 1000)),
                        moments(),
                    ),
                    st.tuples(st.sampled_from(["lead", "opp"]), st.none(), moments()),
                ),
                max_size=8,
            )
        )
        accounts.append(events)
    return touchpoints, accounts


@st.composite
def parameter_sets(draw):
    parameters = {
        "lookback_days": draw(st.one_of(st.none(), st.integers(1, 8))),
        "half_life_days": draw(st.sampled_from([0.5, 1, 7, 30])),
        "markov_order": draw(st.integers(1, 3)),
        "markov_state": draw(st.sampled_from(["channel", "touchpoint"])),
    }
    if draw(st.booleans()):
        parameters["lead_milestone"] = "lead"
    if draw(st.booleans()):
        parameters["opportunity_milestone"] = "opp"
    shares = draw(
        st.one_of(
            st.sampled_from(["u_shaped", "j_shaped", "inverse_j"]),
            st.tuples(st.sampled_from([0, 0.1, 0.25, 0.5]), st.sampled_from([0, 0.3, 0.5])),
        )
    )
    if isinstance(shares, str):
        parameters["position_preset"] = shares
    else:
        parameters["position_first"], parameters["position_last"] = shares
    if draw(st.booleans()):
        first = draw(st.integers(0, 12))
        parameters["conversions_from"] = day(first).isoformat()
        parameters["conversions_to"] = day(first + draw(st.integers(0, 8)), 12).isoformat()
    return parameters


@dataclass
class Touch:
    id: int
    touchpoint: str
    channel: str
    at: object


@dataclass
class Journey:
    conversion_id: int | None
    value: float
    at: object = None
    touches: list[Touch] = field(default_factory=list)
    lead_at: object = None
    opp_at: object = None


def build(workspace, touchpoints, accounts):
    """Write the world; every touch's campaign names the journey it belongs to by the
    definition (the next conversion at or after it), 'tail' after the last one."""
    w = World(workspace, {f"t{i}": channel for i, channel in enumerate(touchpoints)})
    rows = []
    for a, events in enumerate(accounts):
        for kind, what, at in events:
            if kind == "touch":
                continue
            milestone = {"convert": w.won, "lead": w.lead, "opp": w.opp}[kind]
            rows.append(w.reach_row(f"A{a}", at, what, milestone))
    achievements = MilestoneAchievement.objects.bulk_create(rows)
    conversions = {}  # account -> [(at, id, value)] in journey order
    for row in achievements:
        if row.milestone_id == w.won.pk:
            value = float(row.value) if row.value is not None else 0.0
            conversions.setdefault(row.account.name, []).append((row.occurred_at, row.pk, value))
    for items in conversions.values():
        items.sort()
    touches = []
    for a, events in enumerate(accounts):
        name = f"A{a}"
        for kind, what, at in events:
            if kind != "touch":
                continue
            owner = next((c for c in conversions.get(name, []) if c[0] >= at), None)
            campaign = f"conv-{owner[1]}" if owner else "tail"
            touches.append(w.touch_row(name, f"t{what}", at, campaign=campaign))
    Interaction.objects.bulk_create(touches)
    return w, achievements


# The reference ------------------------------------------------------------------------


def reference(w, achievements, parameters):
    """Journeys in scope, by the definitions in docs/attribution.md, event by event."""
    lookback = parameters.get("lookback_days")
    low = parameters.get("conversions_from")
    high = parameters.get("conversions_to")
    low = parse_datetime(low) if low else None
    high = parse_datetime(high) if high else None

    def in_range(at):
        return (low is None or at >= low) and (high is None or at <= high)

    interactions = list(
        Interaction.objects.filter(workspace=w.workspace).select_related("touchpoint", "account")
    )
    converting, non_converting = [], []
    for account in w.accounts.values():
        mine = sorted(
            (t.occurred_at, t.pk, t.touchpoint.key, t.touchpoint.channel)
            for t in interactions
            if t.account_id == account.pk
        )
        touches = [Touch(pk, key, channel, at) for at, pk, key, channel in mine]
        reached = [a for a in achievements if a.account_id == account.pk]
        wins = sorted((a.occurred_at, a.pk, a) for a in reached if a.milestone_id == w.won.pk)
        previous = None
        for at, pk, achievement in wins:
            start = previous
            previous = at
            if not in_range(at):
                continue
            value = float(achievement.value) if achievement.value is not None else 0.0
            journey = Journey(pk, value, at)

            def inside(moment, at=at, start=start):
                return (
                    moment <= at
                    and (start is None or moment > start)
                    and (lookback is None or at - moment <= timedelta(days=lookback))
                )

            journey.touches = [t for t in touches if inside(t.at)]
            for name, milestone in (("lead_at", w.lead), ("opp_at", w.opp)):
                times = [
                    a.occurred_at
                    for a in reached
                    if a.milestone_id == milestone.pk and inside(a.occurred_at)
                ]
                setattr(journey, name, min(times) if times else None)
            converting.append(journey)
        if not any(in_range(at) for at, _, _ in wins):
            kept = [t for t in touches if in_range(t.at)]
            if kept and lookback is not None:
                last = kept[-1].at
                kept = [t for t in kept if last - t.at <= timedelta(days=lookback)]
            if kept:
                non_converting.append(Journey(None, 0.0, touches=kept))
    return converting, non_converting


def reference_weights(model, journey, parameters, first, last):
    """Shares of one journey's touches, by the definitions, written plainly."""
    touches = journey.touches
    n = len(touches)
    if model == "first_touch":
        return [1.0] + [0.0] * (n - 1)
    if model == "last_touch":
        return [0.0] * (n - 1) + [1.0]
    if model == "linear":
        return [1.0 / n] * n
    if model == "time_decay":
        half_life = parameters["half_life_days"] * 86400
        ages = [(journey.at - t.at).total_seconds() for t in touches]
        youngest = min(ages)
        raw = [2.0 ** (-(age - youngest) / half_life) for age in ages]
        return [r / sum(raw) for r in raw]
    if model == "position_based":
        if n == 1:
            return [1.0]
        if n == 2:
            return list(position_shares(first, last))
        return [first] + [(1 - first - last) / (n - 2)] * (n - 2) + [last]
    # W-shaped, full path: the roles present, each on its touch.
    roles = [0]
    for moment, milestone in (
        (journey.lead_at, parameters["lead_milestone"]),
        (journey.opp_at, parameters["opportunity_milestone"]),
    ):
        if milestone is None:
            continue  # no anchor milestone: the anchor is missing
        before = [i for i, t in enumerate(touches) if moment is not None and t.at <= moment]
        if before:
            roles.append(before[-1])
    if model == "full_path":
        roles.append(n - 1)
    anchors = set(roles)
    rest = [i for i in range(n) if i not in anchors]
    weights = [0.0] * n
    for i in roles:
        weights[i] += (0.9 if rest else 1.0) / len(roles)
    for i in rest:
        weights[i] += 0.1 / len(rest)
    return weights


def collapse(states):
    out = []
    for state in states:
        if not out or out[-1] != state:
            out.append(state)
    return tuple(out)


def run(w, parameters):
    return w.run(**parameters)


def by_dimension(entry, dimension):
    return {row["key"]: row for row in entry["rows"] if row["dimension"] == dimension}


# Properties ---------------------------------------------------------------------------


@HYPOTHESIS
@given(world=worlds(), parameters=parameter_sets())
def test_rule_models_match_the_reference_and_keep_the_invariants(db, world, parameters):
    w, achievements = build(WorkspaceFactory(), *world)
    parameters = {**parameters, "models": list(RULE_MODELS)}
    result = run(w, parameters)
    complete = parse_parameters(w.workspace, parameters)
    converting, non_converting = reference(w, achievements, complete)

    touched = [j for j in converting if j.touches]
    totals = result["totals"]
    assert totals["conversions"] == len(converting)
    assert totals["value"] == approx(sum(j.value for j in converting))
    assert totals["converting_journeys"] == len(touched)
    assert totals["non_converting_journeys"] == len(non_converting)
    assert totals["touches"] == sum(len(j.touches) for j in converting)

    first, last = complete["position_first"], complete["position_last"]
    for entry in result["models"]:
        name = entry["model"]
        # Every dimension adds up to the totals.
        for dimension in complete["dimensions"]:
            got = by_dimension(entry, dimension)
            assert sum(r["conversions"] for r in got.values()) == approx(totals["conversions"])
            assert sum(r["value"] for r in got.values()) == approx(totals["value"])
            assert sum(r["touches"] for r in got.values()) == totals["touches"]
        # Each conversion's credits sum to 1 and to its value (campaign = conversion).
        campaigns = by_dimension(entry, "campaign")
        for journey in touched:
            row = campaigns[f"conv-{journey.conversion_id}"]
            assert row["conversions"] == approx(1)
            assert row["value"] == approx(journey.value)
        untouched = [j for j in converting if not j.touches]
        if untouched:
            assert campaigns[NO_TOUCH]["conversions"] == len(untouched)
            assert campaigns[NO_TOUCH]["value"] == approx(sum(j.value for j in untouched))
        # The SQL closed forms agree with the plain definitions, touchpoint by touchpoint.
        expected: dict[str, list[float]] = {}
        for journey in touched:
            weights = reference_weights(name, journey, complete, first, last)
            assert sum(weights) == approx(1)
            for touch, weight in zip(journey.touches, weights, strict=True):
                entry_ = expected.setdefault(touch.touchpoint, [0.0, 0.0])
                entry_[0] += weight
                entry_[1] += weight * journey.value
        got = by_dimension(entry, "touchpoint")
        for key, (conversions, value) in expected.items():
            assert got[key]["conversions"] == approx(conversions, abs=1e-9), (name, key)
            assert got[key]["value"] == approx(value, abs=1e-6), (name, key)


@HYPOTHESIS
@given(world=worlds(), parameters=parameter_sets())
def test_data_driven_models_match_the_reference_and_keep_the_invariants(db, world, parameters):
    w, achievements = build(WorkspaceFactory(), *world)
    parameters = {**parameters, "models": ["markov", "shapley"]}
    result = run(w, parameters)
    complete = parse_parameters(w.workspace, parameters)
    converting, non_converting = reference(w, achievements, complete)
    order, state = complete["markov_order"], complete["markov_state"]

    def path(journey):
        attribute = "channel" if state == "channel" else "touchpoint"
        return collapse(getattr(t, attribute) for t in journey.touches)

    touched = [j for j in converting if j.touches]
    totals = result["totals"]
    for entry in result["models"]:
        rows = by_dimension(entry, state)
        assert {row["dimension"] for row in entry["rows"]} <= {state}
        assert sum(r["conversions"] for r in rows.values()) == approx(totals["conversions"])
        assert sum(r["value"] for r in rows.values()) == approx(totals["value"])
        assert sum(r["touches"] for r in rows.values()) == totals["touches"]
        assert all(r["conversions"] >= -1e-12 for r in rows.values())

    # Markov: the database's transition counts are the paths' transition counts.
    scope = scope_from(w.workspace, complete, day(3650))
    from_paths = markov.transition_counts(
        [(path(j), 1) for j in touched], [(path(j), 1) for j in non_converting], order
    )
    from_sql = markov.transitions_from_steps(journeys.markov_steps(scope, order), order)
    assert from_sql == from_paths
    # The one-inverse removal effects equal direct solves of each reduced chain.
    effects = markov.removal_effects(from_paths, order)
    chain = markov.Chain.from_counts(from_paths, order)
    for name, effect in effects.effects.items():
        direct = markov.conversion_probability(chain, chain.removed(name))
        probability = effects.conversion_probability
        assert effect == approx(1 - direct / probability if probability else 0.0, abs=1e-9)

    # Shapley: the engine's rows equal the coalition enumeration over the reference sets.
    sets: dict = {}
    for journey in touched:
        key = frozenset(path(journey))
        count, value = sets.get(key, (0, 0.0))
        sets[key] = (count + 1, value + journey.value)
    expected = shapley.shapley_by_coalitions(sets)
    rows = by_dimension(next(e for e in result["models"] if e["model"] == "shapley"), state)
    for key, (conversions, value) in expected.items():
        assert rows[key]["conversions"] == approx(conversions, abs=1e-9)
        assert rows[key]["value"] == approx(value, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    sets=st.dictionaries(
        st.frozensets(st.sampled_from("abcdefg"), min_size=1),
        st.tuples(st.integers(1, 20), st.floats(0, 1000)),
        max_size=12,
    )
)
def test_shapley_closed_form_is_the_shapley_value(sets):
    fast = shapley.shapley(sets)
    slow = shapley.shapley_by_coalitions(sets)
    assert set(fast) == set(slow)
    for player in fast:
        assert fast[player][0] == approx(slow[player][0], abs=1e-9)
        assert fast[player][1] == approx(slow[player][1], abs=1e-6)
    # Efficiency: the values add up to v(all players).
    assert sum(c for c, _ in fast.values()) == approx(sum(c for c, _ in sets.values()))


@settings(max_examples=100, deadline=None)
@given(
    converting=st.lists(
        st.tuples(st.lists(st.sampled_from("abcd"), min_size=1, max_size=6), st.integers(1, 5)),
        min_size=1,
        max_size=8,
    ),
    non_converting=st.lists(
        st.tuples(st.lists(st.sampled_from("abcd"), min_size=1, max_size=6), st.integers(1, 5)),
        max_size=8,
    ),
    order=st.integers(1, 3),
)
def test_markov_credits_add_up_and_effects_are_exact(converting, non_converting, order):
    converting = [(collapse(p), c) for p, c in converting]
    non_converting = [(collapse(p), c) for p, c in non_converting]
    counts = markov.transition_counts(converting, non_converting, order)
    effects = markov.removal_effects(counts, order)
    chain = markov.Chain.from_counts(counts, order)
    assert 0 < effects.conversion_probability <= 1 + 1e-9
    for name, effect in effects.effects.items():
        assert 0 <= effect <= 1
        direct = markov.conversion_probability(chain, chain.removed(name))
        assert effect == approx(1 - direct / effects.conversion_probability, abs=1e-9)
    total = sum(c for _, c in converting)
    credited = markov.credits(effects.effects, total, 10.0 * total)
    assert sum(c for c, _ in credited.values()) == approx(total)
    assert sum(v for _, v in credited.values()) == approx(10.0 * total)
    # A state through which every transition to CONVERSION passes is indispensable.
    last_states = {p[-1] for p, _ in converting}
    if len(last_states) == 1 and order == 1:
        assert effects.effects[last_states.pop()] == approx(1)
