"""Milestone rules beyond one touchpoint count: AND/OR baskets, property conditions,
distinct contacts and feedback conditions, derived idempotently."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import FeedbackResponse, MilestoneAchievement
from accounts.rules import derive_rule_milestones
from journeys.milestone_rules import parse_milestone_rule
from journeys.services import milestone_create, milestone_update
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    MilestoneFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def tp(workspace):
    return {
        key: TouchpointFactory(workspace=workspace, key=key)
        for key in ("user-invited", "pricing-page", "webinar")
    }


def touch(account, touchpoint, days, contact=None, **properties):
    return InteractionFactory(
        account=account,
        touchpoint=touchpoint,
        occurred_at=at(days),
        contact=contact,
        properties=properties,
    )


def say(account, instrument, score, days, contact=None):
    scale = {"nps": (0, 10), "csat": (1, 5)}[instrument]
    FeedbackResponse.objects.create(
        workspace=account.workspace,
        account=account,
        contact=contact,
        occurred_at=at(days),
        received_at=at(days),
        client_id=f"fb-{FeedbackResponse.objects.count()}",
        instrument=instrument,
        score=Decimal(score),
        scale_min=scale[0],
        scale_max=scale[1],
    )


def achieved(milestone) -> dict[str, tuple[datetime, int | None]]:
    rows = MilestoneAchievement.objects.filter(milestone=milestone).select_related("account")
    return {row.account.name: (row.occurred_at, row.contact_id) for row in rows}


def test_all_basket_five_invites_and_a_pricing_visit_within_30_days(workspace, tp):
    ready = MilestoneFactory(
        workspace=workspace,
        key="ready-to-buy",
        value=Decimal("100.00"),
        rule={
            "all": [
                {"touchpoint": "user-invited", "min_count": 5, "within_days": 30},
                {"touchpoint": "pricing-page", "min_count": 1, "within_days": 30},
            ]
        },
    )
    a, b, c = (AccountFactory(workspace=workspace, name=n) for n in "abc")
    for day in (0, 1, 2, 3, 4):  # a: five invites by d4, pricing at d10: achieved at d10
        touch(a, tp["user-invited"], day)
    touch(a, tp["pricing-page"], 10)
    touch(b, tp["pricing-page"], 1)  # b: pricing d1, five invites by d24: achieved at d24
    for day in (20, 21, 22, 23, 24):
        touch(b, tp["user-invited"], day)
    for day in (0, 10, 20, 30, 40):  # c: invites too spread out; never achieved
        touch(c, tp["user-invited"], day)
    touch(c, tp["pricing-page"], 41)
    assert derive_rule_milestones(workspace=workspace) == 2
    assert achieved(ready) == {"a": (at(10), None), "b": (at(24), None)}
    assert MilestoneAchievement.objects.get(account=a).value == Decimal("100.00")
    assert derive_rule_milestones(workspace=workspace) == 0  # idempotent


def test_any_basket_takes_the_earliest_part(workspace, tp):
    engaged = MilestoneFactory(
        workspace=workspace,
        key="engaged",
        rule={
            "any": [
                {"touchpoint": "webinar", "min_count": 2},
                {"feedback": "nps", "min_score": 9},
            ]
        },
    )
    a, b, c = (AccountFactory(workspace=workspace, name=n) for n in "abc")
    person = ContactFactory(account=a)
    touch(a, tp["webinar"], 1)
    touch(a, tp["webinar"], 50)  # second webinar d50 (no window)
    say(a, "nps", 9, 7, contact=person)  # promoter d7: earlier, decides
    say(b, "nps", 8, 2)  # not a promoter
    touch(b, tp["webinar"], 3)
    touch(b, tp["webinar"], 4)  # two webinars by d4
    say(c, "csat", 5, 1)  # another instrument
    derive_rule_milestones(workspace=workspace)
    assert achieved(engaged) == {"a": (at(7), person.pk), "b": (at(4), None)}


def test_property_conditions_count_only_matching_interactions(workspace, tp):
    pro = MilestoneFactory(
        workspace=workspace,
        key="pro-invites",
        rule={
            "touchpoint": "user-invited",
            "min_count": 2,
            "within_days": 7,
            "properties": {"plan": "pro", "seats": 5},
        },
    )
    a, b = (AccountFactory(workspace=workspace, name=n) for n in "ab")
    touch(a, tp["user-invited"], 0, plan="pro", seats=5)
    touch(a, tp["user-invited"], 1, plan="free", seats=5)
    touch(a, tp["user-invited"], 2, plan="pro", seats=5, extra=True)
    touch(b, tp["user-invited"], 0, plan="pro", seats="5")  # a text, not the number 5
    touch(b, tp["user-invited"], 1, plan="pro", seats="5")
    derive_rule_milestones(workspace=workspace)
    assert achieved(pro) == {"a": (at(2), None)}


def test_distinct_contacts_attended(workspace, tp):
    attended = MilestoneFactory(
        workspace=workspace,
        key="three-attended",
        rule={"touchpoint": "webinar", "distinct_contacts": 3},
    )
    a, b = (AccountFactory(workspace=workspace, name=n) for n in "ab")
    ann, bob, cy = (ContactFactory(account=a) for _ in range(3))
    touch(a, tp["webinar"], 0, contact=ann)
    touch(a, tp["webinar"], 1, contact=ann)  # ann again: still one person
    touch(a, tp["webinar"], 2)  # no contact: not counted
    touch(a, tp["webinar"], 3, contact=bob)
    touch(a, tp["webinar"], 5, contact=bob)
    touch(a, tp["webinar"], 6, contact=cy)  # the third person: achieved d6
    touch(a, tp["webinar"], 8, contact=cy)
    dan, eve = (ContactFactory(account=b) for _ in range(2))
    for day, person in ((0, dan), (1, eve), (2, dan), (3, eve)):  # b: only two people
        touch(b, tp["webinar"], day, contact=person)
    derive_rule_milestones(workspace=workspace)
    assert achieved(attended) == {"a": (at(6), cy.pk)}


def test_feedback_ranges_and_tightening_removes(workspace, tp):
    detractor = MilestoneFactory(
        workspace=workspace, key="detractor", rule={"feedback": "nps", "max_score": 6}
    )
    a, b = (AccountFactory(workspace=workspace, name=n) for n in "ab")
    say(a, "nps", 6, 3)
    say(a, "nps", 2, 1)  # earlier: decides
    say(b, "nps", 7, 1)
    derive_rule_milestones(workspace=workspace)
    assert achieved(detractor) == {"a": (at(1), None)}
    milestone_update(milestone=detractor, rule={"feedback": "nps", "min_score": 0, "max_score": 1})
    assert derive_rule_milestones(workspace=workspace) == 1  # removed
    assert achieved(detractor) == {}


def test_nested_baskets(workspace, tp):
    rule = {
        "all": [
            {"feedback": "nps", "min_score": 9},
            {"any": [{"touchpoint": "webinar", "distinct_contacts": 2},
                     {"touchpoint": "pricing-page", "min_count": 1}]},
        ]
    }  # fmt: skip
    champion = MilestoneFactory(workspace=workspace, key="champion", rule=rule)
    a = AccountFactory(workspace=workspace, name="a")
    ann, bob = ContactFactory(account=a), ContactFactory(account=a)
    say(a, "nps", 10, 2, contact=ann)
    touch(a, tp["webinar"], 4, contact=ann)
    touch(a, tp["webinar"], 6, contact=bob)  # any: d6 (two people) ...
    touch(a, tp["pricing-page"], 9)  # ... before the pricing visit
    derive_rule_milestones(workspace=workspace)
    assert achieved(champion) == {"a": (at(6), bob.pk)}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"all": []}, "rule: all takes a non-empty list"),
        ({"all": [{"touchpoint": "x"}]}, "rule.all[0]: The rule's min_count"),
        ({"any": [{"feedback": "nps"}]}, "rule.any[0]: Give min_score, max_score or both"),
        ({"feedback": "stars", "min_score": 1}, "feedback is one of"),
        ({"feedback": "nps", "min_score": 9, "max_score": 3}, "min_score must not be above"),
        ({"touchpoint": "x", "distinct_contacts": 0}, "distinct_contacts must be a whole"),
        ({"touchpoint": "x", "distinct_contacts": 2, "within_days": 3}, "distinct-contacts"),
        ({"touchpoint": "x", "min_count": 1, "properties": {"a__b": 1}}, "Property key"),
        ({"touchpoint": "x", "min_count": 1, "properties": {"a": 1.5}}, "Property 'a'"),
        ({"touchpoint": "x", "min_count": 1, "colour": 1}, "A count rule has"),
        ({"all": [{"all": [{"all": [{"all": [{"feedback": "nps", "min_score": 1}]}]}]}]},
         "nest at most"),
        ([], "A rule is a JSON object"),
    ],
)  # fmt: skip
def test_the_grammar_names_what_is_wrong(rule, message):
    with pytest.raises(ValidationError) as caught:
        parse_milestone_rule(rule)
    assert message in " ".join(caught.value.messages)


def test_unknown_touchpoints_anywhere_in_a_basket_are_refused(workspace, tp):
    rule = {"any": [{"touchpoint": "webinar", "min_count": 1},
                    {"touchpoint": "ghost", "min_count": 1}]}  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        milestone_create(workspace=workspace, key="m", name="M", rule=rule)
    assert caught.value.message_dict["rule"] == ["Unknown touchpoint key 'ghost'."]


def test_baskets_over_graphql(workspace, tp, editor):
    query = """mutation ($input: MilestoneCreateInput!) { milestoneCreate(input: $input) {
      ... on Milestone { id rule { allOf { touchpointKey minCount withinDays feedback minScore
        anyOf { touchpointKey distinctContacts properties } } } } } }"""
    rule = {
        "allOf": [
            {"touchpointKey": "user-invited", "minCount": 5, "withinDays": 30},
            {"feedback": "nps", "minScore": 9},
            {"anyOf": [{"touchpointKey": "webinar", "distinctContacts": 3,
                        "properties": {"kind": "live"}}]},
        ]
    }  # fmt: skip
    body = editor(query, {"input": {"key": "basket", "name": "Basket", "rule": rule}}).data
    parts = body["milestoneCreate"]["rule"]["allOf"]
    assert parts[0] == {"touchpointKey": "user-invited", "minCount": 5, "withinDays": 30,
                        "feedback": None, "minScore": None, "anyOf": None}  # fmt: skip
    assert parts[1]["feedback"] == "nps"
    assert parts[1]["minScore"] == 9.0
    assert parts[2]["anyOf"] == [
        {"touchpointKey": "webinar", "distinctContacts": 3, "properties": {"kind": "live"}}
    ]
    from journeys.models import Milestone

    stored = Milestone.objects.get(key="basket")
    assert stored.rule["all"][1] == {"feedback": "nps", "min_score": 9.0}
    assert gid(stored) == body["milestoneCreate"]["id"]


def test_a_feedback_rule_is_derived_after_feedback_ingestion(
    workspace, django_capture_on_commit_callbacks
):
    from accounts.identity import AccountRef
    from accounts.ingestion import FeedbackItem, feedback_record

    promoter = MilestoneFactory(
        workspace=workspace, key="promoter", rule={"feedback": "nps", "min_score": 9}
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_record(
            workspace=workspace,
            items=[
                FeedbackItem(
                    client_id="nps-1",
                    instrument="nps",
                    score=10,
                    occurred_at="2026-03-02T09:30:00Z",
                    account=AccountRef(domain="acme.com", name="acme"),
                )
            ],
        )
    assert achieved(promoter) == {"acme": (datetime(2026, 3, 2, 9, 30, tzinfo=UTC), None)}
