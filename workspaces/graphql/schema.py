from typing import Annotated

import strawberry
from django.contrib import auth
from graphql import GraphQLError
from strawberry.types import Info

from workspaces.graphql.types import Me, Role, WorkspaceMembership
from workspaces.middleware import resolve_session_access
from workspaces.selectors import user_memberships


def _membership(membership) -> WorkspaceMembership:
    workspace = membership.workspace
    return WorkspaceMembership(
        slug=workspace.slug,
        name=workspace.name,
        role=Role(membership.role),
        time_zone=workspace.time_zone,
    )


def _me(info: Info) -> Me | None:
    request = info.context.request
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = [_membership(m) for m in user_memberships(user=user)]
    access = request.access
    current = next(
        (m for m in memberships if access.workspace and m.slug == access.workspace.slug), None
    )
    return Me(
        username=user.get_username(), email=user.email, workspace=current, memberships=memberships
    )


def _session_changed(request) -> None:
    """Fields after login or logout in the same document act as the new session does
    (a token's access does not depend on the session)."""
    if request.access.token is None:
        request.access = resolve_session_access(request)


@strawberry.type
class WorkspacesQuery:
    @strawberry.field(description="The logged-in user, or null for anonymous callers. Open to all.")
    def me(self, info: Info) -> Me | None:
        return _me(info)


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description="Log in with a session cookie (browser clients; send the CSRF token). "
        "Open to all; wrong credentials give an error."
    )
    def login(
        self,
        info: Info,
        username: Annotated[str, strawberry.argument(description="The user's login name.")],
        password: Annotated[str, strawberry.argument(description="The user's password.")],
    ) -> Me:
        request = info.context.request
        user = auth.authenticate(request, username=username, password=password)
        if user is None:
            raise GraphQLError(
                "Wrong username or password.", extensions={"code": "INVALID_CREDENTIALS"}
            )
        auth.login(request, user)
        _session_changed(request)
        return _me(info)

    @strawberry.mutation(description="End the session. Open to all; false when none was open.")
    def logout(self, info: Info) -> bool:
        request = info.context.request
        was_logged_in = request.user.is_authenticated
        auth.logout(request)
        _session_changed(request)
        return was_logged_in
