"""Who is calling and in which workspace: resolved once per request, read by every resolver."""

from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from workspaces.models import ApiToken, Membership, Role, Workspace

WORKSPACE_HEADER = "X-Workspace"


class Scope(StrEnum):
    """What a field or mutation needs: a token needs the scope, a user the scope's role."""

    JOURNEYS_READ = "journeys:read"
    JOURNEYS_WRITE = "journeys:write"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    ANALYTICS_READ = "analytics:read"
    ANALYTICS_WRITE = "analytics:write"
    TOKENS_MANAGE = "tokens:manage"
    WEBHOOKS_MANAGE = "webhooks:manage"

    @property
    def role(self) -> Role:
        """The least workspace role that includes this scope."""
        if self in (Scope.TOKENS_MANAGE, Scope.WEBHOOKS_MANAGE):
            return Role.ADMIN
        return Role.VIEWER if self.value.endswith(":read") else Role.EDITOR


@dataclass(frozen=True)
class Denial:
    code: str
    message: str


@dataclass(frozen=True)
class Access:
    """The caller of one request: a session user, or an API token (and its creator)."""

    user: AbstractBaseUser | AnonymousUser
    workspace: Workspace | None = None
    role: Role | None = None
    token: ApiToken | None = None
    problem: Denial | None = field(default=None)
    # A bearer token was sent but is not valid: the API answers 401 (after the rate
    # limiter has counted the attempt against the caller's address).
    rejected_token: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.token is not None or self.user.is_authenticated

    def membership_denial(self) -> Denial | None:
        """Why this caller does not act in a workspace, or None when it does."""
        if not self.is_authenticated:
            return Denial("UNAUTHENTICATED", "Log in or send an API token.")
        if self.problem is not None:
            return self.problem
        if self.workspace is None:
            return Denial("NO_WORKSPACE", "No workspace selected.")
        return None

    def denial(self, scope: Scope) -> Denial | None:
        """Why this caller may not use the scope, or None when it may.

        A token's power is its scopes intersected with its creator's current role.
        """
        if (problem := self.membership_denial()) is not None:
            return problem
        if self.token is not None and scope not in self.token.scopes:
            return Denial("FORBIDDEN", f"This API token lacks the scope {scope}.")
        if self.role is not None and not self.role.allows(scope.role):
            who = "the token's creator is" if self.token is not None else "you are"
            return Denial(
                "FORBIDDEN",
                f"This needs the {scope.role.label.lower()} role ({scope}); {who} a "
                f"{self.role.label.lower()} in workspace {self.workspace.slug!r}.",
            )
        return None

    def can(self, scope: Scope) -> bool:
        return self.denial(scope) is None


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


def token_access(token: ApiToken) -> Access:
    """A token acts in its workspace with its creator's current role (operators' tokens
    have no creator and act with their scopes alone)."""
    creator = token.created_by
    if creator is None:
        return Access(user=AnonymousUser(), workspace=token.workspace, token=token)
    membership = Membership.objects.filter(user=creator, workspace=token.workspace).first()
    if membership is None:
        return Access(
            user=creator,
            workspace=token.workspace,
            token=token,
            problem=Denial(
                "FORBIDDEN", "The token's creator is no longer a member of this workspace."
            ),
        )
    return Access(user=creator, workspace=token.workspace, role=Role(membership.role), token=token)
