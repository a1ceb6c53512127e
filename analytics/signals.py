"""What the analytics app announces, after the transaction that made it commits."""

from django.db import transaction
from django.dispatch import Signal

# `report_id`, `status` ("succeeded" or "failed"): a report reached its final status.
report_finished = Signal()


def announce_report_finished(workspace_id: int, report_id: int, status: str) -> None:
    transaction.on_commit(
        lambda: report_finished.send(
            sender=None, workspace_id=workspace_id, report_id=report_id, status=status
        )
    )
