"""Errors that happen before GraphQL runs, as GraphQL-shaped JSON for API clients:
`{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, never an HTML page or
text/plain. Bodies are checked here: size, encoding, JSON syntax, nesting depth, shape."""

import json
import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from workspaces.observability import count_error

logger = logging.getLogger("waymark.http")

API_PATH = "/graphql/"
BODY = "The request body"


class RequestRejected(Exception):
    """A request refused before execution, with its HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, **extensions):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extensions = extensions

    def response(self) -> JsonResponse:
        return error_response(self.status, self.code, self.message, **self.extensions)


def error_response(status: int, code: str, message: str, **extensions) -> JsonResponse:
    count_error(code)
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return JsonResponse(body, status=status)


def too_large(length: int) -> RequestRejected:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return RequestRejected(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is larger than the limit of {limit} bytes; send smaller "
        "batches (or use the CSV import for files).",
        limit=limit,
        **({"size": length} if length else {}),
    )


def log_too_large(request, length: int) -> None:
    """One line, no traceback: an oversized body is the client's mistake, not a fault."""
    logger.warning(
        "Request body too large: %s bytes over the limit of %s (%s %s)",
        length or "unknown",
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        request.method,
        request.path,
    )


class BodySizeLimitMiddleware:
    """Refuse API bodies over DATA_UPLOAD_MAX_MEMORY_SIZE from their Content-Length with
    HTTP 413, before any middleware reads them (CSRF reads form bodies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == API_PATH:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return error_response(400, "BAD_REQUEST", "Content-Length is not a number.")
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                log_too_large(request, length)
                return too_large(length).response()
        return self.get_response(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON for the API, Django's page for the admin."""
    if request.path == API_PATH:
        return error_response(
            403,
            "CSRF_FAILED",
            f"CSRF verification failed: {reason} Session (cookie) clients send the "
            "csrftoken cookie's value in an X-CSRFToken header; API tokens need none.",
        )
    return django_csrf_failure(request, reason=reason)


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_body(raw: bytes, *, what: str = BODY):
    """The JSON object of a POST body (or of the `variables` parameter of a GET), or
    RequestRejected saying what is wrong with it."""
    limit = settings.GRAPHQL_MAX_JSON_DEPTH
    if not raw.strip():
        raise RequestRejected(
            400, "EMPTY_BODY", 'The request body is empty: send {"query": "..."} as JSON.'
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRejected(
            400,
            "INVALID_ENCODING",
            f"{what} is not valid UTF-8 (byte {exc.start}).",
            position=exc.start,
        ) from None
    try:
        data = json.loads(text)
    except RecursionError:
        data = None
        too_deep = True
    except json.JSONDecodeError as exc:
        raise RequestRejected(
            400,
            "INVALID_JSON",
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    else:
        too_deep = json_depth_exceeds(data, limit)
    if too_deep:
        raise RequestRejected(
            400,
            "JSON_TOO_DEEP",
            f"{what} nests arrays and objects deeper than {limit} levels.",
            limit=limit,
        )
    if isinstance(data, list):
        raise RequestRejected(
            400,
            "BATCH_NOT_SUPPORTED",
            "Batched requests (a JSON array) are not supported: send one operation per "
            "request; a document may hold several fields.",
        )
    if not isinstance(data, dict):
        raise RequestRejected(
            400,
            "INVALID_BODY",
            f"{what} must be a JSON object"
            + (' such as {"query": "...", "variables": {...}}.' if what == BODY else "."),
        )
    return data


def from_strawberry(status: int, reason: str) -> RequestRejected:
    """strawberry's own refusals (text/plain there) with a code."""
    if status == 405:
        code = "METHOD_NOT_ALLOWED"
    elif status == 404:
        code = "NOT_FOUND"
    elif reason.startswith("No GraphQL query"):
        code = "MISSING_QUERY"
    elif "must be" in reason:
        code = "INVALID_BODY"
    else:
        code = "BAD_REQUEST"
    return RequestRejected(status, code, reason)
