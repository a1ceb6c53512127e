"""`manage.py run_report`: run one report inline, for operators, and print a summary.

    manage.py run_report --workspace SLUG --kind attribution [--params JSON]
    manage.py run_report --report ID [--again]

The first requests a new report and runs it in this process (no worker needed); the
second runs a queued report (or one whose worker died), or with --again requests a new
report with the same parameters. The run goes through the same runner as the workers', so
a worker that picks up the same report meanwhile leaves it to this run.
"""

import json
import re
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from analytics.models import Report, ReportKind
from analytics.runner import report_request, report_run
from workspaces.errors import describe
from workspaces.models import Workspace

Status = Report.Status
TOTALS = ["conversions", "value", "converting_journeys", "non_converting_journeys", "touches"]


def _snake(name: str) -> str:
    """conversionMilestones -> conversion_milestones: the API's names work too."""
    return re.sub(r"[A-Z]", lambda m: f"_{m.group().lower()}", name)


def _number(value) -> str:
    if isinstance(value, dict):  # a group of figures (the feedback report's NPS, say)
        return "(" + ", ".join(f"{name} {_number(item)}" for name, item in value.items()) + ")"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


class Command(BaseCommand):
    help = (
        "Run one report in this process and print a summary: a new one (--workspace, "
        "--kind, --params) or an existing one (--report)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="The workspace's slug (for a new report).")
        parser.add_argument(
            "--kind", choices=ReportKind.values, default=ReportKind.ATTRIBUTION.value
        )
        parser.add_argument(
            "--params",
            default="{}",
            help='Parameters as a JSON object, e.g. \'{"models": ["linear"], '
            "\"lookback_days\": 90}' (snake_case or the API's camelCase names; defaults "
            "fill in the rest).",
        )
        parser.add_argument("--report", type=int, help="Run this existing report instead.")
        parser.add_argument(
            "--again",
            action="store_true",
            help="With --report: request and run a new report with its parameters.",
        )

    def handle(self, *args, **options):
        if options["report"] is not None:
            if options["workspace"]:
                raise CommandError("Give --report or --workspace, not both.")
            report = self._existing(options["report"], again=options["again"])
        else:
            if options["again"]:
                raise CommandError("--again goes with --report.")
            if not options["workspace"]:
                raise CommandError("Give --workspace SLUG (or --report ID).")
            report = self._request(
                self._workspace(options["workspace"]), options["kind"], self._params(options)
            )
        if report.status in (Status.QUEUED, Status.RUNNING):
            started = time.monotonic()
            ran = report_run(report.pk)
            report.refresh_from_db()
            if ran is None and report.status == Status.RUNNING:
                self.stdout.write(
                    self.style.WARNING(f"Report {report.pk} is being run by a worker now.")
                )
            elif ran is not None:
                self.stderr.write(f"Ran in {time.monotonic() - started:.1f} s.")
        self._summary(report)
        if report.status == Status.FAILED:
            raise CommandError(f"Report {report.pk} failed: {report.error}")

    # Which report ---------------------------------------------------------------------

    def _workspace(self, slug: str) -> Workspace:
        try:
            return Workspace.objects.get(slug=slug)
        except Workspace.DoesNotExist:
            raise CommandError(f'No workspace with slug "{slug}".') from None

    def _params(self, options) -> dict:
        try:
            params = json.loads(options["params"])
        except json.JSONDecodeError as error:
            raise CommandError(f"--params is not valid JSON: {error}.") from None
        if not isinstance(params, dict):
            raise CommandError("--params must be a JSON object.")
        return {_snake(name): value for name, value in params.items()}

    def _request(self, workspace: Workspace, kind: str, params: dict, **extra) -> Report:
        try:
            return report_request(
                workspace=workspace, kind=kind, parameters=params, enqueue=False, **extra
            )
        except ValidationError as error:
            raise CommandError(f"Bad parameters: {describe(error)}") from None

    def _existing(self, report_id: int, *, again: bool) -> Report:
        report = Report.objects.select_related("workspace").filter(pk=report_id).first()
        if report is None:
            raise CommandError(f"No report {report_id}.")
        if again:
            return self._request(
                report.workspace, report.kind, report.parameters, definition=report.definition
            )
        if report.status in (Status.SUCCEEDED, Status.FAILED):
            self.stdout.write(
                f"Report {report.pk} has finished already; --again runs its parameters anew."
            )
        return report

    # Summary --------------------------------------------------------------------------

    def _summary(self, report: Report) -> None:
        style = {
            Status.SUCCEEDED: self.style.SUCCESS,
            Status.FAILED: self.style.ERROR,
        }.get(report.status, self.style.WARNING)
        lines = [
            style(
                f'Report {report.pk} ({report.kind}) in workspace "{report.workspace.slug}": '
                f"{report.status}"
            ),
            f"  requested   {report.created_at:%Y-%m-%d %H:%M:%S} UTC, data up to "
            f"{report.data_cutoff:%Y-%m-%d %H:%M:%S}",
        ]
        if report.started_at:
            end = report.finished_at
            took = f"{(end - report.started_at).total_seconds():.2f} s" if end else "running"
            waited = (report.started_at - report.created_at).total_seconds()
            lines.append(f"  ran         {took} (waited {waited:.2f} s; attempt {report.attempts})")
        if report.status == Status.SUCCEEDED and isinstance(report.result, dict):
            totals = report.result.get("totals") or {}
            if totals:
                # In the documented order: PostgreSQL's jsonb keeps keys in an order of its own.
                names = sorted(totals, key=lambda n: (TOTALS.index(n) if n in TOTALS else 99, n))
                lines.append(
                    "  totals      "
                    + ", ".join(f"{name} {_number(totals[name])}" for name in names)
                )
            models = [entry.get("model") for entry in report.result.get("models") or []]
            if models:
                lines.append(f"  models      {', '.join(map(str, models))}")
            lines.extend(f"  note        {note}" for note in report.result.get("notes") or [])
        if report.error:
            lines.append(f"  error       {report.error}")
        self.stdout.write("\n".join(lines))
