"""django-q2 entry points of the accounts app (thin: the work is in rules and stages).

Every task is idempotent: the ORM broker delivers at least once, and the nightly run may
overlap with ingestion tasks; runs for the same accounts take turns (see accounts.batches).
"""

from django.db import transaction
from django_q.tasks import async_task

from accounts.personas import match_personas, persona_reassignment_run
from accounts.rules import derive_rule_milestones
from accounts.stages import recompute_stages
from workspaces.models import Workspace


def enqueue_activity_processing(workspace_id: int, account_ids: list[int]) -> None:
    """After the current transaction commits, process these accounts' new activity."""
    transaction.on_commit(
        lambda: async_task(
            "accounts.tasks.process_activity", workspace_id, account_ids, group="activity"
        )
    )


def enqueue_workspace_processing(workspace_id: int) -> None:
    """After the current transaction commits, reprocess all accounts of a workspace: for
    changes of maps (published, archived), stages, exit milestones or rules."""
    transaction.on_commit(
        lambda: async_task(
            "accounts.tasks.process_workspace_activity", workspace_id, group="activity"
        )
    )


def enqueue_persona_reassignment(reassignment_id: int) -> None:
    """After the current transaction commits, run this persona reassignment."""
    transaction.on_commit(
        lambda: async_task("accounts.tasks.reassign_personas", reassignment_id, group="personas")
    )


def reassign_personas(reassignment_id: int) -> int | None:
    """Run a PersonaReassignment; returns how many accounts changed persona."""
    run = persona_reassignment_run(reassignment_id)
    return None if run is None else run.changed


def process_activity(workspace_id: int, account_ids: list[int] | None) -> dict[str, int]:
    """Match personas by their rules, derive rule milestones, then recompute current
    stages, of these accounts (None: all of the workspace's). Returns how many personas,
    achievements and stage rows changed."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:  # deleted since the task was queued
        return {"personas": 0, "achievements": 0, "stages": 0}
    return {
        "personas": len(match_personas(workspace=workspace, account_ids=account_ids)),
        "achievements": derive_rule_milestones(workspace=workspace, account_ids=account_ids),
        "stages": recompute_stages(workspace=workspace, account_ids=account_ids),
    }


def process_workspace_activity(workspace_id: int) -> dict[str, int]:
    """process_activity for every account of a workspace."""
    return process_activity(workspace_id, None)


def process_all_activity() -> int:
    """The nightly run: queue process_workspace_activity for every workspace (one task
    each, so workspaces run in parallel and each stays within the task timeout). Returns
    the number of workspaces queued."""
    workspace_ids = list(Workspace.objects.order_by("pk").values_list("pk", flat=True))
    for workspace_id in workspace_ids:
        async_task(
            "accounts.tasks.process_workspace_activity", workspace_id, group="activity-nightly"
        )
    return len(workspace_ids)
