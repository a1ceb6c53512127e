from django.utils.functional import SimpleLazyObject

from workspaces.access import resolve_session_access


class WorkspaceAccessMiddleware:
    """Attach `request.access` (caller, workspace, role), resolved on first use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = SimpleLazyObject(lambda: resolve_session_access(request))
        return self.get_response(request)
