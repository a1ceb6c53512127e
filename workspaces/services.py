"""Writes for workspaces and memberships, and the save helper every service uses."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction

from workspaces.models import Membership, Role, Workspace


def validated_save(instance: models.Model) -> models.Model:
    """Run every model validation, then save: the one way services persist a row.

    An explicit null given for an optional text (or JSON) field that cannot be null means
    "empty": it is stored as the field's empty value (a required one then fails
    validation as blank), never handed to a NOT NULL column."""
    _empty_for_null(instance)
    instance.full_clean()
    instance.save()
    return instance


def _empty_for_null(instance: models.Model) -> None:
    for field in instance._meta.concrete_fields:
        if field.null or field.primary_key or getattr(instance, field.attname) is not None:
            continue
        if field.empty_strings_allowed and not field.is_relation:
            setattr(instance, field.attname, "")
        elif isinstance(field, models.JSONField) and field.has_default():
            setattr(instance, field.attname, field.get_default())


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
