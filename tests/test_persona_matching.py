"""Personas that assign themselves: the rule grammar, every operator, AND/OR, contacts,
priority and ties, MANUAL never overwritten, the preview, the reassignment task, and
current stages following a changed persona."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.identity import AccountRef
from accounts.ingestion import InteractionItem, interactions_ingest
from accounts.models import Account, AccountStage, PersonaReassignment, PersonaSource
from accounts.personas import match_personas, persona_match_preview
from journeys.matching import parse_matching_rules
from journeys.models import JourneyMap
from journeys.services import persona_update
from tests.factories import (
    AccountFactory,
    ContactFactory,
    JourneyMapFactory,
    PersonaFactory,
    StageFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid

pytestmark = pytest.mark.django_db


def rules(match, priority=None) -> dict:
    return {"match": match} | ({} if priority is None else {"priority": priority})


def leaf(field, op, value) -> dict:
    return {"field": field, "op": op, "value": value}


@pytest.fixture
def accounts(workspace):
    made = {
        "acme": AccountFactory(workspace=workspace, name="acme", domain="acme.com",
                               industry="Software", employee_count=120, country="DE",
                               annual_revenue=Decimal("5000000")),
        "uni": AccountFactory(workspace=workspace, name="uni", domain="cs.mit.edu",
                              industry="Education", employee_count=12000, country="US"),
        "edu": AccountFactory(workspace=workspace, name="edu", domain="edu",
                              industry="education", employee_count=None, country="us"),
        "shop": AccountFactory(workspace=workspace, name="shop", domain="shop.co.uk",
                               industry="Retail", employee_count=50, country="GB",
                               annual_revenue=Decimal("999.99")),
    }  # fmt: skip
    ContactFactory(account=made["acme"], title="Head of RevOps", department="Sales",
                   seniority="director")  # fmt: skip
    ContactFactory(account=made["uni"], title="IT manager", department="IT", seniority="manager")
    ContactFactory(account=made["shop"], title="VP Sales", department="Marketing",
                   seniority="vp")  # fmt: skip
    return made


def matched(workspace, match) -> list[str]:
    preview = persona_match_preview(workspace=workspace, rules=rules(match))
    return [account.name for account in preview.sample]


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (leaf("industry", "in", ["education", "RETAIL"]), ["edu", "shop", "uni"]),
        (leaf("country", "in", ["US"]), ["edu", "uni"]),
        (leaf("employee_count", "between", {"min": 50, "max": 120}), ["acme", "shop"]),
        (leaf("employee_count", "between", {"min": 121}), ["uni"]),
        (leaf("employee_count", "between", {"max": 50}), ["shop"]),
        (leaf("annual_revenue", "between", {"min": "1000"}), ["acme"]),
        (leaf("annual_revenue", "between", {"max": 999.99}), ["shop"]),
        (leaf("domain", "suffix", ".edu"), ["edu", "uni"]),
        (leaf("domain", "suffix", ["co.uk", "acme.com"]), ["acme", "shop"]),
        (leaf("domain", "suffix", "mit.edu"), ["uni"]),
        (leaf("domain", "suffix", "me.com"), []),  # not a whole label
        ({"contact": leaf("title", "contains", ["revops", "vp "])}, ["acme", "shop"]),
        ({"contact": leaf("seniority", "in", ["manager", "vp"])}, ["shop", "uni"]),
        ({"contact": leaf("department", "in", ["it", "Sales"])}, ["acme", "uni"]),
        # One contact must meet both: acme's director is in Sales; shop's VP in Marketing.
        (
            {"contact": {"all": [leaf("department", "in", ["sales"]),
                                 leaf("seniority", "in", ["director", "vp"])]}},
            ["acme"],
        ),
        (
            {"all": [leaf("country", "in", ["us"]),
                     leaf("employee_count", "between", {"min": 1})]},
            ["uni"],
        ),
        (
            {"any": [leaf("country", "in", ["de"]),
                     {"contact": leaf("seniority", "in", ["vp"])}]},
            ["acme", "shop"],
        ),
    ],
)  # fmt: skip
def test_every_operator(workspace, accounts, match, expected):
    assert matched(workspace, match) == expected


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ([], "Must be a JSON object"),
        ({"priority": 1}, "matching_rules"),
        (rules(leaf("industry", "in", ["x"]), priority=1001), "priority"),
        (rules(leaf("industry", "in", ["x"]), priority=True), "priority"),
        (rules(leaf("colour", "in", ["x"])), "match: Unknown field 'colour'"),
        (rules(leaf("industry", "between", {"min": 1})), "match: industry takes"),
        (rules(leaf("industry", "in", [])), "match.value"),
        (rules(leaf("employee_count", "between", {"min": 9, "max": 1})), "min must not"),
        (rules(leaf("employee_count", "between", {"min": "many"})), "match.min"),
        (rules({"all": [leaf("industry", "in", ["x"]), {"any": []}]}), "match.all[1]"),
        (rules({"contact": leaf("industry", "in", ["x"])}), "match.contact: Unknown field"),
        (rules({"contact": {"contact": leaf("title", "contains", "x")}}), "match.contact"),
        (rules({"contact": leaf("seniority", "in", ["boss"])}), "Seniorities are"),
    ],
)
def test_the_grammar_names_what_is_wrong(raw, where):
    with pytest.raises(ValidationError) as caught:
        parse_matching_rules(raw)
    assert where in " ".join(caught.value.messages)


def test_persona_services_refuse_bad_rules(workspace):
    persona = PersonaFactory(workspace=workspace)
    with pytest.raises(ValidationError) as caught:
        persona_update(persona=persona, matching_rules=rules(leaf("colour", "in", ["x"])))
    assert "matching_rules" in caught.value.error_dict


def test_priority_then_key_decides_and_unmatched_accounts_lose_rule_personas(workspace, accounts):
    us = PersonaFactory(
        workspace=workspace,
        key="b-us",
        matching_rules=rules(leaf("country", "in", ["us"]), priority=10),
    )
    edu = PersonaFactory(
        workspace=workspace,
        key="a-edu",
        matching_rules=rules(leaf("domain", "suffix", "edu"), priority=10),
    )
    big = PersonaFactory(
        workspace=workspace,
        key="big",
        matching_rules=rules(leaf("employee_count", "between", {"min": 100})),
    )
    PersonaFactory(workspace=workspace, key="none")  # no rules: never matched
    changed = match_personas(workspace=workspace)
    personas = dict(Account.objects.values_list("name", "persona__key"))
    # uni and edu: us and edu tie at 10, a-edu comes first by key. acme: only big.
    assert personas == {"acme": "big", "uni": "a-edu", "edu": "a-edu", "shop": None}
    assert sorted(changed) == sorted(accounts[n].pk for n in ("acme", "uni", "edu"))
    assert match_personas(workspace=workspace) == []  # nothing left to change
    persona_update(persona=edu, matching_rules=rules(leaf("domain", "suffix", "edu"), 20))
    persona_update(persona=big, matching_rules={})
    match_personas(workspace=workspace)
    personas = dict(Account.objects.values_list("name", "persona__key"))
    assert personas == {"acme": None, "uni": "b-us", "edu": "b-us", "shop": None}
    assert us.pk == Account.objects.get(name="uni").persona_id


def test_a_persona_set_by_hand_is_never_overwritten(workspace, accounts, editor):
    PersonaFactory(
        workspace=workspace, key="us", matching_rules=rules(leaf("country", "in", ["us"]))
    )
    chosen = PersonaFactory(workspace=workspace, key="chosen")
    query = """mutation ($items: [AccountUpsertInput!]!) { accountsUpsert(items: $items) {
      ... on AccountsUpsertResult { items { account { personaSource persona { key } } } } } }"""
    body = editor(query, {"items": [{"ref": {"domain": "cs.mit.edu"}, "persona": gid(chosen)}]})
    assert body.data["accountsUpsert"]["items"][0]["account"] == {
        "personaSource": "MANUAL", "persona": {"key": "chosen"}
    }  # fmt: skip
    match_personas(workspace=workspace)
    assert Account.objects.get(name="uni").persona == chosen
    assert Account.objects.get(name="edu").persona.key == "us"
    # Handed back to the rules, it follows them again.
    body = editor(query, {"items": [{"ref": {"domain": "cs.mit.edu"}, "personaSource": "RULE"}]})
    assert body.data["accountsUpsert"]["items"][0]["account"]["personaSource"] == "RULE"
    match_personas(workspace=workspace)
    assert Account.objects.get(name="uni").persona.key == "us"


def test_rules_run_after_ingestion_and_move_current_stages(
    workspace, django_capture_on_commit_callbacks
):
    persona = PersonaFactory(
        workspace=workspace, key="edu", matching_rules=rules(leaf("domain", "suffix", "edu"))
    )
    journey_map = JourneyMapFactory(
        workspace=workspace, persona=persona, status=JourneyMap.Status.PUBLISHED
    )
    first = StageFactory(journey_map=journey_map, position=1)
    TouchpointFactory(workspace=workspace, key="webinar")
    with django_capture_on_commit_callbacks(execute=True):
        interactions_ingest(
            workspace=workspace,
            items=[
                InteractionItem(
                    client_id="e-1",
                    touchpoint="webinar",
                    occurred_at="2026-03-02T09:30:00Z",
                    account=AccountRef(domain="stanford.edu"),
                )
            ],
        )
    account = Account.objects.get()
    assert (account.persona, account.persona_source) == (persona, PersonaSource.RULE)
    assert AccountStage.objects.get(account=account).stage == first


def test_preview_counts_and_refuses_bad_rules(workspace, accounts, viewer):
    query = """query ($rules: JSON!) { personaMatchPreview(rules: $rules) {
      matching accounts sample { name } } }"""
    body = viewer(query, {"rules": rules(leaf("country", "in", ["us", "de"]))}).data
    assert body["personaMatchPreview"] == {
        "matching": 3, "accounts": 4, "sample": [{"name": "acme"}, {"name": "edu"}, {"name": "uni"}]
    }  # fmt: skip
    bad = viewer(query, {"rules": rules(leaf("country", "suffix", "us"))})
    assert bad.errors[0]["extensions"] == {"code": "INVALID_RULES", "field": "rules"}
    assert "country takes the operator 'in'" in bad.errors[0]["message"]


def test_preview_stays_in_the_workspace(workspace, accounts, other_workspace):
    AccountFactory(workspace=other_workspace, country="US")
    preview = persona_match_preview(workspace=workspace, rules=rules(leaf("country", "in", ["us"])))
    assert (preview.matching, preview.accounts) == (2, 4)


def test_reassign_runs_in_the_background_with_progress(
    workspace, accounts, editor, django_capture_on_commit_callbacks
):
    persona = PersonaFactory(
        workspace=workspace, key="us", matching_rules=rules(leaf("country", "in", ["us"]))
    )
    journey_map = JourneyMapFactory(
        workspace=workspace, persona=persona, status=JourneyMap.Status.PUBLISHED
    )
    StageFactory(journey_map=journey_map, position=1)
    for account in accounts.values():
        account.first_seen_at = "2026-01-01T00:00:00Z"
        account.save()
    mutation = "mutation { personasReassign { ... on PersonaReassignment { id status } } }"
    with django_capture_on_commit_callbacks(execute=True):
        started = editor(mutation).data["personasReassign"]
    assert started["status"] == "QUEUED"  # answered before the task ran
    read = """query ($id: ID!) { personaReassignment(id: $id) {
      status progress accounts changed finishedAt } }"""
    done = editor(read, {"id": started["id"]}).data["personaReassignment"]
    assert {k: v for k, v in done.items() if k != "finishedAt"} == {
        "status": "SUCCEEDED", "progress": 100, "accounts": 4, "changed": 2
    }  # fmt: skip
    assert done["finishedAt"]
    # The two US accounts now stand in the persona's map.
    assert set(AccountStage.objects.values_list("account__name", flat=True)) == {"uni", "edu"}
    run = PersonaReassignment.objects.get()
    from accounts.personas import persona_reassignment_run

    assert persona_reassignment_run(run.pk) is None  # a redelivery does nothing


def test_reassign_needs_write_access(workspace, viewer):
    result = viewer("mutation { personasReassign { ... on PersonaReassignment { id } } }")
    assert PersonaReassignment.objects.count() == 0
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
