"""Spend records: GraphQL CRUD, the admin, and the `import_spend` CSV import."""

import csv
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analytics import services
from analytics.management.commands.import_spend import SPEND
from analytics.models import Spend
from tests.admin_helpers import staff_client
from tests.conftest import token_client
from tests.factories import TouchpointFactory
from tests.graphql_helpers import gid, messages, run
from workspaces.access import Scope
from workspaces.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

FIELDS = "id touchpoint { key } campaign periodStart periodEnd amount currency"


@pytest.fixture
def demo(workspace):
    return TouchpointFactory(workspace=workspace, key="demo")


def create(client, **value) -> dict:
    value = {"periodStart": "2026-01-01", "periodEnd": "2026-01-31", "amount": "100"} | value
    return run(client, "spendCreate", "Spend", FIELDS, value)


def spend(workspace, touchpoint=None, **fields) -> Spend:
    defaults = {
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 1, 31),
        "amount": Decimal("100.00"),
    }
    return Spend.objects.create(workspace=workspace, touchpoint=touchpoint, **(defaults | fields))


# GraphQL -----------------------------------------------------------------------------------


def test_create_spend_on_a_touchpoint_or_a_campaign(editor, demo):
    on_touchpoint = create(editor, touchpoint=gid(demo), amount="1250.505", currency="eur")
    assert on_touchpoint == {
        "__typename": "Spend",
        "id": on_touchpoint["id"],
        "touchpoint": {"key": "demo"},
        "campaign": "",
        "periodStart": "2026-01-01",
        "periodEnd": "2026-01-31",
        "amount": "1250.51",  # rounded to cents, half up
        "currency": "EUR",
    }
    on_campaign = create(editor, campaign=" spring-launch ")
    assert (on_campaign["touchpoint"], on_campaign["campaign"]) == (None, "spring-launch")
    assert Spend.objects.count() == 2


def test_spend_is_checked(editor, demo, other_workspace):
    assert messages(create(editor)) == [("campaign", "required")]
    assert messages(create(editor, campaign="x", periodEnd="2025-12-31")) == [
        ("periodEnd", "invalid")
    ]
    assert messages(create(editor, campaign="x", amount="-1")) == [("amount", "min_value")]
    assert messages(create(editor, campaign="x", currency="euro")) == [("currency", "invalid")]
    theirs = TouchpointFactory(workspace=other_workspace)
    assert messages(create(editor, touchpoint=gid(theirs))) == [("touchpoint", "not_found")]
    assert not Spend.objects.exists()


def test_one_row_per_touchpoint_campaign_and_period(editor, demo):
    create(editor, touchpoint=gid(demo))
    assert messages(create(editor, touchpoint=gid(demo), amount="5")) == [(None, "duplicate")]
    assert create(editor, touchpoint=gid(demo), campaign="spring")["__typename"] == "Spend"
    assert create(editor, touchpoint=gid(demo), periodEnd="2026-01-30")["__typename"] == "Spend"
    assert Spend.objects.count() == 3


def test_update_and_delete_spend(editor, workspace, demo):
    row = spend(workspace, demo)
    payload = run(
        editor,
        "spendUpdate",
        "Spend",
        FIELDS,
        {"id": gid(row), "touchpoint": None, "campaign": "spring", "amount": "80"},
    )
    assert (payload["touchpoint"], payload["campaign"], payload["amount"]) == (
        None,
        "spring",
        "80.00",
    )
    refused = run(editor, "spendUpdate", "Spend", FIELDS, {"id": gid(row), "campaign": ""})
    assert messages(refused) == [("campaign", "required")]

    deleted = run(editor, "spendDelete", "Deleted", "id", gid(row), arg="id", arg_type="ID!")
    assert deleted["id"] == gid(row)
    assert not Spend.objects.exists()


def test_spends_are_listed_and_filtered(viewer, workspace, demo):
    spend(workspace, demo)
    spend(workspace, campaign="spring", period_start=date(2026, 2, 1), period_end=date(2026, 2, 28))
    query = """query($filters: SpendFilter) { spends(filters: $filters) {
        totalCount edges { node { campaign periodStart touchpoint { key } } } } }"""
    everything = viewer(query).data["spends"]
    assert [e["node"]["periodStart"] for e in everything["edges"]] == ["2026-02-01", "2026-01-01"]
    by_touchpoint = viewer(query, {"filters": {"touchpoint": gid(demo)}}).data["spends"]
    assert by_touchpoint["totalCount"] == 1
    assert viewer(query, {"filters": {"campaign": "spring"}}).data["spends"]["totalCount"] == 1


def test_spend_needs_analytics_scopes(viewer, workspace, demo):
    spend(workspace, demo)
    denied = viewer(
        'mutation { spendCreate(input: {campaign: "x", periodStart: "2026-01-01", '
        'periodEnd: "2026-01-01", amount: "1"}) { __typename } }'
    )
    assert denied.errors[0]["extensions"]["code"] == "FORBIDDEN"
    reader = token_client(workspace, [Scope.ANALYTICS_READ])
    assert reader("{ spends { totalCount } }").data == {"spends": {"totalCount": 1}}
    writer = token_client(workspace, [Scope.ANALYTICS_WRITE])
    assert create(writer, campaign="x")["__typename"] == "Spend"
    accounts = token_client(workspace, [Scope.ACCOUNTS_READ])
    refused = accounts("{ spends { totalCount } }")
    assert refused.errors[0]["extensions"]["requiredScope"] == "analytics:read"


# Admin ------------------------------------------------------------------------------------


def admin_url(view="changelist", *args) -> str:
    return reverse(f"admin:analytics_spend_{view}", args=args)


def test_spend_admin_saves_through_the_services(admin_client, workspace, demo):
    assert admin_client.get(admin_url("add")).status_code == 200
    data = {
        "workspace": workspace.pk,
        "touchpoint": demo.pk,
        "campaign": "",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "amount": "10.00",
        "currency": "usd",
    }
    response = admin_client.post(admin_url("add"), data)
    assert response.status_code == 302
    row = Spend.objects.get()
    assert (row.touchpoint, row.currency) == (demo, "USD")
    assert admin_client.get(admin_url("change", row.pk)).status_code == 200

    response = admin_client.post(admin_url("add"), data, follow=True)  # the same target
    assert Spend.objects.count() == 1
    assert admin_client.get(admin_url()).status_code == 200


def test_spend_admin_is_scoped(workspace, other_workspace, demo):
    mine = spend(workspace, demo)
    spend(other_workspace, campaign="theirs")
    client = staff_client(workspace, Role.VIEWER, "viewer")
    assert list(client.get(admin_url()).context["cl"].result_list) == [mine]
    assert client.post(admin_url("delete", mine.pk), {"post": "yes"}).status_code == 403


# CSV import -----------------------------------------------------------------------------------

HEADER = list(SPEND.columns)


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


def row(**cells) -> dict:
    return {
        "touchpoint": "demo",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "amount": "100",
        "currency": "EUR",
        **cells,
    }


def import_spend(path, *args) -> str:
    out = StringIO()
    call_command(
        "import_spend", str(path), "--workspace", "acme", *args, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def test_import_stores_rows_and_reports_rejected_ones(tmp_path, workspace, demo):
    TouchpointFactory(workspace=workspace, key="webinar")
    path = write_csv(
        tmp_path / "spend.csv",
        [
            row(),
            row(touchpoint="webinar", campaign="spring", amount="250.125"),
            row(touchpoint="", campaign="brand"),
            row(touchpoint="ghost"),
            row(period_end="2025-12-01"),
            row(period_start="January"),
            row(amount="-3"),
            row(touchpoint="", campaign=""),
        ],
    )
    out = import_spend(path)

    assert "accepted               3" in out
    assert "rejected               5" in out
    stored = {
        (s.touchpoint.key if s.touchpoint else None, s.campaign): s.amount
        for s in Spend.objects.select_related("touchpoint")
    }
    assert stored == {
        ("demo", ""): Decimal("100.00"),
        ("webinar", "spring"): Decimal("250.13"),
        (None, "brand"): Decimal("100.00"),
    }
    with open(tmp_path / "spend.rejected.csv", newline="", encoding="utf-8") as file:
        rejected = list(csv.DictReader(file))
    assert [(r["line"], r["errors"]) for r in rejected] == [
        ("5", "touchpoint: Unknown touchpoint key 'ghost'."),
        ("6", "period_end: The period must not end before it starts."),
        ("7", "period_start: 'January' is not an ISO 8601 date, e.g. 2026-05-01."),
        ("8", "amount: Must be at least 0."),
        ("9", "Give a touchpoint, a campaign or both."),
    ]
    assert AuditEvent.objects.filter(operation="spendImport").count() == 1


def test_importing_again_replaces_amounts_and_is_otherwise_a_no_op(tmp_path, workspace, demo):
    path = write_csv(tmp_path / "spend.csv", [row(), row(campaign="spring", amount="7")])
    import_spend(path)
    first = {s.pk: s.amount for s in Spend.objects.all()}

    out = import_spend(path)  # the same file again
    assert "duplicates             2" in out
    assert {s.pk: s.amount for s in Spend.objects.all()} == first

    write_csv(path, [row(amount="120"), row(campaign="spring", amount="7")])
    out = import_spend(path)  # a corrected amount
    assert "accepted               1" in out
    assert "duplicates             1" in out
    assert Spend.objects.count() == 2
    assert Spend.objects.get(campaign="").amount == Decimal("120.00")
    assert {s.pk for s in Spend.objects.all()} == set(first)


def test_within_a_file_the_last_row_for_a_target_wins(tmp_path, workspace, demo):
    path = write_csv(tmp_path / "spend.csv", [row(amount="1"), row(amount="2"), row(amount="2")])
    out = import_spend(path)
    assert "accepted               2" in out
    assert "duplicates             1" in out
    assert Spend.objects.get().amount == Decimal("2.00")


def test_import_refuses_a_bad_header(tmp_path, workspace):
    path = write_csv(tmp_path / "spend.csv", [], header=["touchpoint", "cost"])
    with pytest.raises(CommandError, match="Unknown columns: cost"):
        import_spend(path)
    with pytest.raises(CommandError, match='No workspace with slug "nope"'):
        call_command("import_spend", str(path), "--workspace", "nope", stdout=StringIO())


def test_spend_import_service_in_one_batch(workspace, demo, django_assert_max_num_queries):
    items = [
        services.SpendItem(
            touchpoint="demo",
            period_start=f"2026-{month:02d}-01",
            period_end=f"2026-{month:02d}-28",
            amount="10",
        )
        for month in range(1, 13)
    ]
    with django_assert_max_num_queries(8):
        report = services.spend_import(workspace=workspace, items=items)
    assert [item.status for item in report.items] == ["accepted"] * 12
    assert Spend.objects.count() == 12
