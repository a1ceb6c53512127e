"""Plain HTTP endpoints beside GraphQL (downloads of pictures and tables): the same
callers, workspaces and scopes as the API.

A caller sends `Authorization: Bearer <token>` (paths under EXPORTS_PREFIX are
authenticated like /graphql/ by `WorkspaceAccessMiddleware`) or comes with its session.
A row of another workspace answers 404, like a row that does not exist.
"""

from collections.abc import Callable

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from strawberry import relay

from workspaces.access import Scope
from workspaces.middleware import unauthorized


def denied(request: HttpRequest, scope: Scope) -> HttpResponse | None:
    """The error answer when the caller may not use the scope here, else None."""
    access = request.access
    if access.rejected_token:
        return unauthorized()
    denial = access.denial(scope)
    if denial is None:
        return None
    status = 401 if denial.code == "UNAUTHENTICATED" else 403
    return JsonResponse(
        {"errors": [{"message": denial.message, "extensions": {"code": denial.code}}]},
        status=status,
    )


def scoped_row(request: HttpRequest, model: type[models.Model], global_id: str):
    """The row a global id names, inside the caller's workspace, or Http404."""
    try:
        type_name, node_id = relay.from_base64(global_id)
    except Exception as error:
        raise Http404("Not found.") from error
    if type_name != model.__name__ or not node_id.isdigit():
        raise Http404("Not found.")
    row = model._default_manager.filter(workspace=request.access.workspace, pk=node_id).first()
    if row is None:
        raise Http404("Not found.")
    return row


def download(
    request: HttpRequest,
    scope: Scope,
    model: type[models.Model],
    global_id: str,
    build: Callable[[models.Model], HttpResponse],
) -> HttpResponse:
    """Check access, load the row in the caller's workspace, answer what `build` makes."""
    if (response := denied(request, scope)) is not None:
        return response
    response = build(scoped_row(request, model, global_id))
    response["Cache-Control"] = "private, no-store"
    return response
