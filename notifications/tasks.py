"""django-q2 entry points of webhooks (thin: the work is in notifications.services).

Every task is idempotent: the ORM broker delivers at least once."""

from notifications import events, services
from workspaces.models import Workspace


def publish(workspace_id: int, kind: str, refs: dict) -> int:
    """Build the events of one announcement and queue their deliveries."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    if kind == "milestones":
        new = events.milestones_reached(workspace, refs["client_ids"])
    elif kind == "stage_changes":
        new = events.stage_changes(workspace, refs["change_ids"])
    elif kind == "report":
        new = events.report_finished(workspace, refs["report_id"])
    elif kind == "merge":
        new = events.account_merged(workspace, refs["source"], refs["target_id"])
    else:
        raise ValueError(f"unknown announcement {kind!r}")
    return services.publish(workspace=workspace, new_events=new)


def deliver(delivery_id: int) -> str | None:
    delivery = services.deliver(delivery_id)
    return None if delivery is None else delivery.status


def deliver_due() -> int:
    """Every minute: queue the deliveries whose retry is due or whose worker died."""
    return services.queue_due_deliveries()
