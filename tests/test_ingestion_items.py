"""Each item of a batch on its own: every problem of an item at once, with codes; bad
characters, times, shapes and ids reject their item only, and the rest is stored; and
what a batch answers matches what was stored, also under concurrent identical batches."""

import threading
from dataclasses import fields
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import AchievementItem, FeedbackItem, InteractionItem
from accounts.models import Account, FeedbackResponse, Interaction, MilestoneAchievement
from tests.conftest import token_client
from tests.factories import MilestoneFactory, PersonaFactory, TouchpointFactory
from tests.graphql_helpers import gid
from tests.test_csv_import import import_interactions, interaction, read_rejected, write_csv
from tests.test_ingestion import INGEST
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

WHEN = "2026-03-02T09:30:00Z"
RECORD = INGEST.replace("InteractionInput", "MilestoneAchievementInput").replace(
    "interactionsIngest", "milestonesRecord"
)
FEEDBACK_RECORD = INGEST.replace("InteractionInput", "FeedbackResponseInput").replace(
    "interactionsIngest", "feedbackRecord"
)
UPSERT = """
mutation($items: [AccountUpsertInput!]!) {
  accountsUpsert(items: $items) {
    ... on AccountsUpsertResult { items { index account { domain country } errors { field code } } }
  }
}
"""
# A valid item naming every field, nested ones too: the NUL test walks its texts.
INTERACTION = {
    "clientId": "x",
    "touchpoint": "webinar",
    "occurredAt": WHEN,
    "source": "hubspot",
    "medium": "email",
    "campaign": "spring",
    "cost": "1.50",
    "properties": {"page": "pricing", "tags": ["a"]},
    "account": {"source": "crm", "externalId": "7", "domain": "acme.com", "name": "Acme"},
    "contact": {"source": "crm", "externalId": "c7", "email": "jo@acme.com", "name": "Jo"},
}
ACHIEVEMENT = {
    "clientId": "x",
    "milestone": "deal-won",
    "occurredAt": WHEN,
    "value": "10",
    "currency": "EUR",
    "properties": {"plan": "pro"},
    "account": INTERACTION["account"],
    "contact": INTERACTION["contact"],
}
FEEDBACK = {
    "clientId": "x",
    "instrument": "nps",
    "occurredAt": WHEN,
    "score": "9",
    "scale": "10",
    "comment": "Great",
    "source": "survey",
    "touchpoint": "webinar",
    "stage": None,  # a Stage id: the test names no stage
    "properties": {"form": "q3"},
    "account": INTERACTION["account"],
    "contact": INTERACTION["contact"],
}


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def test_the_templates_name_every_field_of_the_items():
    # A field added to an item must be added here, so the NUL test covers it.
    assert set(INTERACTION) == {camel(f.name) for f in fields(InteractionItem)}
    assert set(ACHIEVEMENT) == {camel(f.name) for f in fields(AchievementItem)}
    assert set(FEEDBACK) == {camel(f.name) for f in fields(FeedbackItem)}
    for ref, ref_class in (("account", AccountRef), ("contact", ContactRef)):
        assert set(INTERACTION[ref]) == {camel(f.name) for f in fields(ref_class)}


def text_paths(value, path=()):
    """Paths to every text (and every object key) inside a JSON value."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, ("key", key))
            yield from text_paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from text_paths(inner, (*path, index))


def poisoned(value, path):
    """A copy of `value` with a NUL in the text (or key) at `path`."""
    if not path:
        return value[:1] + "\u0000" + value[1:]
    step, rest = path[0], path[1:]
    if isinstance(step, tuple):  # a key
        return {(k + "\u0000" if k == step[1] else k): v for k, v in value.items()}
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[step] = poisoned(value[step], rest)
    return copy


@pytest.fixture
def catalogue(workspace):
    TouchpointFactory(workspace=workspace, key="webinar")
    MilestoneFactory(workspace=workspace, key="deal-won", is_conversion=True, value=Decimal(5))


@pytest.fixture
def crm(workspace):
    return token_client(workspace, [Scope.ACCOUNTS_WRITE, Scope.ACCOUNTS_READ, Scope.JOURNEYS_READ])


def numbered(template, n):
    return {**template, "clientId": f"evt-{n}"}


def outcome(result, name):
    payload = result.data[name]
    return [
        (i["status"].lower(), [(e["field"], e["code"]) for e in i["errors"]])
        for i in payload["items"]
    ]


def field_of(path) -> str:
    head = [step if not isinstance(step, tuple) else step[1] for step in path]
    return ".".join(str(step) for step in head[:2] if isinstance(step, str))


@pytest.mark.parametrize(
    ("document", "name", "template", "model"),
    [
        (INGEST, "interactionsIngest", INTERACTION, Interaction),
        (RECORD, "milestonesRecord", ACHIEVEMENT, MilestoneAchievement),
        (FEEDBACK_RECORD, "feedbackRecord", FEEDBACK, FeedbackResponse),
    ],
)
def test_a_nul_in_any_text_of_an_item_rejects_that_item_only(
    crm, catalogue, document, name, template, model
):
    paths = list(text_paths(template))
    assert len(paths) > 15
    for n, path in enumerate(paths):
        bad = poisoned(numbered(template, f"bad-{n}"), path)
        items = [numbered(template, f"a-{n}"), bad, numbered(template, f"b-{n}")]
        result = crm(document, {"items": items})
        statuses = [status for status, _ in outcome(result, name)]
        assert statuses == ["accepted", "rejected", "accepted"], (path, result.body)
        rejected = outcome(result, name)[1][1]
        assert "invalid_character" in {code for _, code in rejected}, (path, rejected)
        top = path[0] if isinstance(path[0], str) else path[0][1]
        assert any((field or "").startswith(top.rstrip("\u0000")) for field, _ in rejected), (
            path,
            rejected,
        )
    assert model.objects.count() == 2 * len(paths)


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        ("2026-01-01T00:00:00+16:00", "invalid_offset"),
        ("0001-01-01T00:00:00+23:59", "invalid_offset"),
        ("9999-12-31T23:59:59-23:59", "invalid_offset"),
        ("0001-01-01T00:00:00+00:30", "out_of_range"),
        ("1800-01-01T00:00:00Z", "out_of_range"),
        ("2026-02-30T00:00:00Z", "invalid"),
    ],
)
def test_impossible_times_reject_their_item_only(crm, catalogue, moment, code):
    items = [numbered(INTERACTION, 1), {**numbered(INTERACTION, 2), "occurredAt": moment}]
    result = crm(INGEST, {"items": items})
    assert outcome(result, "interactionsIngest") == [
        ("accepted", []),
        ("rejected", [("occurredAt", code)]),
    ]
    assert Interaction.objects.count() == 1


def test_every_problem_of_an_item_is_reported_at_once(crm, catalogue):
    bad = {
        "clientId": 17,
        "occurredAt": "soon",
        "cost": "-1",
        "campaign": "c" * 201,
        "properties": ["not", "an", "object"],
        "colour": "zebra-striped",
        "account": {"domain": "not a domain", "region": "eu-west-9"},
    }
    result = crm(INGEST, {"items": [numbered(INTERACTION, 1), bad, "just text"]})
    items = outcome(result, "interactionsIngest")
    assert items[0] == ("accepted", [])
    assert items[1][0] == "rejected"
    assert sorted(items[1][1]) == sorted(
        [
            ("colour", "unknown_field"),
            ("account.region", "unknown_field"),
            ("clientId", "invalid_type"),
            ("touchpoint", "required"),
            ("occurredAt", "invalid"),
            ("campaign", "too_long"),
            ("cost", "min_value"),
            ("properties", "invalid_type"),
        ]
    )
    assert items[2] == ("rejected", [(None, "invalid_type")])
    # Messages name the problem without echoing the item.
    messages = [e["message"] for e in result.data["interactionsIngest"]["items"][1]["errors"]]
    assert not any("zebra" in message or "eu-west" in message for message in messages)


def test_identity_problems_of_an_item_come_together(crm, catalogue):
    bad = {
        **numbered(INTERACTION, 2),
        "account": {"domain": "not a domain", "externalId": "9"},
        "contact": {"email": "nope", "name": 5},
    }
    result = crm(INGEST, {"items": [bad]})
    assert sorted(outcome(result, "interactionsIngest")[0][1]) == [("contact.name", "invalid_type")]
    bad["contact"]["name"] = "Jo"
    result = crm(INGEST, {"items": [bad]})
    assert sorted(outcome(result, "interactionsIngest")[0][1]) == [
        ("account.domain", "invalid"),
        ("account.source", "required"),
        ("contact.email", "invalid"),
    ]


def test_a_negative_achievement_value_is_rejected(crm, catalogue):
    result = crm(RECORD, {"items": [{**numbered(ACHIEVEMENT, 1), "value": -5}]})
    assert outcome(result, "milestonesRecord") == [("rejected", [("value", "min_value")])]


def test_upserts_reject_bad_ids_countries_and_shapes_item_by_item(crm, workspace, other_workspace):
    persona = PersonaFactory(workspace=workspace, key="ops")
    foreign = PersonaFactory(workspace=other_workspace, key="ops")
    invalid = {
        "Persona:abc": "UGVyc29uYTphYmM=",
        "Persona:": "UGVyc29uYTo=",
        "NoSuchType:1": "Tm9TdWNoVHlwZTox",
        "not base64": "%%%",
    }
    items = [
        {"ref": {"domain": "good.io"}, "persona": gid(persona), "country": "de"},
        {"ref": {"domain": "zz.io"}, "country": "ZZ"},
        {"ref": {"domain": "foreign.io"}, "persona": gid(foreign)},
        *(
            {"ref": {"domain": f"bad{n}.io"}, "persona": value}
            for n, value in enumerate(invalid.values())
        ),
        {"ref": {"domain": "x.io"}, "name": "a\u0000b", "employeeCount": "many", "shoeSize": 9},
        {"name": "no ref"},
        42,
    ]
    result = crm(UPSERT, {"items": items}).data["accountsUpsert"]["items"]
    assert result[0]["account"] == {"domain": "good.io", "country": "DE"}
    assert [sorted((e["field"], e["code"]) for e in item["errors"]) for item in result[1:]] == [
        [("country", "invalid_country")],
        [("persona", "not_found")],
        *([[("persona", "invalid_id")]] * len(invalid)),
        [
            ("employeeCount", "invalid_type"),
            ("name", "invalid_character"),
            ("shoeSize", "unknown_field"),
        ],
        [("ref", "required")],
        [(None, "invalid_type")],
    ]
    assert set(Account.objects.values_list("domain", flat=True)) == {"good.io"}


def test_csv_rows_with_nul_or_impossible_times_are_rejected_alone(tmp_path, workspace):
    TouchpointFactory(workspace=workspace, key="demo")
    row = interaction
    path = tmp_path / "data.csv"

    write_csv(
        path,
        [
            row("good-1"),
            row("r-nul", campaign="a\u0000b"),
            row("r-offset", occurred_at="2026-01-01T00:00:00+16:00"),
            row("r-year", occurred_at="0001-01-01T00:00:00+23:59"),
            row("good-2"),
        ],
    )
    import_interactions(path)
    assert set(Interaction.objects.values_list("client_id", flat=True)) == {"good-1", "good-2"}
    rejected = read_rejected(tmp_path / "data.rejected.csv")
    assert [r["client_id"] for r in rejected] == ["r-nul", "r-offset", "r-year"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_identical_batches_are_accepted_once_in_total(workspace, catalogue):
    """8 clients post one fresh 200-item batch at the same moment: the answers add up to
    what was stored - 200 accepted in all, the rest duplicates."""
    batch = [
        {**numbered(INTERACTION, n), "account": {"domain": f"co{n % 9}.com"}, "contact": None}
        for n in range(200)
    ]
    clients = [token_client(workspace, [Scope.ACCOUNTS_WRITE]) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers, failures = [], []

    def post(client):
        try:
            barrier.wait()
            answers.append(client(INGEST, {"items": batch}).data["interactionsIngest"])
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Interaction.objects.count() == 200
    assert sum(answer["accepted"] for answer in answers) == 200
    assert sum(answer["duplicates"] for answer in answers) == 200 * 7
    assert {answer["rejected"] for answer in answers} == {0}
