from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from workspaces.access import Access, resolve_session_access, token_access
from workspaces.observability import count_error
from workspaces.token_services import api_token_authenticate

EXPORTS_PREFIX = "/exports/"  # downloads beside the API (workspaces/http.py)
INVALID_TOKEN_MESSAGE = (
    "Invalid, expired or revoked API token; send it as 'Authorization: Bearer <token>'."
)


def client_ip(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or the header a trusted proxy sets."""
    if settings.CLIENT_IP_HEADER:
        forwarded = request.headers.get(settings.CLIENT_IP_HEADER, "")
        # Proxies append to X-Forwarded-For; earlier entries come from the client and can
        # be forged, so trust only the last one, written by the proxy in front of us.
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def unauthorized() -> JsonResponse:
    """The one answer to every bad token, whatever was wrong with it."""
    count_error("UNAUTHENTICATED")
    response = JsonResponse(
        {"errors": [{"message": INVALID_TOKEN_MESSAGE, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="waymark"'
    return response


class WorkspaceAccessMiddleware:
    """Attach `request.access`: who calls the API and in which workspace.

    API requests (/graphql/ and the downloads under /exports/) with
    `Authorization: Bearer <token>` act as the token: no cookies, no CSRF, the token's
    workspace; a bad token is marked rejected, and the GraphQL view
    gives every one the same HTTP 401. Other requests act as the session user, resolved
    on first use.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.api_path = None

    def __call__(self, request):
        if self.api_path is None:
            self.api_path = reverse("graphql")
        authorization = request.headers.get("Authorization")
        api = request.path_info == self.api_path or request.path_info.startswith(EXPORTS_PREFIX)
        if authorization is not None and api:
            scheme, _, raw = authorization.partition(" ")
            token = None
            if scheme.lower() == "bearer":
                token = api_token_authenticate(raw.strip(), client_ip=client_ip(request))
            request.user = (token and token.created_by) or AnonymousUser()
            if token is None:
                request.access = Access(user=request.user, rejected_token=True)
            else:
                request.access = token_access(token)
            # Bearer requests carry no cookies, so they cannot be forged cross-site.
            request._dont_enforce_csrf_checks = True
        else:
            request.access = SimpleLazyObject(lambda: resolve_session_access(request))
        return self.get_response(request)
