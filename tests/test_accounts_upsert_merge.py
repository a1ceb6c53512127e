"""Upserting accounts by reference and merging two accounts' histories."""

import pytest

from accounts.models import Account, AccountExternalId, AccountStage, Contact, Interaction
from tests.conftest import token_client
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    JourneyMapFactory,
    MilestoneAchievementFactory,
    PersonaFactory,
    StageFactory,
)
from tests.graphql_helpers import OPERATION_INFO, gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

UPSERT = """
mutation($items: [AccountUpsertInput!]!) {
  accountsUpsert(items: $items) {
    ... on AccountsUpsertResult {
      items { index account { id domain name industry employeeCount annualRevenue
                              persona { key } externalIds { source externalId } }
              errors { field code } }
    }
  }
}
"""
MERGE = f"""
mutation($source: ID!, $target: ID!) {{
  accountMerge(input: {{source: $source, target: $target}}) {{
    __typename ... on Account {{ id domain industry firstSeenAt }} {OPERATION_INFO}
  }}
}}
"""


@pytest.fixture
def crm(workspace):
    return token_client(workspace, [Scope.ACCOUNTS_WRITE, Scope.ACCOUNTS_READ, Scope.JOURNEYS_READ])


def test_upsert_creates_then_updates(crm, workspace):
    persona = PersonaFactory(workspace=workspace, key="revops")
    first = crm(
        UPSERT,
        {
            "items": [
                {
                    "ref": {"source": "hubspot", "externalId": "9", "domain": "acme.com"},
                    "name": "Acme",
                    "industry": "Software",
                    "employeeCount": 120,
                    "annualRevenue": "5000000",
                    "persona": gid(persona),
                }
            ]
        },
    ).data["accountsUpsert"]["items"][0]
    assert first["errors"] == []
    assert first["account"] | {"id": None} == {
        "id": None,
        "domain": "acme.com",
        "name": "Acme",
        "industry": "Software",
        "employeeCount": 120,
        "annualRevenue": "5000000.00",
        "persona": {"key": "revops"},
        "externalIds": [{"source": "hubspot", "externalId": "9"}],
    }
    again = crm(
        UPSERT, {"items": [{"ref": {"source": "hubspot", "externalId": "9"}, "industry": "SaaS"}]}
    ).data["accountsUpsert"]["items"][0]
    assert again["account"]["id"] == first["account"]["id"]
    assert (again["account"]["industry"], again["account"]["name"]) == ("SaaS", "Acme")
    assert Account.objects.count() == 1


def test_upsert_reports_bad_items_and_keeps_the_good(crm, workspace):
    items = [
        {"ref": {"domain": "good.io"}, "name": "Good"},
        {"ref": {"name": "nameless"}},
        {"ref": {"domain": "bad.io"}, "annualRevenue": "lots"},
        {"ref": {"domain": "neg.io"}, "employeeCount": -5},
    ]
    result = crm(UPSERT, {"items": items}).data["accountsUpsert"]["items"]
    assert [item["errors"] for item in result] == [
        [],
        [{"field": "ref", "code": "required"}],
        [{"field": "annualRevenue", "code": "invalid"}],
        [{"field": "employeeCount", "code": "min_value"}],
    ]
    assert result[0]["account"]["name"] == "Good"
    assert [item["account"] for item in result[1:]] == [None, None, None]


def test_merge_moves_everything_and_deletes_the_source(crm, workspace):
    target = AccountFactory(workspace=workspace, domain="acme.com", industry="")
    source = AccountFactory(workspace=workspace, domain="acme-old.com", industry="Retail")
    AccountExternalId.objects.create(
        workspace=workspace, account=source, source="crm", external_id="old"
    )
    contact = ContactFactory(account=source)
    touch = InteractionFactory(account=source, contact=contact)
    won = MilestoneAchievementFactory(account=source)
    stage = StageFactory(journey_map=JourneyMapFactory(workspace=workspace), position=1)
    AccountStage.objects.create(
        workspace=workspace,
        account=source,
        stage=stage,
        journey_map=stage.journey_map,
        entered_at=touch.occurred_at,
    )
    source.first_seen_at = touch.occurred_at
    source.save()

    merged = crm(MERGE, {"source": gid(source), "target": gid(target)}).data["accountMerge"]

    assert merged["id"] == gid(target)
    assert merged["industry"] == "Retail"  # filled from the source where blank
    assert merged["firstSeenAt"] is not None
    assert not Account.objects.filter(pk=source.pk).exists()
    touch.refresh_from_db()
    won.refresh_from_db()
    assert (touch.account_id, won.account_id) == (target.pk, target.pk)
    assert Contact.objects.get(pk=contact.pk).account_id == target.pk
    assert AccountExternalId.objects.get(external_id="old").account_id == target.pk
    assert not AccountStage.objects.filter(account_id=source.pk).exists()


def test_merge_refusals(crm, workspace, other_workspace):
    account = AccountFactory(workspace=workspace)
    itself = crm(MERGE, {"source": gid(account), "target": gid(account)}).data["accountMerge"]
    assert [(m["field"], m["code"]) for m in itself["messages"]] == [("source", "invalid")]
    foreign = AccountFactory(workspace=other_workspace)
    across = crm(MERGE, {"source": gid(account), "target": gid(foreign)}).data["accountMerge"]
    assert [(m["field"], m["code"]) for m in across["messages"]] == [("target", "not_found")]
    assert Interaction.objects.count() == 0
