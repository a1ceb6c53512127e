"""`import_interactions` and `import_milestones`: CSV files through the ingestion pipeline."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import csv_import, ingestion
from accounts.csv_import import column_for, describe_errors
from accounts.ingestion import ItemError
from accounts.models import (
    Account,
    AccountExternalId,
    Contact,
    ContactExternalId,
    Interaction,
    MilestoneAchievement,
)
from tests.factories import MilestoneFactory, TouchpointFactory
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

INTERACTION_HEADER = list(csv_import.INTERACTIONS.columns)
MILESTONE_HEADER = list(csv_import.MILESTONES.columns)
WHEN = "2026-01-05T10:00:00+02:00"


@pytest.fixture
def catalogue(workspace):
    TouchpointFactory(workspace=workspace, key="demo")
    TouchpointFactory(workspace=workspace, key="webinar")
    MilestoneFactory(workspace=workspace, key="deal-won", value=Decimal("5000.00"))


def write_csv(path, rows, header=INTERACTION_HEADER, *, encoding="utf-8"):
    """Write rows (dicts by column, or lists of cells) under a header row."""
    with open(path, "w", newline="", encoding=encoding) as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                [row.get(name, "") for name in header] if isinstance(row, dict) else row
            )
    return path


def interaction(client_id, **cells):
    return {
        "client_id": client_id,
        "touchpoint": "demo",
        "occurred_at": WHEN,
        "account_domain": "acme.com",
        **cells,
    }


def run(command, *args, stderr=None, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=stderr or StringIO(), **options)
    return out.getvalue()


def import_interactions(path, *args, **options):
    return run("import_interactions", "--workspace", "acme", str(path), *args, **options)


def read_rejected(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def stored_client_ids(model=Interaction):
    return set(model.objects.values_list("client_id", flat=True))


# A good file ---------------------------------------------------------------------------------


def test_a_good_file_is_stored_row_for_row(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv",
        [
            interaction(
                "c1",
                account_name="Acme Inc",
                contact_email="Ann@Acme.com",
                contact_name="Ann",
                source="google",
                medium="cpc",
                campaign="spring",
                cost="12.5",
                properties='{"page": "/pricing"}',
            ),
            interaction(
                "c2",
                touchpoint="webinar",
                occurred_at="2026-01-06T08:00:00Z",
                account_domain="",
                account_source="hubspot",
                account_external_id="42",
                contact_source="hubspot",
                contact_external_id="c-7",
            ),
            interaction("c3", account_domain="", contact_email="bob@acme.com"),
        ],
    )

    out = import_interactions(path)

    c1 = Interaction.objects.get(client_id="c1")
    assert (c1.touchpoint.key, c1.occurred_at) == ("demo", datetime(2026, 1, 5, 8, tzinfo=UTC))
    assert (c1.source, c1.medium, c1.campaign) == ("google", "cpc", "spring")
    assert (c1.cost, c1.properties) == (Decimal("12.50"), {"page": "/pricing"})
    acme = Account.objects.get(workspace=workspace, domain="acme.com")
    assert acme.name == "Acme Inc"
    assert (c1.account, c1.contact.email, c1.contact.name) == (acme, "ann@acme.com", "Ann")

    c2 = Interaction.objects.get(client_id="c2")
    assert c2.touchpoint.key == "webinar"
    assert AccountExternalId.objects.get(source="hubspot", external_id="42").account == c2.account
    assert c2.account != acme
    assert (c2.contact.email, c2.contact.account) == ("", c2.account)

    c3 = Interaction.objects.get(client_id="c3")  # linked by the email's company domain
    assert (c3.account, c3.contact.email, c3.contact.account) == (acme, "bob@acme.com", acme)
    assert (c3.source, c3.cost, c3.properties) == ("", None, {})

    assert Account.objects.count() == 2
    assert Contact.objects.count() == 3
    assert "rows read              3" in out
    assert "accepted               3" in out
    assert "rejected               0" in out
    assert "rows/s" in out
    assert not (tmp_path / "data.rejected.csv").exists()
    event = AuditEvent.objects.get()
    assert (event.workspace, event.source) == (workspace, AuditEvent.Source.COMMAND)
    assert (event.operation, event.object_ids, event.actor) == (
        "interactionsImport",
        [],
        "operator",
    )


def test_a_contact_named_only_by_external_id_is_found_again(tmp_path, workspace, catalogue):
    contact = {"contact_source": "hubspot", "contact_external_id": "c-7"}
    path = write_csv(tmp_path / "data.csv", [interaction("c1", **contact)])
    import_interactions(path)
    path = write_csv(tmp_path / "more.csv", [interaction("c2", **contact)])

    import_interactions(path)

    link = ContactExternalId.objects.get(source="hubspot", external_id="c-7")
    assert {i.contact for i in Interaction.objects.all()} == {link.contact}
    assert Contact.objects.count() == 1


def test_importing_again_stores_nothing_twice(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction(f"c{i}") for i in range(5)])
    import_interactions(path)

    out = import_interactions(path)

    assert Interaction.objects.count() == 5
    assert "duplicates             5" in out
    assert "accepted               0" in out
    assert AuditEvent.objects.count() == 1  # the second run stored nothing


def test_a_client_id_repeated_in_the_file_is_stored_once(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("same"), interaction("same")])

    out = import_interactions(path)

    assert Interaction.objects.count() == 1
    assert "duplicates             1" in out


def test_milestones_are_imported_with_the_milestone_value_by_default(
    tmp_path, workspace, catalogue
):
    path = write_csv(
        tmp_path / "wins.csv",
        [
            {"client_id": "w1", "milestone": "deal-won", "occurred_at": WHEN,
             "account_domain": "acme.com"},
            {"client_id": "w2", "milestone": "deal-won", "occurred_at": WHEN,
             "account_domain": "globex.com", "value": "1200", "currency": "eur",
             "properties": '{"deal": "D-9"}'},
            {"client_id": "w3", "milestone": "nope", "occurred_at": WHEN,
             "account_domain": "acme.com"},
            {"client_id": "w4", "milestone": "deal-won", "occurred_at": WHEN,
             "account_domain": "acme.com", "currency": "euro"},
        ],
        header=MILESTONE_HEADER,
    )  # fmt: skip

    out = run("import_milestones", "--workspace", "acme", str(path))

    w1, w2 = MilestoneAchievement.objects.order_by("client_id")
    assert (w1.client_id, w1.value, w1.currency, w1.account.domain) == (
        "w1",
        Decimal("5000.00"),
        "",
        "acme.com",
    )
    assert (w2.value, w2.currency, w2.properties) == (Decimal("1200.00"), "EUR", {"deal": "D-9"})
    rejected = read_rejected(tmp_path / "wins.rejected.csv")
    assert [(r["client_id"], r["line"], r["errors"]) for r in rejected] == [
        ("w3", "4", "milestone: Unknown milestone key 'nope'."),
        ("w4", "5", "currency: At most 3 characters."),
    ]
    assert "accepted               2" in out
    assert AuditEvent.objects.get().operation == "milestonesImport"


# Rejected rows -------------------------------------------------------------------------------


def test_bad_rows_go_to_the_rejected_file_and_good_rows_are_stored(tmp_path, workspace, catalogue):
    path = tmp_path / "data.csv"
    rows = [
        interaction("good-1"),  # line 2
        interaction("r-touchpoint", touchpoint="nope"),  # line 3
        interaction("r-naive", occurred_at="2026-01-05T10:00:00"),  # line 4
        interaction("r-future", occurred_at="2999-01-01T00:00:00Z"),  # line 5
        interaction("r-cost", cost="12,50"),  # line 6
        interaction("r-json", properties="{bad"),  # line 7
        interaction("", campaign="no id"),  # line 8
        interaction("r-freemail", account_domain="", contact_email="joe@gmail.com"),  # line 9
        interaction("good-2", campaign="two\nlines"),  # lines 10-11
        interaction("r-negative", cost="-3"),  # line 12
        interaction("r-nobody", account_domain=""),  # line 13
        interaction("r-array", properties="[1, 2]"),  # line 14
        ["r-short", "demo", WHEN],  # line 15
        interaction("r-domain", account_domain="not a domain"),  # line 16
        interaction("good-3"),  # line 17
    ]
    write_csv(path, rows)

    out = import_interactions(path)

    assert stored_client_ids() == {"good-1", "good-2", "good-3"}
    assert Interaction.objects.get(client_id="good-2").campaign == "two\nlines"
    rejected = read_rejected(tmp_path / "data.rejected.csv")
    assert list(rejected[0]) == [*INTERACTION_HEADER, "line", "errors"]
    assert [(r["line"], r["client_id"], r["errors"]) for r in rejected] == [
        ("3", "r-touchpoint", "touchpoint: Unknown touchpoint key 'nope'."),
        (
            "4",
            "r-naive",
            "occurred_at: Give the time zone, e.g. 2026-05-01T09:30:00Z or +02:00.",
        ),
        ("5", "r-future", "occurred_at: More than 24 hours in the future."),
        ("6", "r-cost", "cost: '12,50' is not a number."),
        ("7", "r-json", "properties: Not valid JSON."),
        ("8", "", "client_id: This field is required."),
        (
            "9",
            "r-freemail",
            "account: Cannot tell which account this is: name the account, or use a contact "
            "email with a company (not free-mail) domain.",
        ),
        ("12", "r-negative", "cost: Must be at least 0."),
        (
            "13",
            "r-nobody",
            "account: Name the account (account_external_id with account_source, or "
            "account_domain) or the contact (contact_email or contact_external_id).",
        ),
        ("14", "r-array", "properties: Must be a JSON object."),
        ("15", "r-short", "The row has 3 cells, the header 16 columns."),
        ("16", "r-domain", "account_domain: 'not a domain' is not a domain name."),
    ]
    # The other cells are carried over as they were.
    assert rejected[2]["occurred_at"] == "2999-01-01T00:00:00Z"
    assert rejected[5]["campaign"] == "no id"
    assert "accepted               3" in out
    assert "rejected              12" in out
    assert f"Rejected rows, with their line numbers and reasons: {tmp_path}" in out
    assert AuditEvent.objects.count() == 1


def test_strict_makes_rejections_an_error_but_keeps_the_good_rows(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("good"), interaction("bad", cost="x")])

    with pytest.raises(CommandError, match=r"1 of 2 rows rejected \(see .*data\.rejected\.csv\)"):
        import_interactions(path, "--strict")

    assert stored_client_ids() == {"good"}
    assert (tmp_path / "data.rejected.csv").exists()


def test_strict_passes_when_nothing_is_rejected(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("good")])

    import_interactions(path, "--strict")

    assert stored_client_ids() == {"good"}


def test_a_corrected_rejected_file_can_be_imported_as_it_is(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("ok"), interaction("late", cost="x")])
    import_interactions(path)
    rejected_path = tmp_path / "data.rejected.csv"
    text = rejected_path.read_text(encoding="utf-8").replace(",x,", ",7,")
    rejected_path.write_text(text, encoding="utf-8")

    out = import_interactions(rejected_path)

    assert stored_client_ids() == {"ok", "late"}
    assert Interaction.objects.get(client_id="late").cost == Decimal("7.00")
    assert "accepted               1" in out


def test_the_rejected_file_can_be_put_elsewhere(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("bad", touchpoint="nope")])
    elsewhere = tmp_path / "out" / "bad-rows.csv"
    elsewhere.parent.mkdir()

    import_interactions(path, "--rejected", str(elsewhere))

    assert [row["client_id"] for row in read_rejected(elsewhere)] == ["bad"]
    assert not (tmp_path / "data.rejected.csv").exists()
    assert not AuditEvent.objects.exists()  # nothing was stored


def test_the_rejected_file_must_not_be_the_input(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("one")])

    with pytest.raises(CommandError, match="cannot be the input file"):
        import_interactions(path, "--rejected", str(path))

    assert not Interaction.objects.exists()


def test_a_stale_rejected_file_is_removed_when_a_run_rejects_nothing(
    tmp_path, workspace, catalogue
):
    path = write_csv(tmp_path / "data.csv", [interaction("one")])
    stale = tmp_path / "data.rejected.csv"
    stale.write_text("client_id,line,errors\nold,2,whatever\n", encoding="utf-8")

    out = import_interactions(path)

    assert not stale.exists()
    assert "Removed the rejected-rows file of an earlier run." in out


def test_a_stale_rejected_file_is_replaced_by_this_runs_rejections(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("new", touchpoint="nope")])
    stale = tmp_path / "data.rejected.csv"
    stale.write_text("client_id,line,errors\nold,2,whatever\n", encoding="utf-8")

    import_interactions(path)

    assert [row["client_id"] for row in read_rejected(stale)] == ["new"]


# Files that cannot be imported ---------------------------------------------------------------


def test_unknown_columns_are_refused_before_anything_is_written(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv",
        [["c1", "demo", WHEN, "acme.com", "x", "y"]],
        header=["client_id", "touchpoint", "occurred_at", "account_domain", "colour", "Size"],
    )
    stale = tmp_path / "data.rejected.csv"
    stale.write_text("old\n", encoding="utf-8")

    with pytest.raises(CommandError, match="Unknown columns: colour, size") as raised:
        import_interactions(path)

    assert "Nothing was imported" in str(raised.value)
    assert not Interaction.objects.exists()
    assert not Account.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stale.read_text(encoding="utf-8") == "old\n"


def test_milestone_columns_are_unknown_in_an_interactions_file(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv", [["w1", "deal-won", WHEN, "acme.com"]], header=MILESTONE_HEADER[:4]
    )

    with pytest.raises(CommandError) as raised:
        import_interactions(path)

    assert "unknown columns: milestone" in str(raised.value).lower()
    assert "missing required columns: touchpoint" in str(raised.value)


@pytest.mark.parametrize("missing", ["client_id", "touchpoint", "occurred_at"])
def test_missing_required_columns_are_refused(tmp_path, workspace, catalogue, missing):
    header = [name for name in ("client_id", "touchpoint", "occurred_at") if name != missing]
    path = write_csv(tmp_path / "data.csv", [["a", "b"]], header=[*header, "account_domain"])

    with pytest.raises(CommandError, match=f"Missing required columns: {missing}"):
        import_interactions(path)

    assert not Interaction.objects.exists()


def test_repeated_and_unnamed_columns_are_refused(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv",
        [],
        header=["client_id", "touchpoint", "occurred_at", "", "cost", "Cost"],
    )

    with pytest.raises(
        CommandError, match="Column 4 of the header has no name; repeated columns: cost"
    ):
        import_interactions(path)


def test_header_names_are_matched_ignoring_case_and_spaces(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv",
        [["c1", "demo", WHEN, "acme.com"]],
        header=["Client_ID", " touchpoint ", "occurred_at", "ACCOUNT_DOMAIN"],
    )

    import_interactions(path)

    assert stored_client_ids() == {"c1"}


def test_an_empty_file_is_refused(tmp_path, workspace, catalogue):
    path = tmp_path / "data.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="is empty: the first line must be the header"):
        import_interactions(path)


def test_a_missing_file_is_refused(tmp_path, workspace, catalogue):
    with pytest.raises(CommandError, match=r"Cannot read .*nowhere\.csv: No such file"):
        import_interactions(tmp_path / "nowhere.csv")


def test_an_unknown_workspace_is_refused(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("c1")])

    with pytest.raises(CommandError, match='No workspace with slug "nope"'):
        run("import_interactions", "--workspace", "nope", str(path))

    assert not Interaction.objects.exists()


def test_invalid_utf8_is_refused_with_its_line_number(tmp_path, workspace, catalogue):
    path = write_csv(tmp_path / "data.csv", [interaction("c1"), interaction("c2")])
    with open(path, "ab") as file:
        file.write("c3,demo,2026-01-05T10:00:00Z,caf\xe9.com\r\n".encode("latin-1"))

    with pytest.raises(CommandError) as raised:
        import_interactions(path)

    message = str(raised.value)
    assert message.startswith("Line 4 is not valid UTF-8 (byte 33 of the line)")
    assert "The 2 rows before it were read: 2 accepted" in message
    assert stored_client_ids() == {"c1", "c2"}  # the rows before the bad line are stored
    assert AuditEvent.objects.count() == 1


def test_a_latin1_file_is_refused_on_its_first_bad_line(tmp_path, workspace, catalogue):
    path = write_csv(
        tmp_path / "data.csv", [interaction("c1", account_name="Café Noir")], encoding="latin-1"
    )

    with pytest.raises(CommandError, match="Line 2 is not valid UTF-8"):
        import_interactions(path)

    assert not Interaction.objects.exists()


def test_an_unclosed_quote_is_refused_with_its_line_number(tmp_path, workspace, catalogue):
    path = tmp_path / "data.csv"
    path.write_text(
        "client_id,touchpoint,occurred_at,account_domain\n"
        f"c1,demo,{WHEN},acme.com\n"
        f'c2,demo,{WHEN},"acme.com\n'
        f"c3,demo,{WHEN},acme.com\n",
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match=r"Line 4 \(in the row that starts on line 3\) is not"):
        import_interactions(path)

    assert stored_client_ids() == {"c1"}


def test_text_after_a_closing_quote_is_refused(tmp_path, workspace, catalogue):
    path = tmp_path / "data.csv"
    path.write_text(
        f'client_id,touchpoint,occurred_at,account_domain\n"c1"x,demo,{WHEN},acme.com\n',
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="Line 2 is not valid CSV"):
        import_interactions(path)


# Encodings and layout ---------------------------------------------------------------------


def test_a_byte_order_mark_is_accepted_and_kept_in_the_rejected_file(
    tmp_path, workspace, catalogue
):
    path = write_csv(
        tmp_path / "data.csv",
        [interaction("c1", account_name="Café Noir"), interaction("c2", touchpoint="nope")],
        encoding="utf-8-sig",
    )

    import_interactions(path)

    assert Account.objects.get().name == "Café Noir"
    raw = (tmp_path / "data.rejected.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfclient_id,")
    assert "c2" in raw.decode("utf-8-sig")


def test_blank_lines_and_trailing_empty_cells_are_ignored(tmp_path, workspace, catalogue):
    path = tmp_path / "data.csv"
    path.write_text(
        "client_id,touchpoint,occurred_at,account_domain\r\n"
        f"c1,demo,{WHEN},acme.com,,\r\n"
        "\r\n"
        f"c2,demo,{WHEN},acme.com,,x\r\n"
        f"c3,demo,{WHEN}, acme.com \r\n",
        encoding="utf-8",
    )

    import_interactions(path)

    assert stored_client_ids() == {"c1", "c3"}
    [row] = read_rejected(tmp_path / "data.rejected.csv")
    assert (row["line"], row["errors"]) == ("4", "The row has 6 cells, the header 4 columns.")


# Batches and laziness ---------------------------------------------------------------------


@pytest.fixture
def pipeline_calls(monkeypatch):
    """The sizes of the batches handed to the ingestion pipeline."""
    calls = []
    real = ingestion.interactions_ingest

    def spy(*, workspace, items):
        calls.append(len(items))
        return real(workspace=workspace, items=items)

    monkeypatch.setattr(ingestion, "interactions_ingest", spy)
    return calls


def test_a_file_is_fed_to_the_pipeline_in_batches(tmp_path, workspace, catalogue, pipeline_calls):
    rows = [interaction(f"c{i}") for i in range(7)]
    rows[3]["touchpoint"] = "nope"
    path = write_csv(tmp_path / "data.csv", rows)

    out = import_interactions(path, "--batch-size", "3")

    assert pipeline_calls == [3, 3, 1]
    assert stored_client_ids() == {f"c{i}" for i in range(7)} - {"c3"}
    assert [r["line"] for r in read_rejected(tmp_path / "data.rejected.csv")] == ["5"]
    assert "accepted               6" in out


def test_the_default_batch_is_the_api_maximum(tmp_path, workspace, catalogue, pipeline_calls):
    path = write_csv(tmp_path / "data.csv", [interaction(f"c{i}") for i in range(2001)])

    import_interactions(path, "--quiet")

    assert pipeline_calls == [ingestion.MAX_BATCH, ingestion.MAX_BATCH, 1]
    assert Interaction.objects.count() == 2001


def test_the_file_is_read_lazily(tmp_path, workspace, catalogue, pipeline_calls):
    """Batches are stored before the reader reaches the end of the file: a broken last
    line is only found after the rows before it went through the pipeline."""
    path = write_csv(tmp_path / "data.csv", [interaction(f"c{i}") for i in range(5)])
    with open(path, "ab") as file:
        file.write(b"\xff\xfe broken\r\n")

    with pytest.raises(CommandError, match="Line 7 is not valid UTF-8"):
        import_interactions(path, "--batch-size", "2")

    assert pipeline_calls == [2, 2, 1]
    assert Interaction.objects.count() == 5


@pytest.mark.parametrize("size", ["0", "1001"])
def test_the_batch_size_is_bounded(tmp_path, workspace, catalogue, size):
    path = write_csv(tmp_path / "data.csv", [interaction("c1")])

    with pytest.raises(CommandError, match="batch size must be between 1 and 1000"):
        import_interactions(path, "--batch-size", size)


# Progress and output -------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_is_one_redrawn_line(tmp_path, workspace, catalogue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = write_csv(tmp_path / "data.csv", [interaction(f"c{i}") for i in range(4)])
    stderr = Terminal()

    import_interactions(path, "--batch-size", "2", stderr=stderr)

    progress = stderr.getvalue()
    assert progress.startswith("\r[")
    assert progress.endswith("\n")
    assert progress.count("\n") == 1
    final = progress.rsplit("\r", 1)[1]
    assert final.startswith("[" + "#" * csv_import.Progress.BAR_WIDTH + "] 100%")
    assert "4 rows read, 4 accepted, 0 duplicates, 0 rejected (" in final
    assert "rows/s)" in final


def test_progress_on_a_terminal_fits_its_width(tmp_path, workspace, catalogue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    path = write_csv(tmp_path / "data.csv", [interaction("c1")])
    stderr = Terminal()

    import_interactions(path, stderr=stderr)

    assert all(len(line) <= 59 for line in stderr.getvalue().strip().split("\r"))


def test_progress_elsewhere_is_plain_lines(tmp_path, workspace, catalogue, monkeypatch):
    monkeypatch.setattr(csv_import.Progress, "PLAIN_INTERVAL", 0)
    path = write_csv(tmp_path / "data.csv", [interaction(f"c{i}") for i in range(4)])
    stderr = StringIO()

    import_interactions(path, "--batch-size", "2", stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("Importing interactions: 100%  4 rows read, 4 accepted")
    assert "\r" not in stderr.getvalue()


def test_quiet_and_verbosity_zero_suppress_progress(tmp_path, workspace, catalogue, monkeypatch):
    monkeypatch.setattr(csv_import.Progress, "PLAIN_INTERVAL", 0)
    path = write_csv(tmp_path / "data.csv", [interaction("c1"), interaction("c2", cost="x")])
    stderr = Terminal()

    out = import_interactions(path, "--quiet", stderr=stderr)
    assert stderr.getvalue() == ""
    assert "rows read              2" in out

    out = import_interactions(path, verbosity=0, stderr=stderr)
    assert (stderr.getvalue(), out) == ("", "")
    assert (tmp_path / "data.rejected.csv").exists()


# Error wording -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_field", "column"),
    [
        ("clientId", "client_id"),
        ("occurredAt", "occurred_at"),
        ("touchpoint", "touchpoint"),
        ("account.domain", "account_domain"),
        ("account.externalId", "account_external_id"),
        ("contact.source", "contact_source"),
        ("contact.email", "contact_email"),
        ("account", "account"),
    ],
)
def test_api_fields_are_named_by_their_columns(api_field, column):
    assert column_for(api_field) == column


def test_errors_are_joined_and_only_fixed_texts_are_reworded():
    errors = [
        ItemError("occurredAt", "More than 24 hours in the future.", "in_future"),
        ItemError("contact.externalId", "A source needs the external id.", "required"),
        ItemError("contact.email", "'contact.email' is not an email address.", "invalid"),
        ItemError(None, "Something about the whole row.", "invalid"),
    ]

    assert describe_errors(errors) == (
        "occurred_at: More than 24 hours in the future.; "
        "contact_external_id: A source needs the external id.; "
        "contact_email: 'contact.email' is not an email address.; "
        "Something about the whole row."
    )
