"""Per-caller request rate limits on the GraphQL endpoint.

A fixed one-minute window counted in Django's cache: each API token, each logged-in
user and (for anonymous callers, such as login attempts) each client address has its
own counter. Counters live in the `default` cache: per process with the local-memory
cache, shared by every process with Redis (REDIS_URL).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.urls import reverse

from workspaces.middleware import EXPORTS_PREFIX, client_ip
from workspaces.observability import count_error

WINDOW_SECONDS = 60
_clock = time.time  # tests freeze it


def _principal(request) -> tuple[str, int]:
    """The counter key and per-minute limit of the caller (0: unlimited)."""
    access = request.access
    if access.token is not None:
        return f"token:{access.token.pk}", settings.RATE_LIMIT_PER_MINUTE
    if access.user.is_authenticated:
        return f"user:{access.user.pk}", settings.RATE_LIMIT_PER_MINUTE
    return f"ip:{client_ip(request)}", settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE


def hit(key: str, *, limit: int, now: float | None = None) -> int | None:
    """Count one request against `key`; the seconds to wait when over `limit`, else None."""
    if limit <= 0:
        return None
    now = _clock() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"ratelimit:{key}:{window}"
    # add() creates the counter only if absent; incr() is atomic on Redis and locmem.
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def rate_limited(retry_after: int) -> JsonResponse:
    count_error("RATE_LIMITED")
    response = JsonResponse(
        {
            "errors": [
                {
                    "message": f"Too many requests: try again in {retry_after} seconds.",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
                }
            ]
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Answer HTTP 429 with Retry-After once a caller exceeds its per-minute budget on
    /graphql/ and the downloads under /exports/ (one budget for both). Goes after
    WorkspaceAccessMiddleware, which says who the caller is."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.api_path = None

    def __call__(self, request):
        if self.api_path is None:
            self.api_path = reverse("graphql")
        if request.path_info == self.api_path or request.path_info.startswith(EXPORTS_PREFIX):
            key, limit = _principal(request)
            retry_after = hit(key, limit=limit)
            if retry_after is not None:
                return rate_limited(retry_after)
        return self.get_response(request)
