"""The timeline of an account or a contact: its interactions, milestone achievements and
feedback responses merged in time order, read one page at a time with keyset cursors.

Entries are totally ordered by (occurred_at, kind, id), where an interaction sorts before
a milestone achievement of the same instant (the interaction may have caused it), and both
before a feedback response (an answer about what just happened).
Oldest first walks that order up, newest first walks it down: one is the exact reverse
of the other.

A page costs one query per kind (plus whatever `prepare` adds, e.g. a prefetch per
relation), whatever its size: each kind's next `first + 1` rows after the cursor come
from its (workspace, account|contact, occurred_at, id) index, and the two sorted runs
are merged in Python - at most 2 * (first + 1) rows, never the account's whole history.
A cursor names a position, not an offset: events recorded between two pages neither
repeat nor hide entries on the later page (a new event is seen from its own position:
at the top of a newest-first timeline, at the end of an oldest-first one).
"""

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, Contact, FeedbackResponse, Interaction, MilestoneAchievement
from journeys.models import StageMilestone, StageTouchpoint, Touchpoint
from workspaces.models import Workspace


class EntryKind(StrEnum):
    """What a timeline entry is. The declaration order is the order at equal times."""

    INTERACTION = "interaction"
    MILESTONE = "milestone"
    FEEDBACK = "feedback"


class TimelineOrder(StrEnum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


MODELS: dict[EntryKind, type[Model]] = {
    EntryKind.INTERACTION: Interaction,
    EntryKind.MILESTONE: MilestoneAchievement,
    EntryKind.FEEDBACK: FeedbackResponse,
}
_RANK = {kind: rank for rank, kind in enumerate(EntryKind)}
_DEFAULT_RELATED = {
    EntryKind.INTERACTION: "touchpoint",
    EntryKind.MILESTONE: "milestone",
    EntryKind.FEEDBACK: "touchpoint",
}


class InvalidCursor(ValueError):
    """The cursor was not given out by this timeline (or not for this order)."""


@dataclass(frozen=True)
class TimelineFilters:
    """Which entries a timeline shows; an empty collection means "no filter".

    `touchpoint_ids` and `channels` select interactions, `milestone_ids` selects
    achievements. Once either side is selected, a kind whose side is not selected is left
    out (filtering by touchpoint shows no achievements, unless milestones are selected
    too); within a side every given filter must match. `stage_id` applies to both kinds:
    interactions at touchpoints placed in the stage, achievements of milestones that exit
    it, and feedback responses that name it. Feedback responses show unless touchpoints,
    channels or milestones are selected. `kinds` and the time range (at or after
    `occurred_after`, strictly before `occurred_before`) apply to every kind.
    """

    kinds: frozenset[EntryKind] = frozenset()
    touchpoint_ids: frozenset[int] = frozenset()
    channels: frozenset[str] = frozenset()
    milestone_ids: frozenset[int] = frozenset()
    stage_id: int | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None

    def includes(self, kind: EntryKind) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        selected = {
            EntryKind.INTERACTION: bool(self.touchpoint_ids or self.channels),
            EntryKind.MILESTONE: bool(self.milestone_ids),
            EntryKind.FEEDBACK: False,
        }
        return selected[kind] or not any(selected.values())


@dataclass(frozen=True)
class Position:
    """Where an entry sits in the timeline's total order."""

    occurred_at: datetime
    kind: EntryKind
    id: int

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.occurred_at, _RANK[self.kind], self.id)


@dataclass(frozen=True)
class TimelineEntry:
    kind: EntryKind
    event: Interaction | MilestoneAchievement | FeedbackResponse
    cursor: str


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    has_next_page: bool

    @property
    def start_cursor(self) -> str | None:
        return self.entries[0].cursor if self.entries else None

    @property
    def end_cursor(self) -> str | None:
        return self.entries[-1].cursor if self.entries else None


# Cursors: base64("timeline:<asc|desc>:<microseconds since the epoch, UTC>:<kind>:<id>").
CURSOR_PREFIX = "timeline"
_ORDER_CODES = {TimelineOrder.OLDEST_FIRST: "asc", TimelineOrder.NEWEST_FIRST: "desc"}
_CURSOR = re.compile(
    r"timeline:(asc|desc):(-?\d{1,18}):(interaction|milestone|feedback):(\d{1,19})"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**63 - 1  # a bigint: larger ids would be a database error, not "no rows"


def encode_cursor(order: TimelineOrder, position: Position) -> str:
    micros = (position.occurred_at - _EPOCH) // timedelta(microseconds=1)
    text = f"{CURSOR_PREFIX}:{_ORDER_CODES[order]}:{micros}:{position.kind}:{position.id}"
    return base64.b64encode(text.encode()).decode("ascii")


def decode_cursor(value: str) -> tuple[TimelineOrder, Position]:
    """The order and position a cursor names; InvalidCursor unless this module made it."""
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("ascii")
    except (UnicodeError, binascii.Error) as error:
        raise InvalidCursor("Not a timeline cursor.") from error
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise InvalidCursor("Not a timeline cursor.")
    order_code, micros, kind, pk = match.groups()
    try:
        occurred_at = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError as error:
        raise InvalidCursor("Not a timeline cursor.") from error
    if not 0 < int(pk) <= _MAX_ID:
        raise InvalidCursor("Not a timeline cursor.")
    order = next(order for order, code in _ORDER_CODES.items() if code == order_code)
    return order, Position(occurred_at, EntryKind(kind), int(pk))


def is_timeline_cursor(value: str) -> bool:
    try:
        decode_cursor(value)
    except InvalidCursor:
        return False
    return True


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC."""
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


def _filtered(kind: EntryKind, queryset: QuerySet, workspace, filters: TimelineFilters):
    if filters.occurred_after is not None:
        queryset = queryset.filter(occurred_at__gte=_aware(filters.occurred_after))
    if filters.occurred_before is not None:
        queryset = queryset.filter(occurred_at__lt=_aware(filters.occurred_before))
    if kind is EntryKind.INTERACTION:
        if filters.touchpoint_ids:
            queryset = queryset.filter(touchpoint_id__in=filters.touchpoint_ids)
        if filters.channels:
            by_channel = Touchpoint.objects.filter(
                workspace=workspace, channel__in=filters.channels
            )
            queryset = queryset.filter(touchpoint_id__in=by_channel.values("id"))
        if filters.stage_id is not None:
            placed = StageTouchpoint.objects.filter(workspace=workspace, stage_id=filters.stage_id)
            queryset = queryset.filter(touchpoint_id__in=placed.values("touchpoint_id"))
    elif kind is EntryKind.FEEDBACK:
        if filters.stage_id is not None:
            queryset = queryset.filter(stage_id=filters.stage_id)
    else:
        if filters.milestone_ids:
            queryset = queryset.filter(milestone_id__in=filters.milestone_ids)
        if filters.stage_id is not None:
            exits = StageMilestone.objects.filter(workspace=workspace, stage_id=filters.stage_id)
            queryset = queryset.filter(milestone_id__in=exits.values("milestone_id"))
    return queryset


def _beyond(position: Position, kind: EntryKind, order: TimelineOrder) -> Q:
    """Rows of `kind` that come after `position` in `order`, as index-friendly ranges."""
    oldest_first = order is TimelineOrder.OLDEST_FIRST
    past, past_or_at = ("gt", "gte") if oldest_first else ("lt", "lte")
    moment = position.occurred_at
    if kind is position.kind:
        return Q(**{f"occurred_at__{past_or_at}": moment}) & (
            Q(**{f"occurred_at__{past}": moment}) | Q(**{f"id__{past}": position.id})
        )
    # At the cursor's instant, the other kind's rows all come after it or all before it.
    later_at_same_time = (_RANK[kind] > _RANK[position.kind]) == oldest_first
    return Q(**{f"occurred_at__{past_or_at if later_at_same_time else past}": moment})


def _select_related(queryset: QuerySet) -> QuerySet:
    kind = next(kind for kind, model in MODELS.items() if model is queryset.model)
    return queryset.select_related(_DEFAULT_RELATED[kind], "contact")


def account_timeline(
    *,
    workspace: Workspace,
    account: Account | None = None,
    contact: Contact | None = None,
    first: int,
    after_cursor: str | None = None,
    filters: TimelineFilters | None = None,
    order: TimelineOrder = TimelineOrder.NEWEST_FIRST,
    prepare: Callable[[QuerySet], QuerySet] | None = None,
) -> TimelinePage:
    """One page of the interactions and achievements of an account, of a contact, or of a
    contact at an account (both given), after `after_cursor` (an entry's cursor).

    `prepare` gets each kind's queryset before it is ordered and sliced, to load related
    rows; by default the touchpoint or milestone and the contact are joined in.
    Raises InvalidCursor for a cursor this function did not give out for this order.
    """
    if account is None and contact is None:
        raise ValueError("account_timeline needs an account or a contact")
    if first < 0:
        raise ValueError("first must not be negative")
    filters = filters or TimelineFilters()
    position = None
    if after_cursor is not None:
        cursor_order, position = decode_cursor(after_cursor)
        if cursor_order is not order:
            raise InvalidCursor("This cursor belongs to the timeline in the other order.")

    descending = order is TimelineOrder.NEWEST_FIRST
    ordering = ("-occurred_at", "-id") if descending else ("occurred_at", "id")
    candidates: list[tuple[Position, Model]] = []
    for kind, model in MODELS.items():
        if not filters.includes(kind):
            continue
        queryset = model._default_manager.filter(workspace=workspace)
        if account is not None:
            queryset = queryset.filter(account_id=account.pk)
        if contact is not None:
            queryset = queryset.filter(contact_id=contact.pk)
        queryset = _filtered(kind, queryset, workspace, filters)
        if position is not None:
            queryset = queryset.filter(_beyond(position, kind, order))
        queryset = (prepare or _select_related)(queryset).order_by(*ordering)[: first + 1]
        candidates.extend(_positioned(kind, queryset))

    candidates.sort(key=lambda item: item[0].key, reverse=descending)
    entries = [
        TimelineEntry(kind=where.kind, event=event, cursor=encode_cursor(order, where))
        for where, event in candidates[:first]
    ]
    return TimelinePage(entries=entries, has_next_page=len(candidates) > first)


def _positioned(kind: EntryKind, rows: Iterable) -> list[tuple[Position, Model]]:
    return [(Position(row.occurred_at, kind, row.pk), row) for row in rows]
