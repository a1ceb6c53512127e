"""HTTP entry points that are not GraphQL resolvers: the GraphQL view and the health check."""

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET
from strawberry.django.views import GraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

from config.http_errors import (
    RequestRejected,
    from_strawberry,
    log_too_large,
    parse_body,
    too_large,
)
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
