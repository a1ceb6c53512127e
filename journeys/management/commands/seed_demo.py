"""`manage.py seed_demo`: create (or bring up to date) the Northwind demo workspace."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from journeys import demo
from workspaces.errors import describe


class Command(BaseCommand):
    help = (
        "Create the demo workspace (slug 'demo') with personas, touchpoints, milestones and "
        "journey maps, and a demo superuser. Safe to run again: nothing is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username",
            default=demo.DEMO_USERNAME,
            help=f"Demo superuser's username (default: {demo.DEMO_USERNAME}).",
        )
        parser.add_argument(
            "--password",
            default=demo.DEMO_PASSWORD,
            help=f"Demo superuser's password (default: {demo.DEMO_PASSWORD}).",
        )

    def handle(self, *args, username: str, password: str, **options):
        if not username.strip():
            raise CommandError("--username must not be empty.")
        if not password:
            raise CommandError("--password must not be empty.")
        try:
            report = demo.seed_demo(username=username, password=password)
        except ValidationError as error:
            raise CommandError(f"Could not seed the demo: {describe(error)}") from error

        workspace = report.workspace
        self.stdout.write(f'Demo workspace "{workspace.name}" (slug {workspace.slug}):')
        for label, tally in report.tallies.items():
            parts = [f"{tally.created} created"]
            if tally.updated:
                parts.append(f"{tally.updated} updated")
            parts.append(f"{tally.present} already present")
            self.stdout.write(f"  {label}: {', '.join(parts)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at /admin/ as {username} / {password} (superuser, admin of "
                f'workspace "{workspace.slug}").'
            )
        )
        if not settings.DEBUG:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG is off: this looks like a production setup, and the demo superuser "
                    "has a known password. Change it or remove the user."
                )
            )
