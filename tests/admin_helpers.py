"""Helpers shared by the Django admin tests."""

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from workspaces.models import Role


def staff_client(workspace, role: Role, username: str) -> Client:
    """A logged-in staff user (not a superuser) with this role in the workspace."""
    user = UserFactory(username=username, is_staff=True)
    MembershipFactory(workspace=workspace, user=user, role=role)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(model, view: str = "changelist", *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
