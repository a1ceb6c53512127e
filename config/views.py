"""HTTP entry points that are not GraphQL resolvers: the GraphQL view and the health
checks."""

from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView

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
        return super().dispatch(request, *args, **kwargs)

    def should_render_graphql_ide(self, request) -> bool:
        # Read per request so that the setting (off in production by default) is honoured.
        return settings.GRAPHQL_GRAPHIQL and super().should_render_graphql_ide(request)


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
