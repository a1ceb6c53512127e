"""django-q2 entry points of the accounts app (thin: the work is in services)."""

from django.db import transaction
from django_q.tasks import async_task


def enqueue_activity_processing(workspace_id: int, account_ids: list[int]) -> None:
    """After the current transaction commits, process these accounts' new activity."""
    transaction.on_commit(
        lambda: async_task(
            "accounts.tasks.process_activity", workspace_id, account_ids, group="activity"
        )
    )


def process_activity(workspace_id: int, account_ids: list[int]) -> None:
    """Derive rule milestones and recompute current stages (idempotent)."""
