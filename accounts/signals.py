"""What the accounts app announces, always after the transaction that made it commits, so
listeners (outbound webhooks) see stored rows and a rolled-back write announces nothing.
Each signal carries `workspace_id` and the ids it concerns; listeners must be cheap, since
some are sent on the ingestion path (queue work, do not do it inline)."""

from collections.abc import Sequence

from django.db import transaction
from django.dispatch import Signal

# `client_ids`: of the new MilestoneAchievement rows (reported or derived from rules).
milestones_reached = Signal()
# `change_ids`: AccountStageChange rows where an account entered a stage (or left a map).
stage_entered = Signal()
# `change_ids`: AccountStageChange rows where an account's status changed within its stage.
stage_status_changed = Signal()
# `source`: what the merged-away account was ({"id", "name", "domain", "merged_at"}),
# `target_id`: the account it was merged into.
account_merged = Signal()


def after_commit(signal: Signal, workspace_id: int, **data) -> None:
    """Send `signal` once the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: signal.send(sender=None, workspace_id=workspace_id, **data))


def announce_milestones(workspace_id: int, client_ids: Sequence[str]) -> None:
    if client_ids:
        after_commit(milestones_reached, workspace_id, client_ids=list(client_ids))


def announce_stage_changes(workspace_id: int, changes: Sequence) -> None:
    """Split AccountStageChange rows (saved, so with ids) into the two signals."""
    present = [c for c in changes if c.stage_id is not None]
    entered = [c.pk for c in present if c.stage_id != c.previous_stage_id]
    status = [c.pk for c in present if c.stage_id == c.previous_stage_id]
    if entered:
        stage_entered.send(sender=None, workspace_id=workspace_id, change_ids=entered)
    if status:
        stage_status_changed.send(sender=None, workspace_id=workspace_id, change_ids=status)
