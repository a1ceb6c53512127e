"""The shared runner of every analysis: request, run once, store the result atomically.

django-q2's ORM broker delivers a task at least once: a worker that dies, or a task that
outlives `retry`, is delivered again (config/task_broker.py: within about one lease of
the death). So a run first claims its report under a row lock; a report that already
finished is left alone, one claimed by a live run is left to it, and a run whose claim
was taken over stores nothing. A run is live while its heartbeat (written every
HEARTBEAT_SECONDS by a thread of the worker) is younger than STALE_SECONDS: a killed
worker's report is taken over by the next delivery. The result is written in the same
transaction that marks the report succeeded. A computation that raises fails the report
with its message (re-running would fail the same way) - except when the database went
away (restarted, failed over): then the run waits for it, reconnects and computes again,
for up to DATABASE_WAIT_SECONDS. After `max_attempts` runs that never finished, the
report fails too.
"""

import logging
import threading
import time
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from analytics.models import Report, ReportDefinition
from analytics.registry import RunContext, spec_for
from analytics.signals import announce_report_finished
from workspaces.models import Workspace
from workspaces.observability import REPORT_DURATION

logger = logging.getLogger(__name__)
Status = Report.Status
HEARTBEAT_SECONDS = 5
# Below the broker's lease minus one renewal interval (2/3 of TASK_LEASE_SECONDS): the
# redelivery of a dead worker's task always finds its heartbeat stale.
STALE_SECONDS = 15
DATABASE_WAIT_SECONDS = 120
DATABASE_GONE = (OperationalError, InterfaceError)


def _code_version(kind_version: str) -> str:
    try:
        package = version("waymark")
    except PackageNotFoundError:  # running from a checkout that is not installed
        package = "dev"
    return f"{package}+{kind_version}"


def report_request(
    *,
    workspace: Workspace,
    kind: str,
    parameters: dict[str, Any],
    requested_by: AbstractBaseUser | None = None,
    definition: ReportDefinition | None = None,
    enqueue: bool = True,
) -> Report:
    """Check the parameters (field errors before anything is queued), store the report
    and run it in the background once the transaction commits.

    `enqueue=False` stores the report without queueing it, for a caller that runs it
    itself with `report_run` (the `run_report` command)."""
    spec = spec_for(kind)
    complete = spec.parse(workspace, parameters)
    with transaction.atomic():
        report = Report.objects.create(
            workspace=workspace,
            kind=kind,
            parameters=complete,
            requested_by=_user_or_none(requested_by),
            definition=definition,
            data_cutoff=timezone.now(),
            code_version=_code_version(spec.version),
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def report_request_failed(
    *,
    workspace: Workspace,
    kind: str,
    parameters: dict[str, Any],
    error: str,
    requested_by: AbstractBaseUser | None = None,
    definition: ReportDefinition | None = None,
) -> Report:
    """Store a report that failed before it could run (its parameters no longer pass,
    say a milestone it names was deleted): a scheduled run leaves this trace in its
    definition's run history instead of vanishing. Nothing is queued."""
    now = timezone.now()
    report = Report.objects.create(
        workspace=workspace,
        kind=kind,
        parameters=parameters,
        status=Status.FAILED,
        error=error[:2000],
        requested_by=_user_or_none(requested_by),
        definition=definition,
        data_cutoff=now,
        code_version=_code_version(spec_for(kind).version),
        finished_at=now,
    )
    announce_report_finished(workspace.pk, report.pk, report.status)
    return report


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _enqueue(report_id: int) -> None:
    from django_q.tasks import async_task

    async_task("analytics.tasks.run_report", report_id, group="reports")


def _claim(report_id: int) -> Report | None:
    """Mark the report running for this attempt, unless it is done or in live hands."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status in (Status.SUCCEEDED, Status.FAILED):
            return None
        stale = timezone.now() - timedelta(seconds=STALE_SECONDS)
        alive_at = report.heartbeat_at or report.started_at
        if report.status == Status.RUNNING and alive_at and alive_at > stale:
            return None  # a duplicate delivery while the first run is alive
        if report.attempts >= settings.Q_CLUSTER["max_attempts"]:
            # Every earlier attempt died with its worker (killed, out of memory).
            report.status = Status.FAILED
            report.error = f"Gave up after {report.attempts} attempts that did not finish."
            report.finished_at = timezone.now()
            report.save(update_fields=["status", "error", "finished_at"])
            announce_report_finished(report.workspace_id, report.pk, report.status)
            return None
        report.status = Status.RUNNING
        report.attempts += 1
        report.progress = 0
        report.started_at = report.heartbeat_at = timezone.now()
        report.error = ""
        report.save(
            update_fields=["status", "attempts", "progress", "started_at", "heartbeat_at", "error"]
        )
        return report


def _still_ours(report: Report):
    return Report.objects.select_for_update().filter(
        pk=report.pk, status=Status.RUNNING, attempts=report.attempts
    )


def report_run(report_id: int) -> Report | None:
    """Run a queued report; idempotent, so a redelivered task does no harm."""
    report = _until_database_answers(lambda: _claim(report_id))
    if report is None:
        return None
    spec = spec_for(report.kind)

    def progress(percent: int) -> None:
        Report.objects.filter(pk=report.pk, attempts=report.attempts).update(
            progress=max(0, min(99, int(percent)))
        )

    context = RunContext(report.workspace, report.parameters, report.data_cutoff, progress)
    started = time.perf_counter()
    with _Heartbeat(report):
        deadline = time.monotonic() + DATABASE_WAIT_SECONDS
        while True:
            try:
                result = spec.compute(context)
                break
            except DATABASE_GONE as error:
                if connection.in_atomic_block or not _reconnect(deadline):
                    raise  # the broker delivers it again later; the claim goes stale
                logger.warning("Report %s: the database went away (%s); again", report.pk, error)
            except Exception as error:
                logger.exception("Report %s failed", report.pk)
                _until_database_answers(
                    lambda error=error: _finish(
                        report, status=Status.FAILED, error=_error_text(error)
                    )
                )
                REPORT_DURATION.labels(report.kind, "failed").observe(time.perf_counter() - started)
                return report
        _until_database_answers(lambda: _finish(report, status=Status.SUCCEEDED, result=result))
    REPORT_DURATION.labels(report.kind, "succeeded").observe(time.perf_counter() - started)
    return report


def _error_text(error: Exception) -> str:
    """What a failed report says: the kind of error and its message, no SQL."""
    if isinstance(error, DatabaseError):
        return f"{type(error).__name__}: the database refused a query of this report."
    return f"{type(error).__name__}: {error}"


def _reconnect(deadline: float) -> bool:
    """Wait for the database to answer again (True), or give up at the deadline."""
    pause = 0.5
    while time.monotonic() < deadline:
        connection.close()
        try:
            connection.ensure_connection()
            return True
        except DATABASE_GONE:
            time.sleep(pause)
            pause = min(pause * 2, 5)
    return False


def _until_database_answers(work):
    """`work()`, again after a reconnect while the database is away (up to a deadline)."""
    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    while True:
        try:
            return work()
        except DATABASE_GONE:
            if connection.in_atomic_block or not _reconnect(deadline):
                raise


class _Heartbeat:
    """While a worker computes a report, a thread writes its heartbeat every
    HEARTBEAT_SECONDS (inline runs - tests, the run_report command - need none: nothing
    redelivers them)."""

    def __init__(self, report: Report):
        self.report = report
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        if not settings.Q_CLUSTER.get("sync") and not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._beat, name="report-heartbeat", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=HEARTBEAT_SECONDS * 2)

    def _beat(self):
        from django.db import connections

        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                try:
                    Report.objects.filter(
                        pk=self.report.pk, attempts=self.report.attempts, status=Status.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DATABASE_GONE:
                    connections["default"].close()  # this thread's; reopened next beat
        finally:
            connections.close_all()


def _finish(report: Report, *, status: str, result=None, error: str = "") -> None:
    with transaction.atomic():
        if _still_ours(report).first() is None:
            return  # another run took the report over: its outcome counts
        _still_ours(report).update(
            status=status,
            result=result,
            error=error[:2000],
            progress=100 if status == Status.SUCCEEDED else 0,
            finished_at=timezone.now(),
        )
        announce_report_finished(report.workspace_id, report.pk, status)
    report.refresh_from_db()


@transaction.atomic
def report_delete(*, report: Report) -> None:
    report.delete()
