"""`manage.py seed_demo`: create (or bring up to date) the Northwind demo workspace and
its demo activity (accounts, contacts, interactions, milestone achievements)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo as activity
from journeys import demo
from workspaces.errors import describe


class Command(BaseCommand):
    help = (
        "Create the demo workspace (slug 'demo') with personas, touchpoints, milestones and "
        "journey maps, a demo superuser, and about 200 demo accounts with 12-18 months of "
        "activity. Safe to run again: nothing is duplicated."
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
        parser.add_argument(
            "--accounts",
            type=int,
            default=activity.DEFAULT_ACCOUNTS,
            help=(
                f"How many demo accounts (default: {activity.DEFAULT_ACCOUNTS}). Account n is "
                "the same whatever the number, so a smaller run is a prefix of a larger one."
            ),
        )
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="Only the workspace, catalogue and maps: no accounts and no activity.",
        )

    def handle(
        self, *args, username: str, password: str, accounts: int, no_activity: bool, **options
    ):
        if not username.strip():
            raise CommandError("--username must not be empty.")
        if not password:
            raise CommandError("--password must not be empty.")
        if accounts < 0:
            raise CommandError("--accounts must not be negative.")
        try:
            with transaction.atomic():
                report = demo.seed_demo(username=username, password=password)
                seeded = None
                if not no_activity:
                    seeded = activity.seed_activity(workspace=report.workspace, accounts=accounts)
        except ValidationError as error:
            raise CommandError(f"Could not seed the demo: {describe(error)}") from error
        except activity.DemoSeedError as error:
            raise CommandError(f"Could not seed the demo activity: {error}") from error

        workspace = report.workspace
        self.stdout.write(f'Demo workspace "{workspace.name}" (slug {workspace.slug}):')
        tallies = dict(report.tallies)
        if seeded is not None:
            tallies.update(seeded.tallies)
        for label, tally in tallies.items():
            parts = [f"{tally.created} created"]
            if tally.updated:
                parts.append(f"{tally.updated} updated")
            parts.append(f"{tally.present} already present")
            self.stdout.write(f"  {label}: {', '.join(parts)}")
        if seeded is not None:
            self.stdout.write(
                f"  Derived from the activity: {seeded.derived_achievements} rule milestone "
                f"achievements and {seeded.stage_changes} current stages written"
            )
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
