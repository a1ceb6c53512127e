"""Ingesting interactions and milestone achievements: identity, per-item errors,
partial batches and exactly-once storage."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import (
    AchievementItem,
    InteractionItem,
    interactions_ingest,
    milestones_record,
)
from accounts.models import (
    Account,
    AccountExternalId,
    Contact,
    ContactExternalId,
    Interaction,
    MilestoneAchievement,
)
from tests.conftest import token_client
from tests.factories import (
    AccountFactory,
    ContactFactory,
    MilestoneFactory,
    TouchpointFactory,
    WorkspaceFactory,
)
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

WHEN = "2026-03-02T09:30:00Z"


@pytest.fixture
def catalogue(workspace):
    TouchpointFactory(workspace=workspace, key="webinar")
    TouchpointFactory(workspace=workspace, key="pricing-page")
    MilestoneFactory(workspace=workspace, key="deal-won", is_conversion=True, value=Decimal(900))


def item(n=1, **fields) -> InteractionItem:
    defaults = {
        "client_id": f"evt-{n}",
        "touchpoint": "webinar",
        "occurred_at": WHEN,
        "account": AccountRef(domain="acme.com"),
    }
    return InteractionItem(**(defaults | fields))


def statuses(report) -> list[str]:
    return [result.status.value for result in report.items]


def errors(report) -> list[tuple[int, str | None, str]]:
    return [(r.index, e.field, e.code) for r in report.items for e in r.errors]


# Identity ----------------------------------------------------------------------------


def test_accounts_match_by_external_id_then_domain(workspace, catalogue):
    known = AccountFactory(workspace=workspace, domain="acme.com")
    AccountExternalId.objects.create(
        workspace=workspace, account=known, source="hubspot", external_id="42"
    )
    report = interactions_ingest(
        workspace=workspace,
        items=[
            item(1, account=AccountRef(source="hubspot", external_id="42")),
            item(2, account=AccountRef(domain="https://www.ACME.com/pricing")),
            item(3, account=AccountRef(source="hubspot", external_id="42", domain="other.io")),
        ],
    )
    assert statuses(report) == ["accepted"] * 3
    assert set(Interaction.objects.values_list("account_id", flat=True)) == {known.pk}
    assert Account.objects.count() == 1


def test_a_new_external_id_with_a_known_domain_is_linked(workspace, catalogue):
    known = AccountFactory(workspace=workspace, domain="acme.com")
    interactions_ingest(
        workspace=workspace,
        items=[item(account=AccountRef(source="salesforce", external_id="001", domain="acme.com"))],
    )
    link = AccountExternalId.objects.get()
    assert (link.account, link.source, link.external_id) == (known, "salesforce", "001")
    interactions_ingest(
        workspace=workspace,
        items=[item(2, account=AccountRef(source="salesforce", external_id="001"))],
    )
    assert Interaction.objects.filter(account=known).count() == 2


def test_missing_accounts_and_contacts_are_created(workspace, catalogue):
    report = interactions_ingest(
        workspace=workspace,
        items=[
            item(
                1,
                account=AccountRef(domain="new.io", name="New Co"),
                contact=ContactRef(email="Ann@New.io", name="Ann", source="crm", external_id="c-1"),
            ),
            item(2, account=AccountRef(source="crm", external_id="a-9")),
        ],
    )
    assert statuses(report) == ["accepted", "accepted"]
    created = Account.objects.get(domain="new.io")
    assert created.name == "New Co"
    contact = Contact.objects.get()
    assert (contact.email, contact.name, contact.account) == ("ann@new.io", "Ann", created)
    assert ContactExternalId.objects.get().contact == contact
    keyed = AccountExternalId.objects.get(source="crm", external_id="a-9").account
    assert (keyed.domain, keyed.name) == ("", "")


def test_contacts_match_by_external_id_then_email_case_insensitively(workspace, catalogue):
    account = AccountFactory(workspace=workspace, domain="acme.com")
    ann = ContactFactory(account=account, email="ann@acme.com")
    ContactExternalId.objects.create(
        workspace=workspace, contact=ann, source="crm", external_id="7"
    )
    interactions_ingest(
        workspace=workspace,
        items=[
            item(1, account=None, contact=ContactRef(source="crm", external_id="7")),
            item(2, account=None, contact=ContactRef(email=" ANN@Acme.com ")),
        ],
    )
    assert list(Interaction.objects.values_list("contact_id", "account_id")) == [
        (ann.pk, account.pk),
        (ann.pk, account.pk),
    ]
    assert Contact.objects.count() == 1


def test_a_contact_email_domain_finds_or_creates_its_account(workspace, catalogue):
    account = AccountFactory(workspace=workspace, domain="acme.com")
    report = interactions_ingest(
        workspace=workspace,
        items=[
            item(1, account=None, contact=ContactRef(email="bob@acme.com")),
            item(2, account=None, contact=ContactRef(email="eve@fresh.dev")),
        ],
    )
    assert statuses(report) == ["accepted", "accepted"]
    assert Contact.objects.get(email="bob@acme.com").account == account
    fresh = Account.objects.get(domain="fresh.dev")
    assert Contact.objects.get(email="eve@fresh.dev").account == fresh


def test_free_mail_does_not_name_an_account(workspace, catalogue):
    report = interactions_ingest(
        workspace=workspace, items=[item(account=None, contact=ContactRef(email="x@gmail.com"))]
    )
    assert errors(report) == [(0, "account", "unknown_account")]
    assert not Interaction.objects.exists()
    assert not Account.objects.filter(domain="gmail.com").exists()
    # With the account named, the free-mail contact is linked to it.
    interactions_ingest(
        workspace=workspace,
        items=[
            item(2, account=AccountRef(domain="acme.com"), contact=ContactRef(email="x@gmail.com"))
        ],
    )
    assert Contact.objects.get(email="x@gmail.com").account.domain == "acme.com"


def test_a_known_contact_without_account_is_adopted(workspace, catalogue):
    loner = ContactFactory(account=None, workspace=workspace, email="sam@gmail.com")
    interactions_ingest(
        workspace=workspace,
        items=[item(account=AccountRef(domain="acme.com"), contact=ContactRef(email=loner.email))],
    )
    loner.refresh_from_db()
    assert loner.account.domain == "acme.com"


def test_identity_never_crosses_workspaces(workspace, other_workspace, catalogue):
    theirs = AccountFactory(workspace=other_workspace, domain="acme.com")
    ContactFactory(account=theirs, email="ann@acme.com")
    interactions_ingest(
        workspace=workspace,
        items=[item(contact=ContactRef(email="ann@acme.com"))],
    )
    ours = Interaction.objects.get()
    assert ours.account.workspace == workspace
    assert ours.contact.workspace == workspace
    assert Account.objects.filter(domain="acme.com").count() == 2


# Per-item errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"client_id": ""}, "clientId", "required"),
        ({"client_id": "x" * 129}, "clientId", "too_long"),
        ({"touchpoint": "nope"}, "touchpoint", "not_found"),
        ({"occurred_at": None}, "occurredAt", "required"),
        ({"occurred_at": "yesterday"}, "occurredAt", "invalid"),
        ({"occurred_at": "2026-03-02T09:30:00"}, "occurredAt", "naive_datetime"),
        ({"occurred_at": 1700000000}, "occurredAt", "invalid_type"),
        ({"cost": "-1"}, "cost", "min_value"),
        ({"cost": "ten"}, "cost", "invalid"),
        ({"properties": ["a"]}, "properties", "invalid_type"),
        ({"properties": {"x": "y" * 20_000}}, "properties", "too_long"),
        ({"campaign": "c" * 201}, "campaign", "too_long"),
        ({"account": AccountRef(external_id="1")}, "account.source", "required"),
        ({"account": AccountRef(domain="not a domain")}, "account.domain", "invalid"),
        ({"account": None, "contact": ContactRef(email="nope")}, "contact.email", "invalid"),
        ({"account": None}, "account", "required"),
    ],
)
def test_each_bad_item_is_rejected_with_field_and_code(workspace, catalogue, fields, field, code):
    report = interactions_ingest(workspace=workspace, items=[item(1), item(2, **fields)])
    assert statuses(report) == ["accepted", "rejected"]
    assert errors(report) == [(1, field, code)]
    assert list(Interaction.objects.values_list("client_id", flat=True)) == ["evt-1"]


def test_timestamps_up_to_24_hours_ahead_are_accepted(workspace, catalogue):
    now = timezone.now()
    soon = (now + timedelta(hours=23)).isoformat()
    late = (now + timedelta(hours=25)).isoformat()
    report = interactions_ingest(
        workspace=workspace, items=[item(1, occurred_at=soon), item(2, occurred_at=late)]
    )
    assert statuses(report) == ["accepted", "rejected"]
    assert errors(report) == [(1, "occurredAt", "in_future")]


def test_received_at_cost_properties_and_first_seen_are_kept(workspace, catalogue):
    before = timezone.now()
    interactions_ingest(
        workspace=workspace,
        items=[
            item(
                1,
                occurred_at="2026-03-02T09:30:00+02:00",
                cost="12.345",
                properties={"page": "/pricing"},
                source="google",
                medium="cpc",
                campaign="spring",
            ),
            item(2, occurred_at="2026-02-01T00:00:00Z"),
        ],
    )
    first = Interaction.objects.get(client_id="evt-1")
    assert first.occurred_at.isoformat() == "2026-03-02T07:30:00+00:00"
    assert first.received_at >= before
    assert (first.cost, first.properties) == (Decimal("12.35"), {"page": "/pricing"})
    assert (first.source, first.medium, first.campaign) == ("google", "cpc", "spring")
    account = Account.objects.get()
    assert account.first_seen_at.isoformat() == "2026-02-01T00:00:00+00:00"
    interactions_ingest(workspace=workspace, items=[item(3, occurred_at="2026-01-01T00:00:00Z")])
    account.refresh_from_db()
    assert account.first_seen_at.isoformat() == "2026-01-01T00:00:00+00:00"


def test_milestones_take_the_default_value_and_check_currency(workspace, catalogue):
    report = milestones_record(
        workspace=workspace,
        items=[
            AchievementItem("won-1", "deal-won", WHEN, AccountRef(domain="acme.com")),
            AchievementItem(
                "won-2",
                "deal-won",
                WHEN,
                AccountRef(domain="acme.com"),
                value="1500",
                currency="eur",
            ),
            AchievementItem(
                "won-3", "deal-won", WHEN, AccountRef(domain="acme.com"), currency="E1R"
            ),
            AchievementItem("won-4", "no-such", WHEN, AccountRef(domain="acme.com")),
        ],
    )
    assert statuses(report) == ["accepted", "accepted", "rejected", "rejected"]
    assert errors(report) == [(2, "currency", "invalid"), (3, "milestone", "not_found")]
    stored = dict(MilestoneAchievement.objects.values_list("client_id", "value"))
    assert stored == {"won-1": Decimal("900.00"), "won-2": Decimal("1500.00")}
    assert MilestoneAchievement.objects.get(client_id="won-2").currency == "EUR"


# Exactly once --------------------------------------------------------------------------


def test_replays_and_repeats_in_a_batch_are_duplicates(workspace, catalogue):
    batch = [item(1), item(2), item(1)]
    first = interactions_ingest(workspace=workspace, items=batch)
    assert statuses(first) == ["accepted", "accepted", "duplicate"]
    again = interactions_ingest(workspace=workspace, items=batch)
    assert statuses(again) == ["duplicate"] * 3
    assert Interaction.objects.count() == 2


def test_client_ids_are_per_workspace(workspace, catalogue):
    other = WorkspaceFactory()
    TouchpointFactory(workspace=other, key="webinar")
    interactions_ingest(workspace=workspace, items=[item(1)])
    report = interactions_ingest(workspace=other, items=[item(1)])
    assert statuses(report) == ["accepted"]
    assert Interaction.objects.count() == 2


def test_a_batch_over_the_cap_is_refused_whole(workspace, catalogue):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        interactions_ingest(workspace=workspace, items=[item(n) for n in range(1001)])
    assert not Interaction.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_replays_store_each_event_once(workspace, catalogue):
    batch = [
        item(
            n,
            account=AccountRef(domain=f"co{n % 7}.com"),
            contact=ContactRef(email=f"p{n % 11}@co{n % 7}.com"),
        )
        for n in range(300)
    ]
    barrier = threading.Barrier(4)
    failures = []

    def replay():
        try:
            barrier.wait()
            interactions_ingest(workspace=workspace, items=batch)
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Interaction.objects.count() == 300
    assert Account.objects.count() == 7
    assert Contact.objects.count() == len({f"p{n % 11}@co{n % 7}.com" for n in range(300)})


# Over GraphQL --------------------------------------------------------------------------

INGEST = """
mutation($items: [InteractionInput!]!) {
  interactionsIngest(items: $items) {
    ... on IngestResult {
      accepted duplicates rejected
      items { index clientId status errors { field code message } }
    }
  }
}
"""


def test_ingestion_over_graphql_reports_every_item(workspace, catalogue):
    client = token_client(workspace, [Scope.ACCOUNTS_WRITE])
    items = [
        {
            "clientId": "g-1",
            "touchpoint": "webinar",
            "occurredAt": WHEN,
            "account": {"domain": "acme.com"},
            "cost": 3.5,
            "properties": {"utm": "x"},
        },
        {
            "clientId": "g-2",
            "touchpoint": "webinar",
            "occurredAt": "not a time",
            "account": {"domain": "acme.com"},
        },
        {
            "clientId": "g-1",
            "touchpoint": "webinar",
            "occurredAt": WHEN,
            "account": {"domain": "acme.com"},
        },
    ]
    result = client(INGEST, {"items": items}).data["interactionsIngest"]
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (1, 1, 1)
    assert result["items"][1] == {
        "index": 1,
        "clientId": "g-2",
        "status": "REJECTED",
        "errors": [
            {
                "field": "occurredAt",
                "code": "invalid",
                "message": "'not a time' is not an ISO 8601 date-time.",
            }
        ],
    }
    assert Interaction.objects.get().cost == Decimal("3.50")


def test_batches_over_1000_items_are_refused_before_running(workspace, catalogue):
    client = token_client(workspace, [Scope.ACCOUNTS_WRITE])
    items = [{"clientId": str(n), "touchpoint": "webinar", "occurredAt": WHEN} for n in range(1001)]
    result = client(INGEST, {"items": items})
    assert result.errors[0]["extensions"]["code"] == "LIST_TOO_LONG"
    assert not Interaction.objects.exists()


def test_ingestion_needs_accounts_write(workspace, catalogue):
    reader = token_client(workspace, [Scope.ACCOUNTS_READ])
    result = reader(INGEST, {"items": []})
    assert result.errors[0]["extensions"]["requiredScope"] == "accounts:write"


def test_ingestion_queries_do_not_grow_with_the_batch(workspace, catalogue):
    from django.test.utils import CaptureQueriesContext

    def queries(n, offset):
        batch = [
            item(
                offset + i,
                account=AccountRef(domain=f"co{offset + i}.com"),
                contact=ContactRef(email=f"a@co{offset + i}.com"),
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            interactions_ingest(workspace=workspace, items=batch)
        return len(captured.captured_queries)

    # SQLite splits bulk inserts into chunks of its variable limit; never one per item.
    few, many = queries(5, 0), queries(200, 1000)
    assert few <= 20
    assert many - few < 10


def test_a_contact_named_only_by_external_id_is_found_again(workspace, catalogue):
    contact = ContactRef(source="crm", external_id="c-42")
    for n in (1, 2):
        interactions_ingest(workspace=workspace, items=[item(n, contact=contact)])
    assert Contact.objects.count() == 1
    assert ContactExternalId.objects.get().external_id == "c-42"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cost": "10000000000"}, "cost"),  # the cost column holds 12 digits with 2 decimals
        ({"properties": '{"x": NaN}'}, "properties"),
        ({"properties": {"x": float("inf")}}, "properties"),
    ],
)
def test_values_the_database_cannot_hold_are_rejected(workspace, catalogue, fields, field):
    report = interactions_ingest(workspace=workspace, items=[item(1, **fields)])
    assert errors(report) == [(0, field, "invalid")]
    assert not Interaction.objects.exists()


def test_catalogue_keys_are_trimmed(workspace, catalogue):
    report = interactions_ingest(workspace=workspace, items=[item(1, touchpoint=" webinar ")])
    assert statuses(report) == ["accepted"]


def test_a_repeat_of_a_rejected_item_is_rejected_not_a_duplicate(workspace, catalogue):
    free_mail_only = {"account": None, "contact": ContactRef(email="joe@gmail.com")}
    report = interactions_ingest(
        workspace=workspace, items=[item(1, **free_mail_only), item(1, **free_mail_only)]
    )
    assert statuses(report) == ["rejected", "rejected"]
    assert errors(report) == [
        (0, "account", "unknown_account"),
        (1, "clientId", "repeat_of_rejected"),
    ]
    # A rejected item leaves nothing behind: no account, no contact.
    assert not Contact.objects.exists()
    assert not Account.objects.exists()
