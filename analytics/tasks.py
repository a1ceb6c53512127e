"""django-q2 entry points of the analytics app (thin: the work is in the runner)."""

from analytics.runner import report_run


def run_report(report_id: int) -> str | None:
    report = report_run(report_id)
    return report.status if report is not None else None
