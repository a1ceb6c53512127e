"""Who is calling and in which workspace: resolved once per request, read by every resolver."""

from dataclasses import dataclass, field
from enum import Enum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from workspaces.models import Membership, Role, Workspace

WORKSPACE_HEADER = "X-Workspace"


class Ability(Enum):
    """What a field or mutation needs: an API scope and the least workspace role."""

    JOURNEYS_READ = ("journeys:read", Role.VIEWER)
    JOURNEYS_WRITE = ("journeys:write", Role.EDITOR)

    @property
    def scope(self) -> str:
        return self.value[0]

    @property
    def role(self) -> Role:
        return self.value[1]


@dataclass(frozen=True)
class Denial:
    code: str
    message: str


@dataclass(frozen=True)
class Access:
    user: AbstractBaseUser | AnonymousUser
    workspace: Workspace | None = None
    role: Role | None = None
    problem: Denial | None = field(default=None)

    def denial(self, ability: Ability) -> Denial | None:
        """Why this caller may not use the ability, or None when it may."""
        if not self.user.is_authenticated:
            return Denial("UNAUTHENTICATED", "Log in or send an API token.")
        if self.workspace is None or self.role is None:
            return self.problem or Denial("NO_WORKSPACE", "No workspace selected.")
        if not self.role.allows(ability.role):
            return Denial(
                "FORBIDDEN",
                f"This needs the {ability.role.label.lower()} role ({ability.scope}); "
                f"you are a {self.role.label.lower()} in workspace {self.workspace.slug!r}.",
            )
        return None

    def can(self, ability: Ability) -> bool:
        return self.denial(ability) is None


def resolve_session_access(request: HttpRequest) -> Access:
    """A session user's workspace: the one the header names, else their only one."""
    user = request.user
    if not user.is_authenticated:
        return Access(user=user)
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    slug = request.headers.get(WORKSPACE_HEADER, "").strip()
    if slug:
        membership = memberships.filter(workspace__slug=slug).first()
        if membership is None:
            return Access(
                user=user,
                problem=Denial(
                    "NO_WORKSPACE", f"Workspace {slug!r} not found among your workspaces."
                ),
            )
    else:
        found = list(memberships[:2])
        if len(found) != 1:
            message = (
                "You belong to several workspaces: name one in the X-Workspace header."
                if found
                else "You are not a member of any workspace."
            )
            return Access(user=user, problem=Denial("NO_WORKSPACE", message))
        membership = found[0]
    return Access(user=user, workspace=membership.workspace, role=Role(membership.role))
