from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from workspaces.models import Membership


def user_memberships(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )
