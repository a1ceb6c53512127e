"""Reports over GraphQL, the shared runner's at-least-once safety, saved definitions and
their schedule, the run_report command and the admin.

The attribution engine is replaced by a fake compute (`fake_engine`) wherever a result
is needed: these tests are about requesting, running, storing and reading reports.
"""

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from strawberry import relay

from analytics import runner, services, tasks
from analytics.attribution import report as attribution_report
from analytics.attribution.parameters import parse_parameters
from analytics.models import Report, ReportDefinition, ReportKind, Spend
from analytics.schedules import DUE_DEFINITIONS, DUE_DEFINITIONS_FUNC, install_schedules
from tests.admin_helpers import messages_of, staff_client
from tests.conftest import token_client
from tests.factories import MilestoneFactory, PersonaFactory, TouchpointFactory
from tests.graphql_helpers import OPERATION_INFO, gid, messages, run
from workspaces.access import Scope
from workspaces.models import Role

pytestmark = pytest.mark.django_db

Status = Report.Status
Schedule_ = ReportDefinition.Schedule

RESULT = {
    "totals": {
        "conversions": 3,
        "value": 1500.0,
        "converting_journeys": 3,
        "non_converting_journeys": 5,
        "touches": 12,
    },
    "models": [
        {
            "model": "linear",
            "rows": [
                {
                    "dimension": "channel",
                    "key": "web",
                    "label": "Web",
                    "conversions": 1.75,
                    "value": 875.0,
                    "touches": 7,
                    "spend": 100.0,
                    "cost_per_conversion": 57.14,
                    "roi": 7.75,
                },
                {
                    "dimension": "channel",
                    "key": "email",
                    "label": "Email",
                    "conversions": 1.25,
                    "value": 625.0,
                    "touches": 5,
                    "spend": None,
                    "cost_per_conversion": None,
                    "roi": None,
                },
                {
                    "dimension": "touchpoint",
                    "key": "demo",
                    "label": "Demo",
                    "conversions": 3.0,
                    "value": 1500.0,
                    "touches": 12,
                    "spend": None,
                    "cost_per_conversion": None,
                    "roi": None,
                },
            ],
            "removal_effects": [],
        },
        {
            "model": "markov",
            "rows": [
                {
                    "dimension": "channel",
                    "key": "web",
                    "label": "Web",
                    "conversions": 2.0,
                    "value": 1000.0,
                    "touches": 7,
                    "spend": None,
                    "cost_per_conversion": None,
                    "roi": None,
                },
            ],
            "removal_effects": [{"state": "web", "removal_effect": 0.6}],
        },
    ],
    "notes": ["5 journeys had no touch in the lookback window."],
}


class FakeEngine:
    """Stands in for the attribution engine: records its calls, reports progress, and
    answers RESULT (or raises `error`)."""

    def __init__(self):
        self.calls = []
        self.error: Exception | None = None
        self.during = None  # called mid-run with the context, to look at the report

    def __call__(self, context):
        self.calls.append(context)
        context.progress(40)
        if self.during is not None:
            self.during(context)
        if self.error is not None:
            raise self.error
        return RESULT


@pytest.fixture
def fake_engine(monkeypatch):
    engine = FakeEngine()
    spec = dataclasses.replace(attribution_report.SPEC, compute=engine)
    monkeypatch.setattr(attribution_report, "SPEC", spec)
    return engine


@pytest.fixture
def catalogue(workspace):
    """A conversion milestone and the keys parameters can name."""
    return {
        "won": MilestoneFactory(workspace=workspace, key="deal-won", is_conversion=True),
        "lead": MilestoneFactory(workspace=workspace, key="mql"),
        "persona": PersonaFactory(workspace=workspace, key="revops"),
        "touchpoint": TouchpointFactory(workspace=workspace, key="demo"),
    }


REQUEST_FIELDS = "id kind status progress error"
RESULT_SELECTION = """
  id kind status progress error attempts startedAt finishedAt durationSeconds
  attribution {
    totals { conversions value convertingJourneys nonConvertingJourneys touches }
    models {
      model
      rows { dimension key label conversions value touches spend costPerConversion roi }
      channels: rows(dimension: CHANNEL) { key }
      removalEffects { state removalEffect }
    }
    notes
  }
"""
REPORT = f"query($id: ID!) {{ report(id: $id) {{ {RESULT_SELECTION} }} }}"


def request(client, value=None) -> dict:
    return run(
        client,
        "attributionReportRequest",
        "Report",
        REQUEST_FIELDS,
        value or {},
        arg_type="AttributionReportInput!",
    )


def _pk(global_id: str) -> int:
    return int(relay.from_base64(global_id)[1])


def make_report(workspace, **fields) -> Report:
    defaults = {
        "kind": ReportKind.ATTRIBUTION,
        "parameters": {"conversion_milestones": ["deal-won"]},
        "data_cutoff": timezone.now(),
        "code_version": "test",
    }
    return Report.objects.create(workspace=workspace, **(defaults | fields))


# Requesting and reading ----------------------------------------------------------------


def test_request_answers_queued_then_the_task_stores_the_result(
    editor, workspace, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        payload = request(editor, {"models": ["LINEAR", "MARKOV"], "lookbackDays": 30})
    assert payload["__typename"] == "Report"
    assert (payload["kind"], payload["status"], payload["progress"]) == (
        "ATTRIBUTION",
        "QUEUED",
        0,
    )
    assert len(callbacks) == 1  # queued once the mutation committed
    assert fake_engine.calls == []

    for callback in callbacks:
        callback()  # the queued task; test settings run it inline

    report = editor(REPORT, {"id": payload["id"]}).data["report"]
    assert (report["status"], report["progress"], report["error"]) == ("SUCCEEDED", 100, "")
    assert report["attempts"] == 1
    assert report["startedAt"]
    assert report["finishedAt"]
    assert report["durationSeconds"] >= 0
    result = report["attribution"]
    assert result["totals"] == {
        "conversions": 3,
        "value": 1500.0,
        "convertingJourneys": 3,
        "nonConvertingJourneys": 5,
        "touches": 12,
    }
    linear, markov = result["models"]
    assert linear["model"] == "LINEAR"
    assert linear["rows"][0] == {
        "dimension": "CHANNEL",
        "key": "web",
        "label": "Web",
        "conversions": 1.75,
        "value": 875.0,
        "touches": 7,
        "spend": 100.0,
        "costPerConversion": 57.14,
        "roi": 7.75,
    }
    assert linear["rows"][1]["spend"] is None
    assert [row["key"] for row in linear["channels"]] == ["web", "email"]
    assert linear["removalEffects"] == []
    assert markov["removalEffects"] == [{"state": "web", "removalEffect": 0.6}]
    assert result["notes"] == RESULT["notes"]

    [context] = fake_engine.calls
    assert context.workspace == workspace
    assert context.parameters["models"] == ["linear", "markov"]
    assert context.parameters["lookback_days"] == 30
    assert context.cutoff == Report.objects.get().data_cutoff


def test_the_whole_round_trip_runs_inside_the_capture_block(
    editor, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payload = request(editor)
    assert payload["status"] == "QUEUED"  # answered before the task ran
    assert Report.objects.get().status == Status.SUCCEEDED


def test_parameters_are_stored_complete_and_typed(editor, workspace, catalogue, fake_engine):
    payload = request(
        editor,
        {
            "conversionMilestones": ["deal-won"],
            "persona": "revops",
            "dimensions": ["TOUCHPOINT", "CHANNEL"],
            "positionPreset": "J_SHAPED",
            "markovState": "TOUCHPOINT",
            "markovOrder": 2,
            "halfLifeDays": 3.5,
            "leadMilestone": "mql",
            "conversionsFrom": "2026-01-01T00:00:00+00:00",
        },
    )
    query = """query($id: ID!) { report(id: $id) { attributionParameters {
        models conversionMilestones lookbackDays conversionsFrom conversionsTo persona
        dimensions halfLifeDays positionPreset positionFirst positionLast leadMilestone
        opportunityMilestone markovOrder markovState } } }"""
    params = editor(query, {"id": payload["id"]}).data["report"]["attributionParameters"]
    assert params == {
        "models": [
            "FIRST_TOUCH",
            "LAST_TOUCH",
            "LINEAR",
            "TIME_DECAY",
            "POSITION_BASED",
            "W_SHAPED",
            "FULL_PATH",
            "MARKOV",
            "SHAPLEY",
        ],
        "conversionMilestones": ["deal-won"],
        "lookbackDays": None,
        "conversionsFrom": "2026-01-01T00:00:00+00:00",
        "conversionsTo": None,
        "persona": "revops",
        "dimensions": ["TOUCHPOINT", "CHANNEL"],
        "halfLifeDays": 3.5,
        "positionPreset": None,  # resolved into the shares
        "positionFirst": 0.2,
        "positionLast": 0.6,
        "leadMilestone": "mql",
        "opportunityMilestone": None,
        "markovOrder": 2,
        "markovState": "TOUCHPOINT",
    }


def test_bad_parameters_are_field_errors_and_queue_nothing(
    editor, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        payload = request(
            editor,
            {
                "conversionMilestones": ["deal-won", "nope"],
                "lookbackDays": 0,
                "halfLifeDays": -1,
                "positionFirst": 0.5,
                "markovOrder": 4,
                "persona": "ghost",
                "leadMilestone": "nope",
                "conversionsFrom": "2026-02-01T00:00:00Z",
                "conversionsTo": "2026-01-01T00:00:00Z",
            },
        )
    assert sorted(messages(payload)) == sorted(
        [
            ("conversionMilestones", "not_found"),
            ("lookbackDays", "invalid"),
            ("halfLifeDays", "invalid"),
            ("positionFirst", "required"),
            ("markovOrder", "invalid_choice"),
            ("persona", "not_found"),
            ("leadMilestone", "not_found"),
            ("conversionsTo", "invalid"),
        ]
    )
    assert callbacks == []
    assert not Report.objects.exists()
    assert fake_engine.calls == []


def test_without_a_conversion_milestone_the_request_says_which_field(editor, workspace):
    MilestoneFactory(workspace=workspace, key="signup")  # not a conversion
    payload = request(editor)
    assert messages(payload) == [("conversionMilestones", "required")]
    assert not Report.objects.exists()


def test_attribution_is_null_until_the_report_succeeded(editor, workspace, catalogue):
    queued = make_report(workspace)
    failed = make_report(workspace, status=Status.FAILED, error="boom", result=RESULT)
    done = make_report(workspace, status=Status.SUCCEEDED, result=RESULT, progress=100)
    query = "query($id: ID!) { report(id: $id) { status error attribution { notes } } }"
    answers = [editor(query, {"id": gid(r)}).data["report"] for r in (queued, failed, done)]
    assert answers == [
        {"status": "QUEUED", "error": "", "attribution": None},
        {"status": "FAILED", "error": "boom", "attribution": None},
        {"status": "SUCCEEDED", "error": "", "attribution": {"notes": RESULT["notes"]}},
    ]


def test_models_can_be_picked_by_name(editor, workspace):
    done = make_report(workspace, status=Status.SUCCEEDED, result=RESULT)
    query = """query($id: ID!) { report(id: $id) { attribution {
        models(model: MARKOV) { model rows(dimension: TOUCHPOINT) { key } } } } }"""
    models = editor(query, {"id": gid(done)}).data["report"]["attribution"]["models"]
    assert models == [{"model": "MARKOV", "rows": []}]


def test_reports_list_newest_first_and_filter_by_kind_and_status(editor, workspace):
    old = make_report(workspace, status=Status.SUCCEEDED)
    new = make_report(workspace, status=Status.FAILED)
    query = """query($filters: ReportFilter) { reports(filters: $filters) {
        totalCount edges { node { id status progress kind } } } }"""
    everything = editor(query).data["reports"]
    assert [edge["node"]["id"] for edge in everything["edges"]] == [gid(new), gid(old)]
    failed = editor(query, {"filters": {"status": "FAILED", "kind": "ATTRIBUTION"}}).data
    assert [edge["node"]["id"] for edge in failed["reports"]["edges"]] == [gid(new)]


def test_report_delete(editor, workspace):
    report = make_report(workspace)
    payload = run(editor, "reportDelete", "Deleted", "id", gid(report), arg="id", arg_type="ID!")
    assert payload == {"__typename": "Deleted", "id": gid(report)}
    assert not Report.objects.exists()
    assert runner.report_run(report.pk) is None  # a task still queued finds nothing


# The runner: at-least-once delivery, failures, progress ----------------------------------


def test_running_a_report_twice_computes_and_stores_once(workspace, catalogue, fake_engine):
    report = make_report(workspace)
    assert runner.report_run(report.pk).status == Status.SUCCEEDED
    first = Report.objects.get()
    assert runner.report_run(report.pk) is None  # a redelivered task
    again = Report.objects.get()
    assert len(fake_engine.calls) == 1
    assert (again.status, again.result, again.attempts) == (Status.SUCCEEDED, RESULT, 1)
    assert again.finished_at == first.finished_at


def test_a_redelivery_while_the_first_run_is_alive_leaves_it_alone(
    workspace, catalogue, fake_engine
):
    report = make_report(workspace)
    redelivered = []
    fake_engine.during = lambda context: redelivered.append(runner.report_run(report.pk))

    runner.report_run(report.pk)

    assert redelivered == [None]
    assert len(fake_engine.calls) == 1
    report.refresh_from_db()
    assert (report.status, report.attempts, report.result) == (Status.SUCCEEDED, 1, RESULT)


def test_a_stale_run_is_taken_over_and_its_late_outcome_is_dropped(
    workspace, catalogue, fake_engine
):
    report = make_report(workspace)
    dead = runner._claim(report.pk)  # a worker claimed it, then died
    assert (dead.status, dead.attempts) == (Status.RUNNING, 1)
    long_ago = timezone.now() - timedelta(seconds=settings.TASK_TIMEOUT_SECONDS + 1)
    Report.objects.filter(pk=report.pk).update(started_at=long_ago, heartbeat_at=long_ago)

    assert runner.report_run(report.pk).status == Status.SUCCEEDED  # the retry
    runner._finish(dead, status=Status.FAILED, error="late")  # the first run wakes up

    report.refresh_from_db()
    assert (report.status, report.attempts, report.error) == (Status.SUCCEEDED, 2, "")
    assert report.result == RESULT
    assert len(fake_engine.calls) == 1


def test_after_max_attempts_that_never_finished_the_report_fails(workspace, catalogue, fake_engine):
    attempts = settings.Q_CLUSTER["max_attempts"]
    long_ago = timezone.now() - timedelta(days=1)
    report = make_report(workspace, status=Status.RUNNING, attempts=attempts, started_at=long_ago)
    assert runner.report_run(report.pk) is None
    report.refresh_from_db()
    assert report.status == Status.FAILED
    assert report.error == f"Gave up after {attempts} attempts that did not finish."
    assert fake_engine.calls == []


def test_a_computation_that_raises_fails_the_report_with_its_message(
    editor, workspace, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    fake_engine.error = ValueError("no journeys in the window")
    with django_capture_on_commit_callbacks(execute=True):
        payload = request(editor)
    report = editor(REPORT, {"id": payload["id"]}).data["report"]
    assert (report["status"], report["progress"], report["attribution"]) == ("FAILED", 0, None)
    assert report["error"] == "ValueError: no journeys in the window"
    assert report["finishedAt"]
    assert runner.report_run(_pk(payload["id"])) is None  # not retried


def test_progress_is_visible_while_running(workspace, catalogue, fake_engine, viewer):
    report = make_report(workspace)
    seen = []
    query = "query($id: ID!) { report(id: $id) { status progress } }"
    fake_engine.during = lambda context: seen.append(viewer(query, {"id": gid(report)}).data)

    runner.report_run(report.pk)

    assert seen == [{"report": {"status": "RUNNING", "progress": 40}}]
    report.refresh_from_db()
    assert report.progress == 100


def test_complete_parameters_parse_to_themselves(workspace, catalogue):
    complete = parse_parameters(workspace, {"position_preset": "inverse_j", "lookback_days": 9})
    assert parse_parameters(workspace, complete) == complete


# Permissions ---------------------------------------------------------------------------


def test_viewers_read_and_editors_request(viewer, editor, workspace, catalogue, fake_engine):
    report = make_report(workspace)
    assert viewer(REPORT, {"id": gid(report)}).data["report"]["id"] == gid(report)

    denied = viewer(
        f"mutation {{ attributionReportRequest(input: {{}}) {{ __typename {OPERATION_INFO} }} }}"
    )
    assert denied.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert Report.objects.count() == 1

    assert request(editor)["status"] == "QUEUED"


def test_tokens_need_analytics_scopes(workspace, catalogue, fake_engine):
    report = make_report(workspace)
    query = "{ reports { totalCount } }"
    reader = token_client(workspace, [Scope.ANALYTICS_READ])
    writer = token_client(workspace, [Scope.ANALYTICS_WRITE])
    journeys_only = token_client(workspace, [Scope.JOURNEYS_READ, Scope.JOURNEYS_WRITE])

    assert reader(query).data == {"reports": {"totalCount": 1}}
    assert journeys_only(query).errors[0]["extensions"]["requiredScope"] == "analytics:read"
    assert reader(REPORT, {"id": gid(report)}).data["report"]["status"] == "QUEUED"

    refused = reader(
        f"mutation {{ attributionReportRequest(input: {{}}) {{ __typename {OPERATION_INFO} }} }}"
    )
    assert refused.errors[0]["extensions"]["requiredScope"] == "analytics:write"
    assert request(writer)["status"] == "QUEUED"
    assert Report.objects.count() == 2


def test_another_workspaces_reports_are_not_found(editor, other_workspace, fake_engine):
    theirs = make_report(other_workspace)
    assert editor(REPORT, {"id": gid(theirs)}).data["report"] is None
    payload = run(editor, "reportDelete", "Deleted", "id", gid(theirs), arg="id", arg_type="ID!")
    assert messages(payload) == [("id", "not_found")]
    assert Report.objects.filter(pk=theirs.pk).exists()


# Saved definitions -----------------------------------------------------------------------

DEFINITION_FIELDS = """id name kind schedule nextRunAt
    attribution { models conversionMilestones lookbackDays positionPreset }"""


def create_definition(client, **value) -> dict:
    value = {"name": "Weekly board report", "attribution": {}} | value
    return run(client, "reportDefinitionCreate", "ReportDefinition", DEFINITION_FIELDS, value)


def definition_of(payload: dict) -> ReportDefinition:
    return ReportDefinition.objects.get(pk=_pk(payload["id"]))


def test_create_a_definition_stores_the_parameters_given(editor, workspace, catalogue):
    before = timezone.now()
    payload = create_definition(
        editor,
        attribution={"models": ["LINEAR"], "lookbackDays": 90, "positionPreset": "U_SHAPED"},
        schedule="WEEKLY",
    )
    assert payload["name"] == "Weekly board report"
    assert (payload["kind"], payload["schedule"]) == ("ATTRIBUTION", "WEEKLY")
    assert payload["attribution"] == {
        "models": ["LINEAR"],
        "conversionMilestones": None,  # chosen at each run: the milestones flagged then
        "lookbackDays": 90,
        "positionPreset": "U_SHAPED",
    }
    definition = definition_of(payload)
    assert definition.parameters == {
        "models": ["linear"],
        "lookback_days": 90,
        "position_preset": "u_shaped",
    }
    assert before <= definition.next_run_at <= timezone.now()  # due at the next tick
    assert definition.created_by == editor.user


def test_definition_parameters_are_checked_when_saved(editor, catalogue):
    payload = create_definition(
        editor, attribution={"conversionMilestones": ["nope"], "markovOrder": 9}
    )
    assert sorted(messages(payload)) == [
        ("attribution.conversionMilestones", "not_found"),
        ("attribution.markovOrder", "invalid_choice"),
    ]
    assert not ReportDefinition.objects.exists()


def test_unscheduled_definitions_have_no_next_run(editor, catalogue):
    payload = create_definition(editor)
    assert (payload["schedule"], payload["nextRunAt"]) == ("NONE", None)
    refused = create_definition(editor, nextRunAt="2026-12-01T06:00:00Z")
    assert messages(refused) == [("nextRunAt", "invalid")]


def test_update_a_definition(editor, catalogue):
    definition = definition_of(
        create_definition(editor, attribution={"lookbackDays": 30}, schedule="DAILY")
    )
    at = "2027-01-04T06:00:00+00:00"
    payload = run(
        editor,
        "reportDefinitionUpdate",
        "ReportDefinition",
        DEFINITION_FIELDS,
        {
            "id": gid(definition),
            "name": "Renamed",
            "attribution": {"models": ["SHAPLEY"]},  # replaces all parameters
            "schedule": "WEEKLY",
            "nextRunAt": at,
        },
    )
    assert (payload["name"], payload["schedule"], payload["nextRunAt"]) == (
        "Renamed",
        "WEEKLY",
        at,
    )
    definition.refresh_from_db()
    assert definition.parameters == {"models": ["shapley"]}

    payload = run(
        editor,
        "reportDefinitionUpdate",
        "ReportDefinition",
        DEFINITION_FIELDS,
        {"id": gid(definition), "schedule": "NONE"},
    )
    assert (payload["schedule"], payload["nextRunAt"]) == ("NONE", None)

    bad = run(
        editor,
        "reportDefinitionUpdate",
        "ReportDefinition",
        DEFINITION_FIELDS,
        {"id": gid(definition), "attribution": {"persona": "ghost"}, "name": "Kept?"},
    )
    assert messages(bad) == [("attribution.persona", "not_found")]
    definition.refresh_from_db()
    assert (definition.name, definition.parameters) == ("Renamed", {"models": ["shapley"]})


def test_run_a_definition_now_and_read_its_run_history(
    editor, workspace, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    definition = definition_of(create_definition(editor, attribution={"models": ["LINEAR"]}))
    older = make_report(workspace, definition=definition, status=Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        payload = run(
            editor,
            "reportDefinitionRun",
            "Report",
            "id status definition { id }",
            gid(definition),
            arg="id",
            arg_type="ID!",
        )
    assert payload["status"] == "QUEUED"
    assert payload["definition"] == {"id": gid(definition)}
    newest = Report.objects.get(pk=_pk(payload["id"]))
    assert newest.status == Status.SUCCEEDED
    assert newest.parameters["models"] == ["linear"]
    assert newest.requested_by == editor.user

    query = """query($id: ID!) { reportDefinition(id: $id) {
        runs { totalCount edges { node { id status } } } } }"""
    runs = editor(query, {"id": gid(definition)}).data["reportDefinition"]["runs"]
    assert runs["totalCount"] == 2
    assert [edge["node"]["id"] for edge in runs["edges"]] == [gid(newest), gid(older)]


def test_running_a_definition_whose_milestone_is_gone_is_a_field_error(
    editor, workspace, catalogue
):
    definition = definition_of(
        create_definition(editor, attribution={"conversionMilestones": ["deal-won"]})
    )
    catalogue["won"].delete()
    payload = run(
        editor, "reportDefinitionRun", "Report", "id", gid(definition), arg="id", arg_type="ID!"
    )
    assert messages(payload) == [("attribution.conversionMilestones", "not_found")]
    assert not Report.objects.exists()


def test_deleting_a_definition_keeps_its_reports(editor, workspace, catalogue):
    definition = definition_of(create_definition(editor))
    report = make_report(workspace, definition=definition)
    payload = run(
        editor,
        "reportDefinitionDelete",
        "Deleted",
        "id",
        gid(definition),
        arg="id",
        arg_type="ID!",
    )
    assert payload["id"] == gid(definition)
    report.refresh_from_db()
    assert report.definition is None


def test_definitions_list_and_filter(viewer, workspace, catalogue):
    daily = services.report_definition_create(
        workspace=workspace, name="B daily", kind="attribution", parameters={}, schedule="daily"
    )
    services.report_definition_create(
        workspace=workspace, name="A on demand", kind="attribution", parameters={}
    )
    query = """query($filters: ReportDefinitionFilter) { reportDefinitions(filters: $filters) {
        edges { node { name } } } }"""
    names = [e["node"]["name"] for e in viewer(query).data["reportDefinitions"]["edges"]]
    assert names == ["A on demand", "B daily"]
    only = viewer(query, {"filters": {"schedule": "DAILY"}}).data["reportDefinitions"]["edges"]
    assert only == [{"node": {"name": daily.name}}]


# Scheduled runs --------------------------------------------------------------------------

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def scheduled(workspace, name, schedule, next_run_at, **parameters) -> ReportDefinition:
    return ReportDefinition.objects.create(
        workspace=workspace,
        name=name,
        kind=ReportKind.ATTRIBUTION,
        parameters=parameters,
        schedule=schedule,
        next_run_at=next_run_at,
    )


@pytest.fixture
def definitions(workspace, catalogue):
    return {
        "daily": scheduled(workspace, "daily", Schedule_.DAILY, NOW - timedelta(minutes=5)),
        "weekly": scheduled(workspace, "weekly", Schedule_.WEEKLY, NOW - timedelta(hours=1)),
        "later": scheduled(workspace, "later", Schedule_.DAILY, NOW + timedelta(minutes=5)),
        "manual": scheduled(workspace, "manual", Schedule_.NONE, None),
    }


def test_due_definitions_get_one_report_each_and_move_forward(
    definitions, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reports = services.run_due_definitions(now=NOW)

    assert sorted(r.definition.name for r in reports) == ["daily", "weekly"]
    assert {r.status for r in Report.objects.all()} == {Status.SUCCEEDED}
    for definition in definitions.values():
        definition.refresh_from_db()
    assert definitions["daily"].next_run_at == NOW - timedelta(minutes=5) + timedelta(days=1)
    assert definitions["weekly"].next_run_at == NOW - timedelta(hours=1) + timedelta(weeks=1)
    assert definitions["later"].next_run_at == NOW + timedelta(minutes=5)

    assert services.run_due_definitions(now=NOW) == []  # run again: nothing is due
    assert Report.objects.count() == 2


def test_missed_runs_are_not_caught_up(workspace, catalogue, fake_engine):
    three_days_ago = NOW - timedelta(days=3, minutes=1)
    definition = scheduled(workspace, "daily", Schedule_.DAILY, three_days_ago)
    assert len(services.run_due_definitions(now=NOW)) == 1
    definition.refresh_from_db()
    assert definition.next_run_at == three_days_ago + timedelta(days=4)
    assert definition.next_run_at > NOW


def test_a_run_claimed_meanwhile_is_not_run_twice(definitions, fake_engine):
    """Two schedulers read the same due definitions; the second claims after the first
    has run them all: it finds every next run moved and requests nothing."""
    stale = list(services.due_definitions(now=NOW))
    first = services.run_due_definitions(now=NOW)
    second = [services.run_due_definition(definition, now=NOW) for definition in stale]
    assert len(first) == 2
    assert second == [None, None]
    assert Report.objects.count() == 2


def test_a_definition_whose_parameters_no_longer_pass_leaves_a_failed_run(
    workspace, catalogue, fake_engine
):
    definition = scheduled(
        workspace, "daily", Schedule_.DAILY, NOW, conversion_milestones=["deal-won"]
    )
    catalogue["won"].delete()

    [report] = services.run_due_definitions(now=NOW)

    assert report.status == Status.FAILED
    assert report.definition == definition
    assert "conversionMilestones: Unknown milestone key(s): deal-won." in report.error
    definition.refresh_from_db()
    assert definition.next_run_at == NOW + timedelta(days=1)
    assert fake_engine.calls == []


def test_the_task_counts_the_reports_it_requested(definitions, fake_engine, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    assert tasks.run_due_definitions() == 2
    assert tasks.run_due_definitions() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_schedulers_request_each_run_once(workspace, catalogue, fake_engine):
    for n in range(10):
        scheduled(workspace, f"d{n}", Schedule_.DAILY, NOW - timedelta(minutes=n))
    barrier = threading.Barrier(4)
    failures, counts = [], []

    def scheduler():
        try:
            barrier.wait()
            counts.append(len(services.run_due_definitions(now=NOW)))
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(counts) == 10
    assert Report.objects.count() == 10
    assert Report.objects.values("definition").distinct().count() == 10


def test_the_schedule_is_installed_once(db):
    [schedule] = Schedule.objects.filter(name=DUE_DEFINITIONS)  # by post_migrate
    assert (schedule.func, schedule.schedule_type, schedule.cron, schedule.repeats) == (
        DUE_DEFINITIONS_FUNC,
        Schedule.CRON,
        "*/15 * * * *",
        -1,
    )
    assert schedule.next_run.minute % 15 == 0

    schedule.cron = "0 * * * *"
    schedule.save()
    Schedule.objects.create(name=DUE_DEFINITIONS, func=DUE_DEFINITIONS_FUNC)  # a stray copy
    install_schedules()
    install_schedules()

    [again] = Schedule.objects.filter(name=DUE_DEFINITIONS)
    assert (again.pk, again.cron, again.next_run) == (
        schedule.pk,
        "*/15 * * * *",
        schedule.next_run,
    )


# The run_report command ------------------------------------------------------------------


def call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_run_report_runs_a_new_report_inline(
    workspace, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        out, _ = call(
            "--workspace", "acme", "--kind", "attribution", "--params", '{"lookbackDays": 30}'
        )
    # Run here, not queued for a worker: the one callback announces that it finished.
    assert [c.__qualname__ for c in callbacks] == ["announce_report_finished.<locals>.<lambda>"]
    report = Report.objects.get()
    assert (report.status, report.parameters["lookback_days"]) == (Status.SUCCEEDED, 30)
    assert f'Report {report.pk} (attribution) in workspace "acme": succeeded' in out
    assert "totals      conversions 3, value 1,500.00, converting_journeys 3" in out
    assert "models      linear, markov" in out
    assert "attempt 1" in out


def test_run_report_refuses_bad_parameters(workspace, catalogue, fake_engine):
    with pytest.raises(CommandError, match="Bad parameters: lookbackDays: A whole number"):
        call("--workspace", "acme", "--params", '{"lookback_days": "soon"}')
    with pytest.raises(CommandError, match="not valid JSON"):
        call("--workspace", "acme", "--params", "{nope")
    with pytest.raises(CommandError, match='No workspace with slug "nope"'):
        call("--workspace", "nope")
    assert not Report.objects.exists()


def test_run_report_runs_a_queued_report_and_again(workspace, catalogue, fake_engine):
    report = make_report(workspace)
    out, _ = call("--report", str(report.pk))
    assert "succeeded" in out
    report.refresh_from_db()
    assert report.status == Status.SUCCEEDED

    out, _ = call("--report", str(report.pk))
    assert "has finished already" in out
    assert len(fake_engine.calls) == 1

    out, _ = call("--report", str(report.pk), "--again")
    assert Report.objects.count() == 2
    assert len(fake_engine.calls) == 2


def test_run_report_fails_loudly(workspace, catalogue, fake_engine):
    fake_engine.error = RuntimeError("engine broke")
    with pytest.raises(CommandError, match="failed: RuntimeError: engine broke"):
        call("--workspace", "acme")
    assert Report.objects.get().status == Status.FAILED
    with pytest.raises(CommandError, match="No report 999"):
        call("--report", "999")


# Admin -----------------------------------------------------------------------------------


def admin_url(model, view="changelist", *args) -> str:
    return reverse(f"admin:analytics_{model._meta.model_name}_{view}", args=args)


def test_report_admin_lists_and_shows_read_only(admin_client, workspace):
    report = make_report(workspace, status=Status.SUCCEEDED, result=RESULT)
    response = admin_client.get(admin_url(Report))
    assert response.status_code == 200
    assert admin_client.get(admin_url(Report, "change", report.pk)).status_code == 200
    assert admin_client.get(admin_url(Report, "add")).status_code == 403


def test_run_again_from_the_admin(
    workspace, other_workspace, catalogue, fake_engine, django_capture_on_commit_callbacks
):
    complete = parse_parameters(workspace, {"lookback_days": 30})
    mine = make_report(workspace, status=Status.SUCCEEDED, result=RESULT, parameters=complete)
    theirs = make_report(other_workspace, parameters={})
    client = staff_client(workspace, Role.EDITOR, "ed")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            admin_url(Report),
            {"action": "run_again", "_selected_action": [mine.pk, theirs.pk]},
            follow=True,
        )
    assert "Queued 1 new report(s)." in messages_of(response)
    new = Report.objects.exclude(pk__in=[mine.pk, theirs.pk]).get()
    assert (new.workspace, new.parameters, new.status) == (
        workspace,
        mine.parameters,
        Status.SUCCEEDED,
    )
    assert new.requested_by == client.user


def test_viewers_cannot_run_again(workspace):
    make_report(workspace)
    viewer = staff_client(workspace, Role.VIEWER, "viewer")
    response = viewer.get(admin_url(Report))
    assert response.status_code == 200
    assert b"run_again" not in response.content
    editor = staff_client(workspace, Role.EDITOR, "ed")
    assert b"run_again" in editor.get(admin_url(Report)).content


def test_staff_see_only_their_workspaces_reports(workspace, other_workspace):
    mine = make_report(workspace)
    theirs = make_report(other_workspace, parameters={})
    client = staff_client(workspace, Role.EDITOR, "ed")
    assert list(client.get(admin_url(Report)).context["cl"].result_list) == [mine]
    response = client.get(admin_url(Report, "change", theirs.pk))
    assert response.status_code == 302  # "not found": back to the index


@pytest.mark.parametrize("model", [Report, ReportDefinition, Spend], ids=lambda m: m.__name__)
def test_admin_changelists_cost_the_same_for_few_and_many(
    model, workspace, catalogue, django_assert_max_num_queries
):
    client = staff_client(workspace, Role.EDITOR, "ed")

    def populate(start: int, stop: int) -> None:
        for n in range(start, stop):
            definition = services.report_definition_create(
                workspace=workspace, name=f"d{n}", kind="attribution", parameters={}
            )
            make_report(workspace, definition=definition, status=Status.SUCCEEDED, result=RESULT)
            services.spend_create(
                workspace=workspace,
                touchpoint=catalogue["touchpoint"],
                campaign=f"c{n}",
                period_start=date(2026, 1, 1),
                period_end=date(2026, 1, 31),
                amount=Decimal(10),
            )

    populate(0, 1)
    with django_assert_max_num_queries(15) as few:
        assert client.get(admin_url(model)).status_code == 200
    populate(1, 6)
    with django_assert_max_num_queries(15) as many:
        assert client.get(admin_url(model)).status_code == 200
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_definition_admin_checks_the_parameters(admin_client, workspace, catalogue):
    assert admin_client.get(admin_url(ReportDefinition, "add")).status_code == 200
    data = {
        "workspace": workspace.pk,
        "name": "Board",
        "kind": "attribution",
        "parameters": '{"conversion_milestones": ["nope"]}',
        "schedule": "weekly",
        "next_run_at_0": "",
        "next_run_at_1": "",
    }
    response = admin_client.post(admin_url(ReportDefinition, "add"), data)
    assert response.status_code == 200
    assert "Unknown milestone key(s): nope" in str(response.context["adminform"].form.errors)

    data["parameters"] = '{"lookback_days": 30}'
    response = admin_client.post(admin_url(ReportDefinition, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    definition = ReportDefinition.objects.get()
    assert definition.parameters == {"lookback_days": 30}
    assert definition.next_run_at is not None  # scheduled: due now
    assert admin_client.get(admin_url(ReportDefinition)).status_code == 200
    assert admin_client.get(admin_url(ReportDefinition, "change", definition.pk)).status_code == 200


def test_run_a_definition_from_the_admin(admin_client, workspace, catalogue, fake_engine):
    definition = services.report_definition_create(
        workspace=workspace, name="Board", kind="attribution", parameters={}
    )
    response = admin_client.post(
        admin_url(ReportDefinition),
        {"action": "run_now", "_selected_action": [definition.pk]},
        follow=True,
    )
    assert "Queued 1 report(s)." in messages_of(response)
    assert Report.objects.get().definition == definition


# Query counts ------------------------------------------------------------------------------


def test_reading_reports_and_run_histories_costs_the_same_for_few_and_many(
    viewer, workspace, catalogue, django_assert_max_num_queries
):
    query = """{
      reports { totalCount edges { node { id status definition { name }
        attributionParameters { models } attribution { totals { conversions } } } } }
      reportDefinitions { edges { node { name attribution { models }
        runs(first: 2) { totalCount edges { node { id status } } } } } }
    }"""

    def populate(definitions: int, runs: int) -> None:
        for n in range(definitions):
            definition = services.report_definition_create(
                workspace=workspace, name=f"d{n}", kind="attribution", parameters={}
            )
            for _ in range(runs):
                make_report(
                    workspace, definition=definition, status=Status.SUCCEEDED, result=RESULT
                )

    populate(1, 1)
    with django_assert_max_num_queries(12) as few:
        assert viewer(query).data["reports"]["totalCount"] == 1
    populate(5, 3)
    with django_assert_max_num_queries(12) as many:
        data = viewer(query).data
    assert data["reports"]["totalCount"] == 16
    assert all(len(e["node"]["runs"]["edges"]) <= 2 for e in data["reportDefinitions"]["edges"])
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
