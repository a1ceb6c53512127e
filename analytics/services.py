"""Writes of the analytics app: saved report definitions and their scheduled runs, spend.

Reports themselves are requested, run and deleted by `analytics.runner`. Services take
rows the caller has already loaded inside the request's workspace and check that every
related row they are given belongs to that same workspace.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.ingestion import (
    IngestReport,
    ItemInvalid,
    ItemResult,
    ItemStatus,
    clean_amount,
    clean_currency,
    clean_text,
)
from analytics.models import Report, ReportDefinition, ReportKind, Spend
from analytics.registry import spec_for
from analytics.runner import report_request, report_request_failed
from journeys.models import Touchpoint
from workspaces.errors import describe, field_error
from workspaces.models import Workspace
from workspaces.services import apply_changes, validated_save


class AnalyticsErrorCode(StrEnum):
    """Stable codes of the analytics domain's own validation errors (parameter errors
    carry the codes of `analytics.attribution.parameters`)."""

    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    REQUIRED = "required"
    INVALID = "invalid"
    INVALID_CHOICE = "invalid_choice"
    NAIVE_DATETIME = "naive_datetime"


Code = AnalyticsErrorCode
Schedule = ReportDefinition.Schedule

# Report definitions ------------------------------------------------------------------------

DEFINITION_FIELDS = ("name", "parameters", "schedule", "next_run_at")
SCHEDULE_STEPS = {Schedule.DAILY: timedelta(days=1), Schedule.WEEKLY: timedelta(weeks=1)}


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    """Parameter errors as errors of the input field that holds the parameters: a
    definition's `attribution.conversionMilestones`."""
    if not hasattr(error, "error_dict"):
        return ValidationError({prefix: error.error_list})
    return ValidationError(
        {f"{prefix}.{name}": errors for name, errors in error.error_dict.items()}
    )


def check_definition_parameters(workspace: Workspace, kind: str, parameters: Any) -> dict[str, Any]:
    """The parameters given (nulls left out, so they take their defaults at each run),
    once the kind's parser accepts them; errors are keyed `<kind>.<parameter>`."""
    if not isinstance(parameters, dict):
        raise field_error(kind, "The parameters must be a JSON object.", Code.INVALID)
    given = {name: value for name, value in parameters.items() if value is not None}
    try:
        spec_for(kind).parse(workspace, given)
    except ValidationError as error:
        raise _prefixed(error, kind) from None
    return given


def _check_kind(kind: str) -> None:
    if kind not in ReportKind.values:
        raise field_error("kind", f"Unknown report kind {kind!r}.", Code.INVALID_CHOICE)


def _set_schedule(definition: ReportDefinition, next_run_at: datetime | None) -> None:
    """Unscheduled definitions have no next run; a scheduled one keeps its next run unless
    given another, and is due now when it had none."""
    if definition.schedule == Schedule.NONE:
        if next_run_at is not None:
            raise field_error(
                "nextRunAt", "Only a scheduled definition has a next run.", Code.INVALID
            )
        definition.next_run_at = None
        return
    if next_run_at is not None:
        if timezone.is_naive(next_run_at):
            raise field_error(
                "nextRunAt", "Give the time zone, e.g. 2026-05-01T06:00:00Z.", Code.NAIVE_DATETIME
            )
        definition.next_run_at = next_run_at
    elif definition.next_run_at is None:
        definition.next_run_at = timezone.now()


@transaction.atomic
def report_definition_create(
    *,
    workspace: Workspace,
    name: str,
    kind: str,
    parameters: dict[str, Any],
    schedule: str = Schedule.NONE,
    next_run_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> ReportDefinition:
    _check_kind(kind)
    definition = ReportDefinition(
        workspace=workspace,
        name=name,
        kind=kind,
        parameters=check_definition_parameters(workspace, kind, parameters),
        schedule=schedule,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    _set_schedule(definition, next_run_at)
    return validated_save(definition)


@transaction.atomic
def report_definition_update(*, definition: ReportDefinition, **changes: Any) -> ReportDefinition:
    """Change the name, parameters (replaced as a whole), schedule or next run."""
    next_run_at = changes.pop("next_run_at", None)
    schedule = changes.pop("schedule", None)
    if "parameters" in changes:
        changes["parameters"] = check_definition_parameters(
            definition.workspace, definition.kind, changes["parameters"]
        )
    if schedule is not None:
        definition.schedule = schedule
    _set_schedule(definition, next_run_at)
    return apply_changes(definition, changes, allowed=DEFINITION_FIELDS)


@transaction.atomic
def report_definition_delete(*, definition: ReportDefinition) -> None:
    """Delete a definition; its reports stay, no longer linked to it."""
    definition.delete()


def report_definition_run(
    *, definition: ReportDefinition, requested_by: AbstractBaseUser | None = None
) -> Report:
    """Request a report with the definition's parameters now (field errors, keyed
    `<kind>.<parameter>`, when they no longer pass: a milestone was deleted, say)."""
    try:
        return report_request(
            workspace=definition.workspace,
            kind=definition.kind,
            parameters=definition.parameters,
            requested_by=requested_by,
            definition=definition,
        )
    except ValidationError as error:
        raise _prefixed(error, definition.kind) from None


# Scheduled runs -------------------------------------------------------------------------------


def next_run_after(previous: datetime, schedule: str, now: datetime, zone=UTC) -> datetime:
    """The first run of the schedule's rhythm after `now`, at the time of day (and day
    of the week) of `previous` in the workspace's time zone `zone` (so a daily 02:00 run
    stays at 02:00 local across daylight-saving changes): runs missed while no worker
    ran are not caught up."""
    step = SCHEDULE_STEPS[Schedule(schedule)]
    missed = max(0, (now - previous) // step)
    following = previous.astimezone(zone) + (missed + 1) * step  # wall-clock arithmetic
    while following <= now:
        following += step
    return following.astimezone(UTC)


def due_definitions(*, now: datetime) -> QuerySet[ReportDefinition]:
    return (
        ReportDefinition.objects.exclude(schedule=Schedule.NONE)
        .filter(next_run_at__lte=now)
        .order_by("next_run_at", "pk")
    )


def run_due_definition(definition: ReportDefinition, *, now: datetime) -> Report | None:
    """Request the report of one due definition, once, however many schedulers try.

    The run is claimed by a conditional UPDATE that moves next_run_at forward only if it
    still holds the value read: of concurrent callers exactly one changes the row (on
    PostgreSQL the others wait for its lock, then find the value changed; SQLite
    serialises writers), and the report is created in the same transaction as the claim.
    Parameters that no longer pass leave a failed report, with the reason, in the run
    history. Returns the report, or None when another caller had claimed the run.
    """
    previous = definition.next_run_at
    if previous is None or definition.schedule == Schedule.NONE:
        return None
    following = next_run_after(previous, definition.schedule, now, definition.workspace.zone)
    with transaction.atomic():
        claimed = ReportDefinition.objects.filter(
            pk=definition.pk, schedule=definition.schedule, next_run_at=previous
        ).update(next_run_at=following)
        if not claimed:
            return None
        definition.refresh_from_db()
        try:
            return report_request(
                workspace=definition.workspace,
                kind=definition.kind,
                parameters=definition.parameters,
                definition=definition,
            )
        except ValidationError as error:
            return report_request_failed(
                workspace=definition.workspace,
                kind=definition.kind,
                parameters=definition.parameters,
                error=f"The saved parameters no longer pass: {describe(error)}",
                definition=definition,
            )


def run_due_definitions(*, now: datetime | None = None) -> list[Report]:
    """Request a report for every definition whose next run has come (see
    `run_due_definition`); the scheduler calls this every 15 minutes."""
    now = now or timezone.now()
    reports = []
    for definition in list(due_definitions(now=now).select_related("workspace")):
        report = run_due_definition(definition, now=now)
        if report is not None:
            reports.append(report)
    return reports


# Spend -------------------------------------------------------------------------------------

SPEND_FIELDS = ("touchpoint", "campaign", "period_start", "period_end", "amount", "currency")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12  # the column's room (14 digits, 2 of them cents)


def _lock_spend(workspace: Workspace) -> None:
    """Serialise spend writes of a workspace, so that two writers cannot both store the
    same touchpoint/campaign and period (the check-then-insert below)."""
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()


def _normalized(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "campaign" in data:
        data["campaign"] = (data["campaign"] or "").strip()
    if "currency" in data:
        currency = (data["currency"] or "").strip().upper()
        if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            raise field_error("currency", "A three-letter ISO 4217 code, e.g. EUR.", Code.INVALID)
        data["currency"] = currency
    if data.get("amount") is not None:
        try:
            amount = Decimal(str(data["amount"]))
        except InvalidOperation:
            raise field_error("amount", "Not a number.", Code.INVALID) from None
        if not amount.is_finite():
            raise field_error("amount", "Not a number.", Code.INVALID)
        if abs(amount) >= MAX_AMOUNT:
            raise field_error(
                "amount", f"Out of range: below {MAX_AMOUNT:,} is allowed.", "invalid"
            )
        data["amount"] = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return data


def _same_target(spend: Spend) -> QuerySet[Spend]:
    return Spend.objects.filter(
        workspace_id=spend.workspace_id,
        touchpoint_id=spend.touchpoint_id,
        campaign=spend.campaign,
        period_start=spend.period_start,
        period_end=spend.period_end,
    ).exclude(pk=spend.pk)


def _save_spend(spend: Spend) -> Spend:
    if spend.period_start and spend.period_end and spend.period_end < spend.period_start:
        raise field_error("periodEnd", "The period must not end before it starts.", Code.INVALID)
    spend.full_clean()
    if _same_target(spend).exists():
        raise field_error(
            None,
            "Spend for this touchpoint, campaign and period is recorded already: update it.",
            Code.DUPLICATE,
        )
    spend.save()
    return spend


@transaction.atomic
def spend_create(
    *,
    workspace: Workspace,
    period_start: date,
    period_end: date,
    amount: Decimal,
    touchpoint: Touchpoint | None = None,
    campaign: str = "",
    currency: str = "",
) -> Spend:
    """Record spend on a touchpoint or a campaign (or a campaign's touchpoint) over a
    period; one row per touchpoint, campaign and period."""
    data = _normalized(
        {
            "touchpoint": touchpoint,
            "campaign": campaign,
            "period_start": period_start,
            "period_end": period_end,
            "amount": amount,
            "currency": currency,
        }
    )
    _lock_spend(workspace)
    return _save_spend(Spend(workspace=workspace, **data))


@transaction.atomic
def spend_update(*, spend: Spend, **changes: Any) -> Spend:
    unknown = sorted(set(changes) - set(SPEND_FIELDS))
    if unknown:
        raise ValidationError(
            {
                name: ValidationError("This field cannot be changed.", code="read_only")
                for name in unknown
            }
        )
    changes = _normalized(changes)
    _lock_spend(spend.workspace)
    for name, value in changes.items():
        setattr(spend, name, value)
    return _save_spend(spend)


@transaction.atomic
def spend_delete(*, spend: Spend) -> None:
    spend.delete()


# Spend import (the CSV import's pipeline) -------------------------------------------------


@dataclass(frozen=True)
class SpendItem:
    """One spend row as read, before any check: touchpoint by key."""

    touchpoint: Any = ""
    campaign: Any = ""
    period_start: Any = ""
    period_end: Any = ""
    amount: Any = ""
    currency: Any = ""


def _clean_date(value: Any, name: str) -> date:
    text = clean_text(value, name, 32, required=True)
    try:
        parsed = parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ItemInvalid(name, f"{text!r} is not an ISO 8601 date, e.g. 2026-05-01.")
    return parsed


def _clean_spend(item: SpendItem, touchpoints: dict[str, Touchpoint]) -> dict[str, Any]:
    key = clean_text(item.touchpoint, "touchpoint", 100)
    touchpoint = None
    if key:
        touchpoint = touchpoints.get(key)
        if touchpoint is None:
            raise ItemInvalid("touchpoint", f"Unknown touchpoint key {key!r}.", Code.NOT_FOUND)
    campaign = clean_text(item.campaign, "campaign", 200)
    if touchpoint is None and not campaign:
        raise ItemInvalid(None, "Give a touchpoint, a campaign or both.", Code.REQUIRED)
    period_start = _clean_date(item.period_start, "periodStart")
    period_end = _clean_date(item.period_end, "periodEnd")
    if period_end < period_start:
        raise ItemInvalid("periodEnd", "The period must not end before it starts.")
    amount = clean_amount(item.amount, "amount", minimum=Decimal(0))
    if amount is None:
        raise ItemInvalid("amount", "This field is required.", Code.REQUIRED)
    return {
        "touchpoint": touchpoint,
        "campaign": campaign,
        "period_start": period_start,
        "period_end": period_end,
        "amount": amount,
        "currency": clean_currency(item.currency),
    }


def _target(touchpoint_id: int | None, campaign: str, start: date, end: date) -> tuple:
    return (touchpoint_id, campaign, start, end)


@transaction.atomic
def spend_import(*, workspace: Workspace, items: Sequence[SpendItem]) -> IngestReport:
    """Store a batch of spend rows: each is accepted (stored, or its amount and currency
    replaced those stored for the same touchpoint, campaign and period), a duplicate
    (the same amount was stored already: nothing changed) or rejected with reasons.
    Within a batch, a later row for the same target wins. A few queries per batch; the
    checks above are those of the model (amounts below 10^12, so within its digits)."""
    keys = {str(item.touchpoint).strip() for item in items if item.touchpoint} - {""}
    keys = {key for key in keys if "\x00" not in key}  # rejected by clean_text per row
    touchpoints = {
        row.key: row for row in Touchpoint.objects.filter(workspace=workspace, key__in=keys)
    }
    results: list[ItemResult] = []
    cleaned: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        result = ItemResult(index=index, client_id=None)
        results.append(result)
        try:
            cleaned.append((index, _clean_spend(item, touchpoints)))
        except ItemInvalid as invalid:
            result.status = ItemStatus.REJECTED
            result.errors.append(invalid.error)
    if not cleaned:
        return IngestReport(items=results)

    _lock_spend(workspace)
    starts = {data["period_start"] for _, data in cleaned}
    stored = {
        _target(row.touchpoint_id, row.campaign, row.period_start, row.period_end): row
        for row in Spend.objects.filter(workspace=workspace, period_start__in=starts).order_by("pk")
    }
    new: dict[tuple, Spend] = {}
    changed: dict[int, Spend] = {}
    for index, data in cleaned:
        touchpoint = data["touchpoint"]
        target = _target(
            touchpoint.pk if touchpoint else None,
            data["campaign"],
            data["period_start"],
            data["period_end"],
        )
        row = new.get(target) or stored.get(target)
        if row is None:
            row = Spend(workspace=workspace, **data)
            new[target] = row
        elif (row.amount, row.currency) == (data["amount"], data["currency"]):
            results[index].status = ItemStatus.DUPLICATE
            continue
        else:
            row.amount, row.currency = data["amount"], data["currency"]
            if row.pk is not None:
                changed[row.pk] = row
    Spend.objects.bulk_create(new.values())
    now = timezone.now()
    for row in changed.values():
        row.updated_at = now
    Spend.objects.bulk_update(changed.values(), ["amount", "currency", "updated_at"])
    return IngestReport(items=results)
