"""django-q2 entry points of the analytics app (thin: the work is in the runner and the
services). Both are idempotent: the ORM broker delivers at least once."""

from analytics.runner import report_run
from analytics.services import run_due_definitions as _run_due_definitions


def run_report(report_id: int) -> str | None:
    report = report_run(report_id)
    return report.status if report is not None else None


def run_due_definitions() -> int:
    """The 15-minute schedule: request a report for every definition due. Returns how
    many reports were requested (each is queued once its claim commits)."""
    return len(_run_due_definitions())
