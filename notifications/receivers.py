"""The domain signals webhooks listen to. Each receiver runs after the domain's commit; it
checks in one query whether any enabled endpoint wants the event types, and if so queues
a `publish` task: building payloads and deliveries never happens inline, least of all on
the ingestion path."""

from django_q.tasks import async_task

from notifications.models import EventType
from notifications.services import subscribed


def _queue(workspace_id: int, types: tuple[EventType, ...], kind: str, refs: dict) -> None:
    if subscribed(workspace_id, types):
        async_task("notifications.tasks.publish", workspace_id, kind, refs, group="webhooks")


def on_milestones_reached(sender, workspace_id: int, client_ids: list[str], **kwargs) -> None:
    _queue(workspace_id, (EventType.MILESTONE_REACHED,), "milestones", {"client_ids": client_ids})


def on_stage_entered(sender, workspace_id: int, change_ids: list[int], **kwargs) -> None:
    _queue(workspace_id, (EventType.STAGE_ENTERED,), "stage_changes", {"change_ids": change_ids})


def on_stage_status_changed(sender, workspace_id: int, change_ids: list[int], **kwargs) -> None:
    _queue(
        workspace_id,
        (EventType.STAGE_STATUS_CHANGED,),
        "stage_changes",
        {"change_ids": change_ids},
    )


def on_report_finished(sender, workspace_id: int, report_id: int, status: str, **kwargs) -> None:
    kind = EventType.REPORT_SUCCEEDED if status == "succeeded" else EventType.REPORT_FAILED
    _queue(workspace_id, (kind,), "report", {"report_id": report_id})


def on_account_merged(sender, workspace_id: int, source: dict, target_id: int, **kwargs) -> None:
    _queue(
        workspace_id,
        (EventType.ACCOUNT_MERGED,),
        "merge",
        {"source": source, "target_id": target_id},
    )
