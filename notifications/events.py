"""The events a workspace's webhooks receive, and their bodies.

Every body has the same envelope, in the Standard Webhooks shape:

    {"id": "evt_...", "type": "milestone.reached", "schemaVersion": 1,
     "timestamp": "2026-05-01T09:30:00.000000Z", "workspace": "demo", "data": {...}}

`id` is the event's id (also the Webhook-Id header): the same on every retry and
redelivery, so receivers de-duplicate on it. `schemaVersion` changes only when a field
changes meaning or disappears; fields may be added within a version. Ids inside `data`
are the API's global ids. docs/webhooks.md shows each type's `data`.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from strawberry import relay

from accounts.models import AccountStage, AccountStageChange, MilestoneAchievement
from analytics.models import Report
from notifications.models import EventType
from workspaces.models import Workspace

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class NewEvent:
    type: EventType
    key: str
    data: dict[str, Any]


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def body(workspace: Workspace, event_id: str, event: NewEvent, at: datetime) -> str:
    envelope = {
        "id": event_id,
        "type": str(event.type),
        "schemaVersion": SCHEMA_VERSION,
        "timestamp": _time(at),
        "workspace": workspace.slug,
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _gid(type_name: str, pk: int | None) -> str | None:
    return None if pk is None else relay.to_base64(type_name, pk)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _account(account) -> dict[str, Any]:
    return {"id": _gid("Account", account.pk), "name": account.name, "domain": account.domain}


def _stage(stage) -> dict[str, Any] | None:
    if stage is None:
        return None
    return {"id": _gid("Stage", stage.pk), "name": stage.name, "position": stage.position}


def milestones_reached(workspace: Workspace, client_ids: Iterable[str]) -> list[NewEvent]:
    rows = (
        MilestoneAchievement.objects.filter(workspace=workspace, client_id__in=list(client_ids))
        .select_related("milestone", "account", "contact")
        .order_by("occurred_at", "id")
    )
    return [
        NewEvent(
            EventType.MILESTONE_REACHED,
            f"achievement:{row.pk}",
            {
                "achievement": {
                    "id": _gid("MilestoneAchievement", row.pk),
                    "clientId": row.client_id,
                    "occurredAt": _time(row.occurred_at),
                    "value": _amount(row.value),
                    "currency": row.currency,
                    "origin": row.origin.upper(),
                },
                "milestone": {
                    "id": _gid("Milestone", row.milestone_id),
                    "key": row.milestone.key,
                    "name": row.milestone.name,
                    "isConversion": row.milestone.is_conversion,
                },
                "account": _account(row.account),
                "contact": None
                if row.contact is None
                else {"id": _gid("Contact", row.contact_id), "email": row.contact.email},
            },
        )
        for row in rows
    ]


def stage_changes(workspace: Workspace, change_ids: Iterable[int]) -> list[NewEvent]:
    changes = list(
        AccountStageChange.objects.filter(workspace=workspace, pk__in=list(change_ids))
        .select_related("account", "journey_map", "stage", "previous_stage")
        .order_by("changed_at", "id")
    )
    due = {
        (account_id, map_id): due_at
        for account_id, map_id, due_at in AccountStage.objects.filter(
            workspace=workspace, account_id__in={c.account_id for c in changes}
        ).values_list("account_id", "journey_map_id", "due_at")
    }
    events = []
    for change in changes:
        common = {
            "account": _account(change.account),
            "journeyMap": {
                "id": _gid("JourneyMap", change.journey_map_id),
                "name": change.journey_map.name,
            },
            "stage": _stage(change.stage),
            "status": change.status.upper(),
            "dueAt": _time(due.get((change.account_id, change.journey_map_id))),
        }
        if change.stage_id != change.previous_stage_id:
            data = common | {
                "previousStage": _stage(change.previous_stage),
                "enteredAt": _time(change.changed_at),
            }
            events.append(NewEvent(EventType.STAGE_ENTERED, f"stage-change:{change.pk}", data))
        else:
            data = common | {
                "previousStatus": change.previous_status.upper(),
                "changedAt": _time(change.changed_at),
            }
            events.append(
                NewEvent(EventType.STAGE_STATUS_CHANGED, f"stage-change:{change.pk}", data)
            )
    return events


def report_finished(workspace: Workspace, report_id: int) -> list[NewEvent]:
    report = Report.objects.filter(workspace=workspace, pk=report_id).first()
    if report is None or report.status not in (Report.Status.SUCCEEDED, Report.Status.FAILED):
        return []
    kind = (
        EventType.REPORT_SUCCEEDED
        if report.status == Report.Status.SUCCEEDED
        else EventType.REPORT_FAILED
    )
    data = {
        "report": {
            "id": _gid("Report", report.pk),
            "kind": report.kind.upper(),
            "status": report.status.upper(),
            "error": report.error,
            "createdAt": _time(report.created_at),
            "finishedAt": _time(report.finished_at),
            "definition": _gid("ReportDefinition", report.definition_id),
        }
    }
    return [NewEvent(kind, f"report:{report.pk}", data)]


def account_merged(workspace: Workspace, source: dict, target_id: int) -> list[NewEvent]:
    from accounts.models import Account

    target = Account.objects.filter(workspace=workspace, pk=target_id).first()
    if target is None:
        return []
    data = {
        "source": {
            "id": _gid("Account", source["id"]),
            "name": source["name"],
            "domain": source["domain"],
        },
        "target": _account(target),
        "mergedAt": _time(datetime.fromisoformat(source["merged_at"])),
    }
    return [NewEvent(EventType.ACCOUNT_MERGED, f"merge:{source['id']}", data)]
