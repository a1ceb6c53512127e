"""HTTP entry points that are not GraphQL resolvers: the GraphQL view and the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView

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


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    from django_q.brokers import get_broker

    try:
        return bool(get_broker().ping())
    except Exception:
        return False


@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        name: "ok" if ok else "unavailable" for name, ok in checks.items()
    }
    return JsonResponse(body, status=200 if healthy else 503)
