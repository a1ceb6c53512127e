"""Writing the audit log; nothing ever updates or deletes an AuditEvent."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from strawberry import relay

from workspaces.models import ApiToken, AuditEvent, Workspace


def global_id(row: models.Model) -> str:
    """The id the API shows for a row (GraphQL types are named after their models)."""
    return relay.to_base64(type(row).__name__, row.pk)


def operation_name(model: type[models.Model], verb: str) -> str:
    """The mutation-style name of a change: JourneyMap + Update -> journeyMapUpdate."""
    name = model.__name__
    return f"{name[0].lower()}{name[1:]}{verb}"


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
