"""HTTP entry points that are not GraphQL resolvers: the GraphQL view, the SDL, the health
checks, the metrics and the front page."""

import hmac

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

from config.http_errors import (
    RequestRejected,
    error_response,
    from_strawberry,
    log_too_large,
    parse_body,
    too_large,
)
from monitoring import checks
from workspaces.middleware import unauthorized


class WaymarkGraphQLView(GraphQLView):
    """GraphQL over HTTP. Session (cookie) callers must send the CSRF token on POST;
    token callers get no cookies at all."""

    def dispatch(self, request, *args, **kwargs):
        if request.access.rejected_token:
            return unauthorized()
        if request.access.token is None:
            get_token(request)  # hands browsers the CSRF cookie on any request
        # Every refusal before execution is GraphQL-shaped JSON with a code.
        try:
            return self.run(request=request)
        except RequestRejected as exc:
            return exc.response()
        except RequestDataTooBig:  # a body without (or lying about) its Content-Length
            log_too_large(request, 0)
            return too_large(0).response()
        except HTTPException as exc:
            return from_strawberry(exc.status_code, exc.reason).response()

    def parse_http_body(self, request):
        if request.method != "POST":
            return super().parse_http_body(request)
        raw = request.request.body  # bytes, as received: the adapter's .body decodes it
        content_type, _ = parse_content_type(request.content_type or "")
        if raw.strip() and content_type != "application/json":
            raise RequestRejected(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                f"Send the request as Content-Type: application/json, not "
                f"{content_type or 'no content type'!r}.",
            )
        data = parse_body(raw)
        for key, kinds, what in _BODY_MEMBERS:
            if not isinstance(data.get(key), kinds):
                raise RequestRejected(
                    400, "INVALID_BODY", f"The request's `{key}` must be {what}, if given."
                )
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
        )

    def decode_json(self, data):
        # Only GET's `variables` parameter comes here: POST bodies are parsed above.
        return parse_body(data.encode(), what="The variables parameter")

    def should_render_graphql_ide(self, request) -> bool:
        # Read per request so that the setting (off in production by default) is honoured.
        return settings.GRAPHQL_GRAPHIQL and super().should_render_graphql_ide(request)


_BODY_MEMBERS = (
    ("query", (str, type(None)), "a string"),
    ("operationName", (str, type(None)), "a string"),
    ("variables", (dict, type(None)), "an object"),
    ("extensions", (dict, type(None)), "an object"),
)


def graphql_view():
    from config.schema import schema

    return WaymarkGraphQLView.as_view(schema=schema)


@require_GET
def healthz(request):
    """The database, the broker and the task worker (see monitoring/checks.py): 200 when
    all are fine, else 503; with the queue's length and its oldest task's age."""
    worker = checks.worker_state()
    queue = checks.queue_state()
    parts = {"database": checks.database_ok(), "broker": checks.broker_ok(), "worker": worker.ok}
    healthy = all(parts.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        name: "ok" if ok else "unavailable" for name, ok in parts.items()
    }
    body |= {
        "workerLastSeenSeconds": worker.last_seen_seconds,
        "queuedTasks": queue.queued,
        "oldestQueuedTaskSeconds": queue.oldest_seconds,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def readyz(request):
    """For load balancers: 200 while the database answers, else 503."""
    ready = checks.database_ok()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "database": "ok" if ready else "unavailable"},
        status=200 if ready else 503,
    )


@require_GET
def schema_sdl(request):
    """The schema as SDL (what `export_schema` writes to schema.graphql), for client tooling."""
    from config.schema import schema

    return HttpResponse(schema.as_str() + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def metrics(request):
    """Prometheus metrics, for a scraper holding METRICS_TOKEN (404 when none is set)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    expected = settings.METRICS_TOKEN
    if not expected:
        return error_response(404, "NOT_FOUND", "Metrics are off: set METRICS_TOKEN.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        response = error_response(
            401, "UNAUTHENTICATED", "Send the metrics token as 'Authorization: Bearer <token>'."
        )
        response["WWW-Authenticate"] = 'Bearer realm="waymark-metrics"'
        return response
    return HttpResponse(
        generate_latest(metrics_registry(REGISTRY)), content_type=CONTENT_TYPE_LATEST
    )


def metrics_registry(default):
    """The process's registry, or every process's when PROMETHEUS_MULTIPROC_DIR is set;
    with the task queue depth read from the broker at scrape time."""
    import os

    from prometheus_client import CollectorRegistry, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(default._collector_to_names):
            registry.register(collector)
    registry.register(QueueDepthCollector())
    return registry


class QueueDepthCollector:
    def collect(self):
        from django_q.brokers import get_broker
        from prometheus_client.core import GaugeMetricFamily

        gauge = GaugeMetricFamily(
            "waymark_task_queue_depth", "Tasks waiting in the broker (queued or being run)."
        )
        try:
            gauge.add_metric([], get_broker().queue_size())
        except Exception:  # the broker is down: healthz says so; no sample here
            return
        yield gauge


_HOME = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Waymark</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}}
li{{margin:.3em 0}}code{{background:#f3f3f3;padding:0 .2em}}</style></head>
<body>
<h1>Waymark</h1>
<p>Journey maps, observed customer activity and journey analytics, over GraphQL.</p>
<ul>
<li><a href="/graphql/">GraphQL API</a>{graphiql}</li>
<li><a href="/graphql/schema.graphql">Schema (SDL)</a>: every type and field, described</li>
<li><a href="/admin/">Admin</a>: workspaces, maps, tokens, reports</li>
<li><a href="/healthz">Health check</a></li>
</ul>
<p>Documentation: <code>README.md</code> and <code>docs/</code> in the repository
(API guide, ingestion, attribution, analytics, operations).</p>
</body>
</html>
"""


@require_GET
def home(request):
    """A small page at / pointing at the API, the schema, the admin and the docs."""
    graphiql = " (GraphiQL in a browser)" if settings.GRAPHQL_GRAPHIQL else ""
    return HttpResponse(_HOME.format(graphiql=graphiql))
