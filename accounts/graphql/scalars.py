"""Lenient scalars for ingestion: a malformed value rejects its item, not the whole batch."""

from typing import Any, NewType

import strawberry

EventTime = NewType("EventTime", str)
Amount = NewType("Amount", str)


def _as_given(value: Any) -> Any:
    return value


SCALARS = {
    EventTime: strawberry.scalar(
        name="EventTime",
        description="An ISO 8601 date-time with a UTC offset, e.g. 2026-05-01T09:30:00Z. "
        "Checked per item: a bad value rejects only its item.",
        serialize=str,
        parse_value=_as_given,
    ),
    Amount: strawberry.scalar(
        name="Amount",
        description='A decimal amount as a string or a number, e.g. "1250.00". Checked per '
        "item: a bad value rejects only its item.",
        serialize=str,
        parse_value=_as_given,
    ),
}
