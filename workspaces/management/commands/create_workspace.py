"""`manage.py create_workspace SLUG --name NAME [--owner USERNAME]` for operators."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from workspaces.errors import describe
from workspaces.services import workspace_create


class Command(BaseCommand):
    help = "Create a workspace; the owner, when given, becomes its admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="URL-safe identifier: letters, digits, - and _.")
        parser.add_argument("--name", required=True, help="Display name of the workspace.")
        parser.add_argument("--owner", help="Username of an existing user to make admin.")

    def handle(self, *args, slug: str, name: str, owner: str | None, **options):
        owner_user = None
        if owner is not None:
            user_model = get_user_model()
            try:
                owner_user = user_model._default_manager.get_by_natural_key(owner)
            except user_model.DoesNotExist:
                raise CommandError(
                    f'No user with username "{owner}"; create it first (manage.py createsuperuser '
                    "or the admin), or leave out --owner."
                ) from None
        try:
            workspace = workspace_create(slug=slug, name=name, owner=owner_user)
        except ValidationError as error:
            raise CommandError(f'Could not create workspace "{slug}": {describe(error)}') from error
        except IntegrityError as error:  # a concurrent create won the race for the slug
            raise CommandError(
                f'Could not create workspace "{slug}": a workspace with this slug already exists.'
            ) from error

        message = f'Created workspace "{workspace.name}" (slug {workspace.slug}, id {workspace.pk})'
        if owner_user is not None:
            message += f' with "{owner_user.get_username()}" as admin'
        self.stdout.write(self.style.SUCCESS(message + "."))
