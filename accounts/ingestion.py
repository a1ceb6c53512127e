"""Storing interactions and milestone achievements from integrations, exactly once.

Each item is checked on its own: valid items are stored even when others in the same
batch are rejected. The client id makes every delivery of an event count once: it is
unique per workspace and enforced by the database in the insert itself, so replays -
also concurrent ones - store nothing twice and are reported as duplicates.
"""

import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from strawberry import relay

from accounts import signals
from accounts.event_store import AnyOf, insert_new_events, move_first_seen_back
from accounts.identity import AccountRef, ContactRef, IdentityError, clean_refs, resolve_identities
from accounts.models import FeedbackResponse, Interaction, MilestoneAchievement
from accounts.rules import RULE_CLIENT_ID_PREFIX
from journeys.models import Milestone, Stage, Touchpoint
from workspaces.errors import field_error
from workspaces.models import Workspace
from workspaces.observability import count_ingested

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(hours=24)
MAX_PROPERTIES_BYTES = 16_384


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ItemError:
    field: str | None
    message: str
    code: str


@dataclass
class ItemResult:
    index: int
    client_id: str | None
    status: ItemStatus = ItemStatus.ACCEPTED
    errors: list[ItemError] = field(default_factory=list)


@dataclass
class IngestReport:
    items: list[ItemResult]
    account_ids: set[int] = field(default_factory=set)

    def count(self, status: ItemStatus) -> int:
        return sum(1 for item in self.items if item.status == status)


@dataclass(frozen=True)
class InteractionItem:
    client_id: Any
    touchpoint: Any
    occurred_at: Any
    account: AccountRef | None = None
    contact: ContactRef | None = None
    source: Any = ""
    medium: Any = ""
    campaign: Any = ""
    cost: Any = None
    properties: Any = None


@dataclass(frozen=True)
class AchievementItem:
    client_id: Any
    milestone: Any
    occurred_at: Any
    account: AccountRef | None = None
    contact: ContactRef | None = None
    value: Any = None
    currency: Any = ""
    properties: Any = None


@dataclass(frozen=True)
class FeedbackItem:
    client_id: Any
    instrument: Any
    occurred_at: Any
    account: AccountRef | None = None
    contact: ContactRef | None = None
    score: Any = None
    scale: Any = None
    comment: Any = ""
    source: Any = ""
    touchpoint: Any = None
    stage: Any = None
    properties: Any = None


class ItemInvalid(Exception):
    def __init__(self, field: str | None, message: str, code: str = "invalid"):
        super().__init__(message)
        self.error = ItemError(field, message, code)


# Field checks, shared with the CSV import ----------------------------------------------


def clean_text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ItemInvalid(name, "Must be text.")
    value = value.strip()
    if required and not value:
        raise ItemInvalid(name, "This field is required.", "required")
    if len(value) > max_length:
        raise ItemInvalid(name, f"At most {max_length} characters.", "too_long")
    return value


def clean_timestamp(value: Any, name: str, *, now: datetime) -> datetime:
    """An ISO 8601 date-time with a UTC offset, at most 24 h in the future."""
    if value in (None, ""):
        raise ItemInvalid(name, "This field is required.", "required")
    parsed = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ItemInvalid(name, f"{value!r} is not an ISO 8601 date-time.")
    if timezone.is_naive(parsed):
        raise ItemInvalid(
            name, "Give the time zone, e.g. 2026-05-01T09:30:00Z or +02:00.", "naive_datetime"
        )
    if parsed > now + FUTURE_TOLERANCE:
        raise ItemInvalid(name, "More than 24 hours in the future.", "in_future")
    return parsed


def clean_amount(
    value: Any, name: str, *, minimum: Decimal | None = None, digits: int = 14
) -> Decimal | None:
    """A decimal rounded half up to cents, below 10^(digits - 2) (the column's room)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ItemInvalid(name, "Must be a number.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ItemInvalid(name, f"{value!r} is not a number.") from None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** (digits - 2):
        raise ItemInvalid(name, f"Out of range: below {10 ** (digits - 2):,} is allowed.")
    if minimum is not None and amount < minimum:
        raise ItemInvalid(name, f"Must be at least {minimum}.", "min_value")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _refuse_constant(constant: str):
    raise ValueError(constant)


def clean_properties(value: Any, name: str = "properties") -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, ValueError):
            raise ItemInvalid(name, "Not valid JSON.") from None
    if not isinstance(value, dict):
        raise ItemInvalid(name, "Must be a JSON object.")
    try:
        encoded = json.dumps(value, allow_nan=False)
    except ValueError:  # NaN or Infinity: not JSON, and no database stores them as such
        raise ItemInvalid(name, "NaN and Infinity are not JSON numbers.") from None
    if len(encoded) > MAX_PROPERTIES_BYTES:
        raise ItemInvalid(name, f"At most {MAX_PROPERTIES_BYTES} bytes of JSON.", "too_long")
    return value


def clean_currency(value: Any, name: str = "currency") -> str:
    currency = clean_text(value, name, 3).upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise ItemInvalid(name, "A three-letter ISO 4217 code, e.g. EUR.")
    return currency


# The pipeline ----------------------------------------------------------------------------


class _Ingestion:
    """Validate each item, drop duplicates, resolve identities and insert in bulk."""

    model: type[models.Model]
    catalogue: type[models.Model]
    catalogue_field: str

    def __init__(self, workspace: Workspace, *, now: datetime | None = None):
        self.workspace = workspace
        self.now = now or timezone.now()

    def clean(self, item, catalogue: dict[str, models.Model]) -> dict:
        raise NotImplementedError

    def run(self, items: Sequence) -> IngestReport:
        if len(items) > MAX_BATCH:
            raise field_error("items", f"At most {MAX_BATCH} items a call.", "too_many")
        keys = {
            key.strip()
            for key in (getattr(item, self.catalogue_field) for item in items)
            if isinstance(key, str)
        }
        catalogue = {
            row.key: row
            for row in self.catalogue.objects.filter(workspace=self.workspace, key__in=keys)
        }
        results, pending, repeats = self._validate(items, catalogue)
        self._mark_stored_duplicates(results, pending)
        pending = {
            i: data for i, data in pending.items() if results[i].status is ItemStatus.ACCEPTED
        }
        report = IngestReport(results)
        if pending:
            with transaction.atomic():
                self._store(report, pending)
        for index, first in repeats.items():
            if results[first].status is ItemStatus.REJECTED:
                results[index].status = ItemStatus.REJECTED
                results[index].errors = [
                    ItemError(
                        "clientId",
                        f"Repeats item {first} of this batch, which was rejected.",
                        "repeat_of_rejected",
                    )
                ]
        return report

    def _validate(self, items, catalogue):
        """Each item's result so far, the valid items to store, and repeats of a client id
        within the batch (index -> index of its first occurrence)."""
        results, pending, first_seen, repeats = [], {}, {}, {}
        for index, item in enumerate(items):
            result = ItemResult(index, item.client_id if isinstance(item.client_id, str) else None)
            results.append(result)
            try:
                data = self.clean(item, catalogue)
                data["wanted"] = clean_refs(item.account, item.contact)
            except ItemInvalid as invalid:
                result.status, result.errors = ItemStatus.REJECTED, [invalid.error]
                continue
            except IdentityError as error:
                result.status = ItemStatus.REJECTED
                result.errors = [ItemError(error.field, error.message, error.code)]
                continue
            if data["client_id"] in first_seen:
                result.status = ItemStatus.DUPLICATE
                repeats[index] = first_seen[data["client_id"]]
                continue
            first_seen[data["client_id"]] = index
            pending[index] = data
        return results, pending, repeats

    def _mark_stored_duplicates(self, results: list[ItemResult], pending: dict[int, dict]) -> None:
        client_ids = [data["client_id"] for data in pending.values()]
        stored = set(
            self.model.objects.filter(AnyOf(F("client_id"), client_ids), workspace=self.workspace)
            .order_by()
            .values_list("client_id", flat=True)
        )
        for index, data in pending.items():
            if data["client_id"] in stored:
                results[index].status = ItemStatus.DUPLICATE

    def _store(self, report: IngestReport, pending: dict[int, dict]) -> None:
        indexes = list(pending)
        identities = resolve_identities(self.workspace, [pending[i]["wanted"] for i in indexes])
        rows, earliest = [], {}
        for index, identity in zip(indexes, identities, strict=True):
            if isinstance(identity, IdentityError):
                result = report.items[index]
                result.status = ItemStatus.REJECTED
                result.errors = [ItemError(identity.field, identity.message, identity.code)]
                continue
            data = pending[index]
            del data["wanted"]
            related = data.pop(self.catalogue_field)  # optional for some kinds of event
            data[f"{self.catalogue_field}_id"] = None if related is None else related.pk
            rows.append(
                {
                    "workspace_id": self.workspace.pk,
                    "account_id": identity.account_id,
                    "contact_id": identity.contact_id,
                    "received_at": self.now,
                    **data,
                }
            )
            account_id, occurred_at = identity.account_id, data["occurred_at"]
            earliest[account_id] = min(earliest.get(account_id, occurred_at), occurred_at)
        # A concurrent delivery of the same client id loses quietly to the first one.
        insert_new_events(self.model, rows)
        if self.model is MilestoneAchievement:
            signals.announce_milestones(self.workspace.pk, [row["client_id"] for row in rows])
        # Each account's first_seen_at moves back to its earliest new event, if earlier.
        move_first_seen_back(earliest)
        report.account_ids.update(earliest)


class _InteractionIngestion(_Ingestion):
    model = Interaction
    catalogue = Touchpoint
    catalogue_field = "touchpoint"

    def clean(self, item: InteractionItem, catalogue) -> dict:
        key = clean_text(item.touchpoint, "touchpoint", 64, required=True)
        if key not in catalogue:
            raise ItemInvalid("touchpoint", f"Unknown touchpoint key {key!r}.", "not_found")
        return {
            "client_id": clean_text(item.client_id, "clientId", 128, required=True),
            "touchpoint": catalogue[key],
            "occurred_at": clean_timestamp(item.occurred_at, "occurredAt", now=self.now),
            "source": clean_text(item.source, "source", 100),
            "medium": clean_text(item.medium, "medium", 100),
            "campaign": clean_text(item.campaign, "campaign", 200),
            "cost": clean_amount(item.cost, "cost", minimum=Decimal(0), digits=12),
            "properties": clean_properties(item.properties),
        }


class _AchievementIngestion(_Ingestion):
    model = MilestoneAchievement
    catalogue = Milestone
    catalogue_field = "milestone"

    def clean(self, item: AchievementItem, catalogue) -> dict:
        key = clean_text(item.milestone, "milestone", 64, required=True)
        if key not in catalogue:
            raise ItemInvalid("milestone", f"Unknown milestone key {key!r}.", "not_found")
        milestone = catalogue[key]
        value = clean_amount(item.value, "value")
        client_id = clean_text(item.client_id, "clientId", 128, required=True)
        if client_id.startswith(RULE_CLIENT_ID_PREFIX):
            raise ItemInvalid(
                "clientId",
                f"Client ids starting with {RULE_CLIENT_ID_PREFIX!r} are kept for milestones "
                "derived from rules.",
                "reserved",
            )
        return {
            "client_id": client_id,
            "milestone": milestone,
            "occurred_at": clean_timestamp(item.occurred_at, "occurredAt", now=self.now),
            "value": milestone.value if value is None else value,
            "currency": clean_currency(item.currency),
            "properties": clean_properties(item.properties),
        }


@dataclass(frozen=True)
class Scale:
    """The scale of an instrument: its bottom, its default top and the tops allowed."""

    low: int
    default_high: int
    highs: range
    whole: bool = True  # only whole numbers


Instrument = FeedbackResponse.Instrument
SCALES = {
    Instrument.NPS: Scale(0, 10, range(10, 11)),
    Instrument.CSAT: Scale(1, 5, range(3, 11)),
    Instrument.CES: Scale(1, 7, range(3, 11)),
    Instrument.RATING: Scale(1, 5, range(2, 101), whole=False),
}
MAX_COMMENT = 10_000


def clean_scale(instrument: str, value: Any) -> tuple[int, int] | None:
    """(bottom, top) of the instrument's scale; `value` is the top (None: the default)."""
    scale = SCALES.get(instrument)
    if scale is None:
        if value not in (None, ""):
            raise ItemInvalid("scale", "TEXT responses have no scale.", "invalid")
        return None
    if value in (None, ""):
        return scale.low, scale.default_high
    try:
        high = int(str(value).strip())
    except ValueError:
        raise ItemInvalid("scale", f"{value!r} is not a whole number.") from None
    if isinstance(value, bool) or high not in scale.highs:
        raise ItemInvalid(
            "scale",
            f"{instrument.upper()} scales run from {scale.low} to a top of "
            f"{scale.highs.start}-{scale.highs.stop - 1}.",
            "out_of_range",
        )
    return scale.low, high


def clean_score(instrument: str, value: Any, bounds: tuple[int, int] | None) -> Decimal | None:
    """The score, inside the scale's bounds (whole for NPS, CSAT and CES)."""
    if bounds is None:
        if value not in (None, ""):
            raise ItemInvalid("score", "TEXT responses have no score.", "invalid")
        return None
    if value in (None, ""):
        raise ItemInvalid("score", "This field is required.", "required")
    score = clean_amount(value, "score", digits=6)
    low, high = bounds
    if SCALES[instrument].whole and score != score.to_integral_value():
        raise ItemInvalid("score", f"{instrument.upper()} scores are whole numbers.", "invalid")
    if not low <= score <= high:
        raise ItemInvalid("score", f"Out of the scale: from {low} to {high}.", "out_of_scale")
    return score


def stage_pk(value: Any) -> int | None:
    """The primary key a Stage global id names; None if it names nothing of the kind."""
    try:
        type_name, node_id = relay.from_base64(str(value).strip())
    except (ValueError, TypeError, binascii.Error):
        return None
    if type_name != "Stage" or not node_id.isdigit() or len(node_id) > 18:
        return None
    return int(node_id)


class _FeedbackIngestion(_Ingestion):
    model = FeedbackResponse
    catalogue = Touchpoint
    catalogue_field = "touchpoint"

    def run(self, items: Sequence) -> IngestReport:
        if len(items) <= MAX_BATCH:
            wanted = {stage_pk(item.stage) for item in items if item.stage not in (None, "")}
            self.stages = set(
                Stage.objects.filter(workspace=self.workspace, pk__in=wanted - {None})
                .order_by()
                .values_list("pk", flat=True)
            )
        return super().run(items)

    def clean(self, item: FeedbackItem, catalogue) -> dict:
        instrument = clean_text(item.instrument, "instrument", 8, required=True).lower()
        if instrument not in Instrument.values:
            raise ItemInvalid(
                "instrument",
                f"Unknown instrument {instrument!r}: NPS, CSAT, CES, RATING or TEXT.",
                "invalid_choice",
            )
        bounds = clean_scale(instrument, item.scale)
        score = clean_score(instrument, item.score, bounds)
        comment = clean_text(item.comment, "comment", MAX_COMMENT)
        if instrument == Instrument.TEXT and not comment:
            raise ItemInvalid("comment", "A TEXT response needs a comment.", "required")
        touchpoint = None
        key = clean_text(item.touchpoint, "touchpoint", 64)
        if key:
            if key not in catalogue:
                raise ItemInvalid("touchpoint", f"Unknown touchpoint key {key!r}.", "not_found")
            touchpoint = catalogue[key]
        stage_id = None
        if item.stage not in (None, ""):
            stage_id = stage_pk(item.stage)
            if stage_id not in self.stages:
                raise ItemInvalid("stage", "Stage not found.", "not_found")
        return {
            "client_id": clean_text(item.client_id, "clientId", 128, required=True),
            "instrument": instrument,
            "occurred_at": clean_timestamp(item.occurred_at, "occurredAt", now=self.now),
            "score": score,
            "scale_min": bounds[0] if bounds else None,
            "scale_max": bounds[1] if bounds else None,
            "comment": comment,
            "source": clean_text(item.source, "source", 64),
            "touchpoint": touchpoint,
            "stage_id": stage_id,
            "properties": clean_properties(item.properties),
        }


def interactions_ingest(*, workspace: Workspace, items: Sequence[InteractionItem]) -> IngestReport:
    """Store interactions; each item is accepted, a duplicate, or rejected with reasons."""
    report = _InteractionIngestion(workspace).run(items)
    count_ingested("interaction", (item.status for item in report.items))
    _after_commit(workspace, report)
    return report


def milestones_record(*, workspace: Workspace, items: Sequence[AchievementItem]) -> IngestReport:
    """Store milestone achievements, like interactions_ingest."""
    report = _AchievementIngestion(workspace).run(items)
    count_ingested("milestone", (item.status for item in report.items))
    _after_commit(workspace, report)
    return report


def feedback_record(*, workspace: Workspace, items: Sequence[FeedbackItem]) -> IngestReport:
    """Store feedback responses (survey answers, ratings, comments), like
    interactions_ingest; a score outside its instrument's scale rejects the item."""
    report = _FeedbackIngestion(workspace).run(items)
    _after_commit(workspace, report)
    return report


def _after_commit(workspace: Workspace, report: IngestReport) -> None:
    """Derive rule milestones and recompute stages for the accounts that moved."""
    if not report.account_ids:
        return
    from accounts.tasks import enqueue_activity_processing

    enqueue_activity_processing(workspace.pk, sorted(report.account_ids))
