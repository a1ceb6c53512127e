"""Field extensions that declare, and enforce, who may use a field or mutation."""

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema_directive import Location
from strawberry.types import Info
from strawberry_django.permissions import DjangoPermissionExtension

from workspaces.access import Ability, Access, Denial


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="The API scope a token needs, and the least workspace role its user needs.",
    repeatable=False,
)
class Requires:
    scope: str
    role: str


class AccessDenied(GraphQLError):
    """A denial the client should read: HTTP 200 with a GraphQL error carrying a code."""

    def __init__(self, denial: Denial, ability: Ability):
        super().__init__(
            denial.message,
            extensions={
                "code": denial.code,
                "requiredScope": ability.scope,
                "requiredRole": ability.role.value,
            },
        )


def get_access(info: Info) -> Access:
    return info.context.request.access


class RequireAccess(DjangoPermissionExtension):
    """Allow the field only to callers with the ability in the request's workspace."""

    def __init__(self, ability: Ability):
        super().__init__(fail_silently=False)
        self.ability = ability

    @functools.cached_property
    def schema_directive(self) -> object:
        return Requires(scope=self.ability.scope, role=self.ability.role.value)

    def resolve_for_user(self, resolver, user, *, info: Info, source: Any):
        denial = get_access(info).denial(self.ability)
        if denial is not None:
            raise AccessDenied(denial, self.ability)
        return resolver()


read_journeys = functools.partial(RequireAccess, Ability.JOURNEYS_READ)
write_journeys = functools.partial(RequireAccess, Ability.JOURNEYS_WRITE)
