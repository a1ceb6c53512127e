"""Writes for workspaces and memberships, and the save helper every service uses."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction

from workspaces.models import Membership, Role, Workspace


def validated_save(instance: models.Model) -> models.Model:
    """Run every model validation, then save: the one way services persist a row."""
    instance.full_clean()
    instance.save()
    return instance


def apply_changes(
    instance: models.Model, changes: Mapping[str, Any], *, allowed: Iterable[str]
) -> models.Model:
    """Set the given fields (only those allowed), validate and save."""
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            {
                name: ValidationError("This field cannot be changed.", code="read_only")
                for name in unknown
            }
        )
    for name, value in changes.items():
        setattr(instance, name, value)
    return validated_save(instance)


@transaction.atomic
def workspace_create(*, slug: str, name: str, owner: AbstractBaseUser | None = None) -> Workspace:
    workspace = validated_save(Workspace(slug=slug, name=name))
    if owner is not None:
        membership_set(workspace=workspace, user=owner, role=Role.ADMIN)
    return workspace


@transaction.atomic
def membership_set(*, workspace: Workspace, user: AbstractBaseUser, role: str) -> Membership:
    """Give a user a role in a workspace, adding the membership when missing."""
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        membership = Membership(workspace=workspace, user=user)
    membership.role = role
    return validated_save(membership)
