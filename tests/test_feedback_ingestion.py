"""Ingesting feedback responses: each instrument's scale, per-item errors, exactly-once
storage over GraphQL, the CSV import and timelines."""

from decimal import Decimal

import pytest
from strawberry import relay

from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import FeedbackItem, feedback_record
from accounts.models import Account, FeedbackResponse
from tests.conftest import token_client
from tests.factories import StageFactory, TouchpointFactory
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

WHEN = "2026-03-02T09:30:00Z"


def response(n=1, **fields) -> FeedbackItem:
    defaults = {
        "client_id": f"fb-{n}",
        "instrument": "nps",
        "score": 9,
        "occurred_at": WHEN,
        "account": AccountRef(domain="acme.com"),
    }
    return FeedbackItem(**(defaults | fields))


def outcome(report) -> list[tuple[str, str | None, str | None]]:
    first = [r.errors[0] if r.errors else None for r in report.items]
    return [
        (r.status.value, e.field if e else None, e.code if e else None)
        for r, e in zip(report.items, first, strict=True)
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"instrument": "NPS", "score": 0}, ("accepted", None, None)),
        ({"instrument": "nps", "score": 10}, ("accepted", None, None)),
        ({"instrument": "nps", "score": 11}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "nps", "score": -1}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "nps", "score": "8.5"}, ("rejected", "score", "invalid")),
        ({"instrument": "nps", "score": 9, "scale": 5}, ("rejected", "scale", "out_of_range")),
        ({"instrument": "nps", "score": None}, ("rejected", "score", "required")),
        ({"instrument": "csat", "score": 5}, ("accepted", None, None)),
        ({"instrument": "csat", "score": 6}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "csat", "score": 0}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "csat", "score": 7, "scale": 7}, ("accepted", None, None)),
        ({"instrument": "csat", "score": 2, "scale": 11}, ("rejected", "scale", "out_of_range")),
        ({"instrument": "ces", "score": 7}, ("accepted", None, None)),
        ({"instrument": "ces", "score": 8}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "ces", "score": "abc"}, ("rejected", "score", "invalid")),
        ({"instrument": "rating", "score": "4.5"}, ("accepted", None, None)),
        ({"instrument": "rating", "score": "5.5"}, ("rejected", "score", "out_of_scale")),
        ({"instrument": "rating", "score": 9, "scale": 10}, ("accepted", None, None)),
        ({"instrument": "rating", "score": 3, "scale": "x"}, ("rejected", "scale", "invalid")),
        ({"instrument": "text", "score": None, "comment": "Great"}, ("accepted", None, None)),
        ({"instrument": "text", "score": None}, ("rejected", "comment", "required")),
        ({"instrument": "text", "score": 3, "comment": "x"}, ("rejected", "score", "invalid")),
        ({"instrument": "stars", "score": 3}, ("rejected", "instrument", "invalid_choice")),
        ({"instrument": "", "score": 3}, ("rejected", "instrument", "required")),
    ],
)
def test_each_instrument_checks_its_scale(workspace, fields, expected):
    report = feedback_record(workspace=workspace, items=[response(**fields)])
    assert outcome(report) == [expected]
    assert FeedbackResponse.objects.count() == (1 if expected[0] == "accepted" else 0)


def test_scales_are_stored_with_the_response(workspace):
    feedback_record(
        workspace=workspace,
        items=[
            response(1, instrument="nps", score=7),
            response(2, instrument="csat", score=4),
            response(3, instrument="ces", score=6, scale=7),
            response(4, instrument="rating", score="3.5", scale=5),
            response(5, instrument="text", score=None, comment="  Slow onboarding  "),
        ],
    )
    rows = FeedbackResponse.objects.order_by("client_id").values_list(
        "instrument", "score", "scale_min", "scale_max", "comment"
    )
    assert list(rows) == [
        ("nps", Decimal("7.00"), 0, 10, ""),
        ("csat", Decimal("4.00"), 1, 5, ""),
        ("ces", Decimal("6.00"), 1, 7, ""),
        ("rating", Decimal("3.50"), 1, 5, ""),
        ("text", None, None, None, "Slow onboarding"),
    ]


def test_touchpoint_and_stage_are_checked_in_the_workspace(workspace, other_workspace):
    TouchpointFactory(workspace=workspace, key="support-ticket")
    mine = StageFactory(journey_map__workspace=workspace, position=1)
    theirs = StageFactory(journey_map__workspace=other_workspace, position=1)
    report = feedback_record(
        workspace=workspace,
        items=[
            response(1, touchpoint="support-ticket", stage=relay.to_base64("Stage", mine.pk)),
            response(2, touchpoint="nope"),
            response(3, stage=relay.to_base64("Stage", theirs.pk)),
            response(4, stage="not-an-id"),
        ],
    )
    assert outcome(report) == [
        ("accepted", None, None),
        ("rejected", "touchpoint", "not_found"),
        ("rejected", "stage", "not_found"),
        ("rejected", "stage", "not_found"),
    ]
    stored = FeedbackResponse.objects.get()
    assert (stored.touchpoint.key, stored.stage_id) == ("support-ticket", mine.pk)


def test_replays_store_nothing_twice(workspace):
    first = feedback_record(workspace=workspace, items=[response(1), response(2), response(1)])
    assert outcome(first) == [
        ("accepted", None, None),
        ("accepted", None, None),
        ("duplicate", None, None),
    ]
    again = feedback_record(workspace=workspace, items=[response(1), response(2, score=3)])
    assert outcome(again) == [("duplicate", None, None), ("duplicate", None, None)]
    assert FeedbackResponse.objects.count() == 2
    assert FeedbackResponse.objects.get(client_id="fb-2").score == Decimal(9)


def test_responses_resolve_contacts_and_move_first_seen_back(workspace):
    feedback_record(
        workspace=workspace,
        items=[
            response(1, account=None, contact=ContactRef(email="ann@acme.com"), occurred_at=WHEN),
        ],
    )
    stored = FeedbackResponse.objects.select_related("contact", "account").get()
    assert stored.contact.email == "ann@acme.com"
    assert stored.account.domain == "acme.com"
    assert Account.objects.get().first_seen_at.isoformat() == "2026-03-02T09:30:00+00:00"


FEEDBACK_RECORD = """
mutation ($items: [FeedbackResponseInput!]!) {
  feedbackRecord(items: $items) {
    ... on IngestResult {
      accepted duplicates rejected
      items { index clientId status errors { field code } }
    }
  }
}
"""


def api_item(client_id, instrument, score, **fields) -> dict:
    return {
        "clientId": client_id,
        "instrument": instrument,
        "score": score,
        "occurredAt": WHEN,
        "account": {"domain": "acme.com"},
        **fields,
    }


def test_feedback_record_over_graphql_is_replay_safe(workspace):
    gql = token_client(workspace, [Scope.ACCOUNTS_WRITE])
    items = [
        api_item("s-1", "CSAT", 4, comment="Quick answer", source="ticketing"),
        api_item("s-2", "CES", "9"),
    ]
    body = gql(FEEDBACK_RECORD, {"items": items}).data["feedbackRecord"]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 0, 1)
    assert body["items"][1]["errors"] == [{"field": "score", "code": "out_of_scale"}]
    body = gql(FEEDBACK_RECORD, {"items": items}).data["feedbackRecord"]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (0, 1, 1)
    assert FeedbackResponse.objects.get().source == "ticketing"


def test_feedback_record_needs_the_write_scope(workspace):
    gql = token_client(workspace, [Scope.ACCOUNTS_READ])
    items = [api_item("s-1", "NPS", 4)]
    result = gql(FEEDBACK_RECORD, {"items": items})
    assert result.errors[0]["extensions"]["requiredScope"] == "accounts:write"
    assert FeedbackResponse.objects.count() == 0


TIMELINE = """
query ($id: ID!) {
  account(id: $id) {
    timeline(first: 10, order: OLDEST_FIRST) {
      edges { node {
        __typename
        ... on Interaction { clientId }
        ... on FeedbackResponse { clientId instrument score comment touchpoint { key } }
      } }
    }
  }
}
"""


def test_timelines_show_responses_after_interactions_of_the_same_instant(workspace, viewer):
    from accounts.ingestion import InteractionItem, interactions_ingest

    TouchpointFactory(workspace=workspace, key="support-ticket")
    interactions_ingest(
        workspace=workspace,
        items=[
            InteractionItem(
                client_id="i-1",
                touchpoint="support-ticket",
                occurred_at=WHEN,
                account=AccountRef(domain="acme.com"),
            )
        ],
    )
    feedback_record(
        workspace=workspace,
        items=[
            response(1, instrument="csat", score=2, comment="Slow", touchpoint="support-ticket"),
            response(2, occurred_at="2026-03-01T09:30:00Z"),
        ],
    )
    account = Account.objects.get()
    data = viewer(TIMELINE, {"id": relay.to_base64("Account", account.pk)}).data
    nodes = [edge["node"] for edge in data["account"]["timeline"]["edges"]]
    assert nodes == [
        {
            "__typename": "FeedbackResponse",
            "clientId": "fb-2",
            "instrument": "NPS",
            "score": "9.00",
            "comment": "",
            "touchpoint": None,
        },
        {"__typename": "Interaction", "clientId": "i-1"},
        {
            "__typename": "FeedbackResponse",
            "clientId": "fb-1",
            "instrument": "CSAT",
            "score": "2.00",
            "comment": "Slow",
            "touchpoint": {"key": "support-ticket"},
        },
    ]


def test_csv_import_of_feedback_rejects_rows_outside_the_scale(workspace, tmp_path):
    import csv
    from io import StringIO

    from django.core.management import call_command

    from accounts.csv_import import FEEDBACK

    TouchpointFactory(workspace=workspace, key="support-ticket")
    path = tmp_path / "feedback.csv"
    rows = [
        {
            "client_id": "c-1",
            "instrument": "nps",
            "occurred_at": WHEN,
            "account_domain": "acme.com",
            "score": "10",
            "comment": "Love it",
            "source": "survey",
        },
        {
            "client_id": "c-2",
            "instrument": "csat",
            "occurred_at": WHEN,
            "account_domain": "acme.com",
            "score": "6",
        },
        {
            "client_id": "c-3",
            "instrument": "ces",
            "occurred_at": WHEN,
            "contact_email": "bo@acme.com",
            "score": "2",
            "touchpoint": "support-ticket",
        },
    ]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(FEEDBACK.columns))
        writer.writeheader()
        writer.writerows(rows)
    out = StringIO()
    call_command("import_feedback", "--workspace", "acme", str(path), stdout=out, stderr=StringIO())
    assert set(FeedbackResponse.objects.values_list("client_id", flat=True)) == {"c-1", "c-3"}
    with open(tmp_path / "feedback.rejected.csv", newline="", encoding="utf-8") as file:
        rejected = list(csv.DictReader(file))
    assert [(row["line"], row["client_id"]) for row in rejected] == [("3", "c-2")]
    assert "score" in rejected[0]["errors"]
    call_command(
        "import_feedback", "--workspace", "acme", str(path), stdout=StringIO(), stderr=StringIO()
    )
    assert FeedbackResponse.objects.count() == 2


def test_merging_accounts_keeps_their_responses(workspace):
    from accounts.services import account_merge

    feedback_record(
        workspace=workspace,
        items=[response(1), response(2, account=AccountRef(domain="globex.com"))],
    )
    source, target = (
        Account.objects.get(domain="globex.com"),
        Account.objects.get(domain="acme.com"),
    )
    account_merge(source=source, target=target)
    assert list(FeedbackResponse.objects.values_list("account__domain", flat=True)) == [
        "acme.com",
        "acme.com",
    ]
