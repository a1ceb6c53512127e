"""Writing the audit log; nothing ever updates or deletes an AuditEvent."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from workspaces.models import ApiToken, AuditEvent, Workspace


def _actor_label(user: AbstractBaseUser | None, token: ApiToken | None) -> str:
    if token is not None:
        return f"token {token.name} ({token.prefix})"
    if user is not None:
        return f"user {user.get_username()}"
    return "operator"


def audit_record(
    *,
    workspace: Workspace,
    operation: str,
    source: AuditEvent.Source,
    object_ids: Sequence[str] = (),
    user: AbstractBaseUser | None = None,
    token: ApiToken | None = None,
) -> AuditEvent:
    """Record a change made by a user, a token (acting for its creator) or an operator."""
    user = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        workspace=workspace,
        operation=operation,
        source=source,
        object_ids=list(object_ids),
        user=user,
        token=token,
        actor=_actor_label(user, token),
    )
