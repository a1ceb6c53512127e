"""Field extensions that declare, and enforce, who may use a field or mutation."""

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema_directive import Location
from strawberry.types import Info
from strawberry_django.permissions import DjangoPermissionExtension

from workspaces.access import Access, Denial, Scope
from workspaces.models import Role


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Who may use the field: API tokens need the scope (none: any token of the "
    "workspace), users need at least the role in the workspace.",
    repeatable=False,
)
class Requires:
    scope: str | None
    role: str


class AccessDenied(GraphQLError):
    """A denial the client should read: HTTP 200 with a GraphQL error carrying a code."""

    def __init__(self, denial: Denial, scope: Scope | None):
        extensions = {"code": denial.code}
        if scope is not None:
            extensions |= {"requiredScope": str(scope), "requiredRole": scope.role.value}
        super().__init__(denial.message, extensions=extensions)


def get_access(info: Info) -> Access:
    return info.context.request.access


class RequireAccess(DjangoPermissionExtension):
    """Allow the field only to callers holding the scope in the request's workspace.

    Without a scope, any authenticated caller of the workspace may use the field (the
    types it returns still scope their rows by their own read scope).
    """

    def __init__(self, scope: Scope | None):
        super().__init__(fail_silently=False)
        self.scope = scope

    @functools.cached_property
    def schema_directive(self) -> object:
        role = self.scope.role if self.scope is not None else Role.VIEWER
        return Requires(scope=self.scope and str(self.scope), role=role.value)

    def resolve_for_user(self, resolver, user, *, info: Info, source: Any):
        access = get_access(info)
        denial = access.denial(self.scope) if self.scope is not None else access.membership_denial()
        if denial is not None:
            raise AccessDenied(denial, self.scope)
        return resolver()


def requires(scope: Scope | None) -> list[RequireAccess]:
    """The `extensions=` of a field that needs this scope."""
    return [RequireAccess(scope)]
