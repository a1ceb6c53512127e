"""Request ids (accepted, generated, returned, carried into tasks), structured request logs,
JSON log lines, Prometheus metrics behind a token, static files, the front page."""

import json
import logging

import pytest
from django.test import Client
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.tasks import _sync
from prometheus_client.parser import text_string_to_metric_families

from analytics.runner import report_request, report_run
from tests.conftest import token_client
from tests.factories import MilestoneFactory, TouchpointFactory
from workspaces.access import Scope
from workspaces.observability import JsonFormatter, request_id_var

QUERY = {"query": "query Who { me { username } }"}
INGEST = """
mutation Ingest($items: [InteractionInput!]!) {
  interactionsIngest(items: $items) { ... on IngestResult { accepted rejected } }
}
"""


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "waymark.request"]


def test_request_id_is_taken_from_the_header_and_returned(db, caplog):
    with caplog.at_level(logging.INFO, logger="waymark.request"):
        response = Client().post(
            "/graphql/", QUERY, content_type="application/json", headers={"X-Request-Id": "abc-123"}
        )
    assert response["X-Request-Id"] == "abc-123"
    (record,) = _request_records(caplog)
    assert record.request_id == "abc-123"
    assert (record.method, record.path, record.status) == ("POST", "/graphql/", 200)
    assert record.operation == "Who"
    assert record.duration_ms >= 0


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 200, "bad\u00e9"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(db, given):
    headers = {"X-Request-Id": given} if given is not None else {}
    first = Client().get("/healthz", headers=headers)["X-Request-Id"]
    second = Client().get("/healthz", headers=headers)["X-Request-Id"]
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != second


def test_the_request_log_names_the_workspace_and_formats_as_json(workspace, caplog):
    client = token_client(workspace, [Scope.JOURNEYS_READ])
    with caplog.at_level(logging.INFO, logger="waymark.request"):
        client("query Maps { journeyMaps { totalCount } }", **{"X-Request-Id": "req-7"})
    (record,) = _request_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-7"
    assert line["workspace"] == "acme"
    assert line["operation"] == "Maps"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    assert line["logger"] == "waymark.request"
    assert line["message"] == "POST /graphql/ 200"


def test_json_lines_carry_the_traceback_as_one_field():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("now",), None)
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed now"
    assert "ValueError: boom" in line["exception"]


@pytest.mark.django_db(transaction=True)
def test_the_request_id_travels_with_a_task_into_its_log(workspace, monkeypatch, caplog):
    """The ingestion's follow-up task is queued (not run inline) when the request's
    transaction commits, then run by a worker outside the request: its log lines carry
    the request's id."""
    TouchpointFactory(workspace=workspace, key="webinar")
    client = token_client(workspace, [Scope.ACCOUNTS_WRITE])
    monkeypatch.setattr(Conf, "SYNC", False)
    items = [
        {
            "clientId": "e-1",
            "touchpoint": "webinar",
            "occurredAt": "2026-03-02T09:14:00Z",
            "account": {"domain": "acme.com"},
        }
    ]
    broker = get_broker()
    broker.purge_queue()
    result = client(INGEST, {"items": items}, **{"X-Request-Id": "ingest-42"})
    assert result.data["interactionsIngest"]["accepted"] == 1
    queued = broker.dequeue()
    assert queued, "the ingestion queued no task"
    assert request_id_var.get() is None  # outside the request now
    with caplog.at_level(logging.INFO, logger="waymark.tasks"):
        for _task_id, package in queued:
            task = SignedPackage.loads(package)
            assert task["request_id"] == "ingest-42"
            task["sync"] = True  # run here, in this test's database connection
            _sync(SignedPackage.dumps(task))
    started = [r for r in caplog.records if r.name == "waymark.tasks" and "started" in r.msg]
    assert started
    assert {r.request_id for r in started} == {"ingest-42"}


def _scrape(client, token="scrape-secret"):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_need_the_token(db, settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics")
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    settings.METRICS_TOKEN = "scrape-secret"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = Client().get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_metrics_count_requests_errors_ingestion_reports_and_the_queue(workspace, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    scraper = Client()
    before = _scrape(scraper)
    TouchpointFactory(workspace=workspace, key="webinar")
    MilestoneFactory(workspace=workspace, key="deal-won", is_conversion=True)
    client = token_client(workspace, [Scope.ACCOUNTS_WRITE])
    good = {"touchpoint": "webinar", "occurredAt": "2026-03-02T09:14:00Z"}
    items = [
        {"clientId": "m-1", **good, "account": {"domain": "acme.com"}},
        {"clientId": "m-2", **good, "account": {"domain": "acme.com"}},
        {"clientId": "m-3", "touchpoint": "nope", "occurredAt": good["occurredAt"]},
    ]
    assert client(INGEST, {"items": items}).data["interactionsIngest"]["accepted"] == 2
    Client().post("/graphql/", "[]", content_type="application/json")  # BATCH_NOT_SUPPORTED
    Client().post("/graphql/", {"query": "{ nope }"}, content_type="application/json")
    report = report_request(workspace=workspace, kind="paths", parameters={}, enqueue=False)
    report_run(report.pk)
    after = _scrape(scraper)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    route = {"method": "POST", "route": "graphql/", "status": "200"}
    assert delta("waymark_http_requests_total", **route) == 2
    assert delta("waymark_http_requests_total", **(route | {"status": "400"})) == 1
    assert (
        delta("waymark_http_request_duration_seconds_count", method="POST", route="graphql/") == 3
    )
    assert delta("waymark_graphql_errors_total", code="BATCH_NOT_SUPPORTED") == 1
    assert delta("waymark_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert delta("waymark_ingestion_items_total", kind="interaction", status="accepted") == 2
    assert delta("waymark_ingestion_items_total", kind="interaction", status="rejected") == 1
    assert delta("waymark_report_duration_seconds_count", kind="paths", status="succeeded") == 1
    assert ("waymark_task_queue_depth", ()) in after


def test_the_sdl_is_served(db):
    from config.schema import schema

    response = Client().get("/graphql/schema.graphql")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == schema.as_str() + "\n"


def test_the_front_page_links_the_api_the_admin_and_the_docs(db):
    response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for link in ('href="/graphql/"', 'href="/admin/"', 'href="/graphql/schema.graphql"'):
        assert link in page
    assert "docs/" in page


def test_static_files_are_served_by_the_app(db):
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"/*")


_TRACED = """
import json, django
django.setup()
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
from config.schema import schema
assert schema.execute_sync("query Hello { __typename }").errors is None
print(json.dumps(sorted(span.name for span in exporter.get_finished_spans())))
"""


@pytest.mark.parametrize(("flag", "traced"), [("1", True), ("0", False)])
def test_graphql_operations_are_traced_when_opentelemetry_is_on(flag, traced):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    env["GRAPHQL_OPENTELEMETRY"] = flag
    output = subprocess.run(
        [sys.executable, "-c", _TRACED],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spans = json.loads(output)
    assert ("GraphQL Query: Hello" in spans) is traced, spans
