"""Storing interactions, milestone achievements and feedback from integrations, exactly once.

Each item is checked on its own: valid items are stored even when others in the same
batch are rejected, and a rejected item lists every problem found in it (each with its
field and a code). Items come as the item dataclasses below (the CSV import) or as JSON
objects (the GraphQL API), so that a missing field, an unknown key or a value of the
wrong type rejects its item only. The client id makes every delivery of an event count once: it is
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

from django.db import models
from django.db.models import F
from django.utils import timezone
from strawberry import relay

from accounts import signals
from accounts.event_store import AnyOf, insert_new_events, lock_accounts, move_first_seen_back
from accounts.identity import AccountRef, ContactRef, IdentityError, clean_refs, resolve_identities
from accounts.models import FeedbackResponse, Interaction, MilestoneAchievement
from accounts.rules import RULE_CLIENT_ID_PREFIX
from journeys.models import Milestone, Stage, Touchpoint
from workspaces.cleaning import NUL, NUL_CODE, NUL_MESSAGE, MomentInvalid, clean_moment, has_nul
from workspaces.errors import ItemError, field_error
from workspaces.models import Workspace
from workspaces.observability import count_ingested
from workspaces.transactions import atomic_with_retry

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(hours=24)
MAX_PROPERTIES_BYTES = 16_384
MAX_PROPERTIES_DEPTH = 32


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


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
    client_id: Any = None
    touchpoint: Any = None
    occurred_at: Any = None
    account: AccountRef | None = None
    contact: ContactRef | None = None
    source: Any = ""
    medium: Any = ""
    campaign: Any = ""
    cost: Any = None
    properties: Any = None


@dataclass(frozen=True)
class AchievementItem:
    client_id: Any = None
    milestone: Any = None
    occurred_at: Any = None
    account: AccountRef | None = None
    contact: ContactRef | None = None
    value: Any = None
    currency: Any = ""
    properties: Any = None


@dataclass(frozen=True)
class FeedbackItem:
    client_id: Any = None
    instrument: Any = None
    occurred_at: Any = None
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


class ItemRejected(Exception):
    """Every problem found in one item."""

    def __init__(self, errors: list[ItemError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


class Checks:
    """Runs an item's field checks, each on its own, and keeps every error:
    `value = checks(clean_text, item.name, "name", 100)` is None when the check failed."""

    def __init__(self) -> None:
        self.errors: list[ItemError] = []

    def __call__(self, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ItemInvalid as invalid:
            self.errors.append(invalid.error)
        except IdentityError as error:
            self.errors.extend(ItemError(e.field, e.message, e.code) for e in error.errors)
        return None

    def done(self) -> None:
        """Raise ItemRejected if any check failed."""
        if self.errors:
            raise ItemRejected(self.errors)


# Field checks, shared with the CSV import ----------------------------------------------


def clean_text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ItemInvalid(name, "Must be text.", "invalid_type")
    if NUL in value:
        raise ItemInvalid(name, NUL_MESSAGE, NUL_CODE)
    value = value.strip()
    if required and not value:
        raise ItemInvalid(name, "This field is required.", "required")
    if len(value) > max_length:
        raise ItemInvalid(name, f"At most {max_length} characters.", "too_long")
    return value


def clean_timestamp(value: Any, name: str, *, now: datetime) -> datetime:
    """An ISO 8601 date-time with a UTC offset, in range (workspaces.cleaning), at most
    24 h in the future; in UTC."""
    if value in (None, ""):
        raise ItemInvalid(name, "This field is required.", "required")
    try:
        moment = clean_moment(value)
    except MomentInvalid as invalid:
        raise ItemInvalid(name, invalid.message, invalid.code) from None
    if moment > now + FUTURE_TOLERANCE:
        raise ItemInvalid(name, "More than 24 hours in the future.", "in_future")
    return moment


def clean_amount(
    value: Any, name: str, *, minimum: Decimal | None = None, digits: int = 14
) -> Decimal | None:
    """A decimal rounded half up to cents, below 10^(digits - 2) (the column's room)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ItemInvalid(name, "Must be a number or a decimal string.", "invalid_type")
    if isinstance(value, str) and NUL in value:
        raise ItemInvalid(name, NUL_MESSAGE, NUL_CODE)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        shown = value if len(str(value)) <= 40 else f"{str(value)[:40]}..."
        raise ItemInvalid(name, f"{shown!r} is not a number.") from None
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
        raise ItemInvalid(name, "Must be a JSON object.", "invalid_type")
    if _depth(value) > MAX_PROPERTIES_DEPTH:
        raise ItemInvalid(name, f"At most {MAX_PROPERTIES_DEPTH} levels of nesting.", "too_deep")
    if has_nul(value):
        raise ItemInvalid(name, NUL_MESSAGE, NUL_CODE)
    try:
        encoded = json.dumps(value, allow_nan=False)
    except ValueError:  # NaN or Infinity: not JSON, and no database stores them as such
        raise ItemInvalid(name, "NaN and Infinity are not JSON numbers.") from None
    if len(encoded) > MAX_PROPERTIES_BYTES:
        raise ItemInvalid(name, f"At most {MAX_PROPERTIES_BYTES} bytes of JSON.", "too_long")
    return value


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in a JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_PROPERTIES_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def clean_currency(value: Any, name: str = "currency") -> str:
    currency = clean_text(value, name, 3).upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise ItemInvalid(name, "A three-letter ISO 4217 code, e.g. EUR.")
    return currency


# Items given as JSON ------------------------------------------------------------------------

REFS = {"account": AccountRef, "contact": ContactRef}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _name(key: Any) -> str:
    """A client's key as an error's field: shortened, never the whole value."""
    text = (key if isinstance(key, str) else repr(key)).replace(NUL, "\\u0000")
    return text if len(text) <= 64 else text[:64] + "..."


def item_from_json(value: Any, item_class: type) -> tuple[Any, list[ItemError]]:
    """The item dataclass from a JSON object whose keys are its fields in camelCase
    (`account` and `contact` nested objects of AccountRef/ContactRef fields), and the
    problems of its shape: unknown keys (left out), references that are not objects (left
    empty). None when the item is no object at all. The values are checked by `clean`."""
    if isinstance(value, item_class):
        return value, []
    if not isinstance(value, dict):
        return None, [ItemError(None, "Each item must be a JSON object.", "invalid_type")]
    names = {_camel(name): name for name in item_class.__dataclass_fields__}
    errors = unknown_fields(value, names)
    fields = {}
    for key, given in value.items():
        if key in REFS and given is not None:
            fields[names[key]] = ref_from_json(given, key, REFS[key], errors)
        elif key in names:
            fields[names[key]] = given
    return item_class(**fields), errors


def ref_from_json(value: Any, field: str, ref_class: type, errors: list[ItemError]):
    """An AccountRef/ContactRef from a JSON object; problems of its shape go to `errors`."""
    if value is None:
        return ref_class()
    if not isinstance(value, dict):
        errors.append(ItemError(field, "Must be an object.", "invalid_type"))
        return ref_class()
    names = {_camel(name): name for name in ref_class.__dataclass_fields__}
    errors.extend(unknown_fields(value, names, prefix=f"{field}."))
    fields = {names[key]: given for key, given in value.items() if key in names}
    return ref_class(**{name: given for name, given in fields.items() if given is not None})


def unknown_fields(value: dict, known, *, prefix: str = "") -> list[ItemError]:
    """An error for each key of a JSON object that is not a known field."""
    return [
        ItemError(f"{prefix}{_name(key)}", NUL_MESSAGE, NUL_CODE)
        if isinstance(key, str) and NUL in key
        else ItemError(f"{prefix}{_name(key)}", "Unknown field.", "unknown_field")
        for key in value
        if key not in known
    ]


def _is_ref_error(error: ItemError) -> bool:
    return (error.field or "").partition(".")[0] in REFS


# The pipeline ----------------------------------------------------------------------------


class _Ingestion:
    """Validate each item, drop duplicates, resolve identities and insert in bulk."""

    model: type[models.Model]
    item_class: type
    catalogue: type[models.Model]
    catalogue_field: str

    def __init__(self, workspace: Workspace, *, now: datetime | None = None):
        self.workspace = workspace
        self.now = now or timezone.now()

    def clean(self, item, checks: Checks, catalogue: dict[str, models.Model]) -> dict:
        """The item's columns; each failed check adds its error to `checks`."""
        raise NotImplementedError

    def catalogue_row(self, checks: Checks, key: Any, catalogue: dict[str, models.Model]):
        """The catalogue row (touchpoint, milestone) an item names by key."""
        name = self.catalogue_field
        key = checks(clean_text, key, name, 64, required=True)
        if key is not None and key not in catalogue:
            label = self.catalogue._meta.verbose_name
            checks.errors.append(ItemError(name, f"Unknown {label} key {key!r}.", "not_found"))
        return catalogue.get(key)

    def run(self, items: Sequence) -> IngestReport:
        if len(items) > MAX_BATCH:
            raise field_error("items", f"At most {MAX_BATCH} items a call.", "too_many")
        parsed = [item_from_json(value, self.item_class) for value in items]
        keys = {
            key.strip()
            for key in (getattr(item, self.catalogue_field) for item, _ in parsed if item)
            if isinstance(key, str) and NUL not in key  # no database can look such a key up
        }
        catalogue = {
            row.key: row
            for row in self.catalogue.objects.filter(workspace=self.workspace, key__in=keys)
        }
        results, pending, repeats = self._validate(items, parsed, catalogue)
        self._mark_stored_duplicates(results, pending)
        pending = {
            i: data for i, data in pending.items() if results[i].status is ItemStatus.ACCEPTED
        }
        report = IngestReport(results)
        if pending:
            outcome = atomic_with_retry(lambda: self._store(pending))
            self._apply(report, pending, outcome)
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

    def _validate(self, items, parsed, catalogue):
        """Each item's result so far, the valid items to store, and repeats of a client id
        within the batch (index -> index of its first occurrence)."""
        results, pending, first_seen, repeats = [], {}, {}, {}
        for index, (item, shape_errors) in enumerate(parsed):
            client_id = getattr(item, "client_id", None)
            result = ItemResult(index, client_id if isinstance(client_id, str) else None)
            results.append(result)
            try:
                checks = Checks()
                checks.errors.extend(shape_errors)
                if item is None:
                    checks.done()
                data = self.clean(item, checks, catalogue)
                if not any(_is_ref_error(error) for error in shape_errors):
                    data["wanted"] = checks(clean_refs, item.account, item.contact)
                checks.done()
            except ItemRejected as rejected:
                result.status, result.errors = ItemStatus.REJECTED, rejected.errors
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

    def _store(self, pending: dict[int, dict]) -> "_Stored":
        """One attempt, inside a transaction: resolve identities, lock the accounts the
        events name (in id order, as the activity task does: no deadlock between them),
        insert the events; what the insert stored decides accepted against duplicate."""
        indexes = list(pending)
        wanted = [pending[i]["wanted"] for i in indexes]
        identities = resolve_identities(self.workspace, wanted)
        outcome = _Stored()
        rows = {}
        for index, identity in zip(indexes, identities, strict=True):
            if isinstance(identity, IdentityError):
                outcome.rejected[index] = ItemError(identity.field, identity.message, identity.code)
                continue
            data = {key: value for key, value in pending[index].items() if key != "wanted"}
            related = data.pop(self.catalogue_field)  # optional for some kinds of event
            data[f"{self.catalogue_field}_id"] = None if related is None else related.pk
            rows[index] = {
                "workspace_id": self.workspace.pk,
                "account_id": identity.account_id,
                "contact_id": identity.contact_id,
                "received_at": self.now,
                **data,
            }
        lock_accounts({row["account_id"] for row in rows.values()})
        ordered = sorted(rows.values(), key=lambda row: (row["account_id"], row["client_id"]))
        # A concurrent delivery of the same client id loses to the first one: its items
        # are reported as duplicates, since the insert did not store them.
        stored = insert_new_events(self.model, ordered)
        if stored is None:  # the backend cannot say: ask for the rows this call wrote
            stored = set(
                self.model.objects.filter(
                    AnyOf(F("client_id"), [row["client_id"] for row in ordered]),
                    workspace=self.workspace,
                    received_at=self.now,
                ).values_list("client_id", flat=True)
            )
        if self.model is MilestoneAchievement:
            signals.announce_milestones(self.workspace.pk, sorted(stored))
        earliest: dict[int, datetime] = {}
        for index, row in rows.items():
            if row["client_id"] not in stored:
                outcome.duplicates.add(index)
                continue
            account_id, occurred_at = row["account_id"], row["occurred_at"]
            earliest[account_id] = min(earliest.get(account_id, occurred_at), occurred_at)
        # Each account's first_seen_at moves back to its earliest new event, if earlier.
        move_first_seen_back(earliest)
        outcome.account_ids = set(earliest)
        return outcome

    def _apply(self, report: IngestReport, pending: dict[int, dict], outcome: "_Stored") -> None:
        for index, error in outcome.rejected.items():
            report.items[index].status = ItemStatus.REJECTED
            report.items[index].errors = [error]
        for index in outcome.duplicates:
            report.items[index].status = ItemStatus.DUPLICATE
        report.account_ids.update(outcome.account_ids)


@dataclass
class _Stored:
    """What one successful attempt of _Ingestion._store did."""

    rejected: dict[int, ItemError] = field(default_factory=dict)
    duplicates: set[int] = field(default_factory=set)
    account_ids: set[int] = field(default_factory=set)


class _InteractionIngestion(_Ingestion):
    model = Interaction
    item_class = InteractionItem
    catalogue = Touchpoint
    catalogue_field = "touchpoint"

    def clean(self, item: InteractionItem, checks: Checks, catalogue) -> dict:
        return {
            "client_id": checks(clean_text, item.client_id, "clientId", 128, required=True),
            "touchpoint": self.catalogue_row(checks, item.touchpoint, catalogue),
            "occurred_at": checks(clean_timestamp, item.occurred_at, "occurredAt", now=self.now),
            "source": checks(clean_text, item.source, "source", 100),
            "medium": checks(clean_text, item.medium, "medium", 100),
            "campaign": checks(clean_text, item.campaign, "campaign", 200),
            "cost": checks(clean_amount, item.cost, "cost", minimum=Decimal(0), digits=12),
            "properties": checks(clean_properties, item.properties),
        }


def _client_id(value: Any) -> str:
    client_id = clean_text(value, "clientId", 128, required=True)
    if client_id.startswith(RULE_CLIENT_ID_PREFIX):
        raise ItemInvalid(
            "clientId",
            f"Client ids starting with {RULE_CLIENT_ID_PREFIX!r} are kept for milestones "
            "derived from rules.",
            "reserved",
        )
    return client_id


class _AchievementIngestion(_Ingestion):
    model = MilestoneAchievement
    item_class = AchievementItem
    catalogue = Milestone
    catalogue_field = "milestone"

    def clean(self, item: AchievementItem, checks: Checks, catalogue) -> dict:
        milestone = self.catalogue_row(checks, item.milestone, catalogue)
        value = checks(clean_amount, item.value, "value", minimum=Decimal(0))
        return {
            "client_id": checks(_client_id, item.client_id),
            "milestone": milestone,
            "occurred_at": checks(clean_timestamp, item.occurred_at, "occurredAt", now=self.now),
            "value": milestone.value if value is None and milestone is not None else value,
            "currency": checks(clean_currency, item.currency),
            "properties": checks(clean_properties, item.properties),
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
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ItemInvalid("scale", "Must be a whole number.", "invalid_type")
    if isinstance(value, str) and NUL in value:
        raise ItemInvalid("scale", NUL_MESSAGE, NUL_CODE)
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
    item_class = FeedbackItem
    catalogue = Touchpoint
    catalogue_field = "touchpoint"

    def run(self, items: Sequence) -> IngestReport:
        if len(items) <= MAX_BATCH:
            given = [
                item.get("stage") if isinstance(item, dict) else getattr(item, "stage", None)
                for item in items
            ]
            wanted = {stage_pk(value) for value in given if value not in (None, "")}
            self.stages = set(
                Stage.objects.filter(workspace=self.workspace, pk__in=wanted - {None})
                .order_by()
                .values_list("pk", flat=True)
            )
        return super().run(items)

    def clean(self, item: FeedbackItem, checks: Checks, catalogue) -> dict:
        instrument = checks(_instrument, item.instrument)
        bounds = score = None
        if instrument is not None:
            failed = len(checks.errors)
            bounds = checks(clean_scale, instrument, item.scale)
            if len(checks.errors) == failed:
                score = checks(clean_score, instrument, item.score, bounds)
        comment = checks(clean_text, item.comment, "comment", MAX_COMMENT)
        if instrument == Instrument.TEXT and comment == "":
            checks.errors.append(
                ItemError("comment", "A TEXT response needs a comment.", "required")
            )
        touchpoint = None
        if item.touchpoint not in (None, ""):
            touchpoint = self.catalogue_row(checks, item.touchpoint, catalogue)
        stage_id = None
        if item.stage not in (None, ""):
            stage_id = stage_pk(item.stage)
            if stage_id not in self.stages:
                checks.errors.append(ItemError("stage", "Stage not found.", "not_found"))
        return {
            "client_id": checks(clean_text, item.client_id, "clientId", 128, required=True),
            "instrument": instrument,
            "occurred_at": checks(clean_timestamp, item.occurred_at, "occurredAt", now=self.now),
            "score": score,
            "scale_min": bounds[0] if bounds else None,
            "scale_max": bounds[1] if bounds else None,
            "comment": comment,
            "source": checks(clean_text, item.source, "source", 64),
            "touchpoint": touchpoint,
            "stage_id": stage_id,
            "properties": checks(clean_properties, item.properties),
        }


def _instrument(value: Any) -> str:
    instrument = clean_text(value, "instrument", 8, required=True).lower()
    if instrument not in Instrument.values:
        raise ItemInvalid(
            "instrument",
            f"Unknown instrument {instrument!r}: NPS, CSAT, CES, RATING or TEXT.",
            "invalid_choice",
        )
    return instrument


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
