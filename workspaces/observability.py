"""What operators see: a request id on every log line (carried into tasks), structured
JSON logs, and Prometheus metrics. Apps record their metrics through the objects here;
config/ serves them (`/metrics`) and wires the middleware and the task signals."""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.utils.functional import empty
from prometheus_client import Counter, Histogram

logger = logging.getLogger("waymark.request")
task_logger = logging.getLogger("waymark.tasks")

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

HTTP_REQUESTS = Counter(
    "waymark_http_requests_total",
    "HTTP requests answered, by method, route and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "waymark_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GRAPHQL_ERRORS = Counter(
    "waymark_graphql_errors_total",
    "GraphQL errors answered (top-level `errors`, refusals before execution included), by code.",
    ["code"],
)
INGESTED_ITEMS = Counter(
    "waymark_ingestion_items_total",
    "Items of ingestion batches (API and CSV), by kind and status.",
    ["kind", "status"],
)
REPORT_DURATION = Histogram(
    "waymark_report_duration_seconds",
    "Time to compute an analytics report, by kind and outcome.",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)


def count_error(code: str | None) -> None:
    GRAPHQL_ERRORS.labels(code or "UNKNOWN").inc()


def count_ingested(kind: str, statuses) -> None:
    """One increment per item, by its status (accepted / duplicate / rejected)."""
    totals: dict[str, int] = {}
    for status in statuses:
        totals[str(status)] = totals.get(str(status), 0) + 1
    for status, number in totals.items():
        INGESTED_ITEMS.labels(kind, status).inc(number)


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unmatched"


def _workspace_slug(request) -> str | None:
    """The workspace the request acted in, without resolving a lazy session access."""
    access = getattr(request, "access", None)
    if access is None:
        return None
    wrapped = getattr(access, "_wrapped", access)
    if wrapped is empty:  # a session access nobody needed: not resolved for the log
        return None
    workspace = getattr(wrapped, "workspace", None)
    return workspace.slug if workspace is not None else None


class RequestContextMiddleware:
    """First middleware: takes the request id from X-Request-Id (or makes one), returns it
    in the response, logs one structured line per request and records the HTTP metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            route = _route(request)
            if route != "metrics":
                HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
                HTTP_LATENCY.labels(request.method, route).observe(duration)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                    "operation": getattr(request, "graphql_operation", None),
                    "workspace": _workspace_slug(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


# Query parameters that may carry credentials. The API refuses tokens in the query string,
# but a client that sends one anyway must not leave it in a log.
SECRET_PARAMETERS = (
    "access_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "authorization",
    "auth",
    "bearer",
    "password",
    "secret",
    "signature",
    "sessionid",
    "csrftoken",
)
_SECRET_QUERY = re.compile(
    r"(?P<name>(?:^|[?&;])(?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&;\s\"]*", re.IGNORECASE
)
_TOKEN_SECRET = re.compile(r"(wmk_[0-9a-f]{16}_)[A-Za-z0-9_\-]+")
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """`text` without the values of credential-like query parameters and without API
    token secrets (`wmk_<id>_...` keeps its public part)."""
    text = _SECRET_QUERY.sub(lambda match: match["name"] + REDACTED, text)
    return _TOKEN_SECRET.sub(r"\1" + REDACTED, text)


class RedactFilter(logging.Filter):
    """Removes credentials from every log message (runserver's request lines, say)."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RequestIdFilter(logging.Filter):
    """Puts the current request id (of the request or of the task) on every record."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the record's
    extra fields, and the exception's traceback as one string when there is one."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """For a terminal (development): the request id in brackets when there is one."""

    def format(self, record):
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"[{request_id}] {line}" if request_id else line


# django-q2 signals (connected in workspaces.apps): the request id travels in the task
# package, so a task's log lines carry the id of the request that queued it.


def stamp_task(sender, task, **kwargs):
    request_id = request_id_var.get()
    if request_id and "request_id" not in task:
        task["request_id"] = request_id


_task_tokens: dict[str, contextvars.Token] = {}


def task_started(sender, func, task, **kwargs):
    request_id = task.get("request_id") or f"task-{task.get('id', '')}"
    _task_tokens[task.get("id")] = request_id_var.set(request_id)
    task_logger.info(
        "Task %s started",
        task.get("name") or task.get("func"),
        extra={"task": task.get("name"), "func": str(task.get("func"))},
    )


def task_finished(sender, func, task, **kwargs):
    task_logger.info(
        "Task %s %s",
        task.get("name") or task.get("func"),
        "succeeded" if task.get("success") else "failed",
        extra={"task": task.get("name"), "success": task.get("success")},
    )
    token = _task_tokens.pop(task.get("id"), None)
    if token is not None:  # a task run inline (TASKS_SYNC) leaves its caller's id as it was
        request_id_var.reset(token)


def configure_tracing() -> None:
    """Export the GraphQL spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, unless
    a tracer provider is configured already (say by `opentelemetry-instrument`)."""
    import os

    from django.core.exceptions import ImproperlyConfigured

    try:
        from opentelemetry import trace
    except ImportError as exc:
        raise ImproperlyConfigured(
            "GRAPHQL_OPENTELEMETRY=1 needs OpenTelemetry: pip install '.[otel]'."
        ) from exc
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", "waymark")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
