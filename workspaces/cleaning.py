"""Checks every app applies to text and times from outside, before a database sees them.

- Text: PostgreSQL stores no NUL character (U+0000) in text or JSON, so a NUL anywhere in
  a value is refused up front, with a code, instead of failing the insert.
- Times: a date-time needs a UTC offset within the widest real time zone (+-14:00) and a
  moment between EARLIEST and LATEST; it is converted to UTC, so that no database or
  later date arithmetic meets an offset or a year it cannot represent.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from iso3166 import countries_by_alpha2

NUL = "\x00"
MAX_OFFSET = timedelta(hours=14)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class MomentInvalid(ValueError):
    """A date-time that cannot be taken; `code` says why."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def has_nul(value: Any) -> bool:
    """Whether a NUL character is in the text, or in any key or text inside a JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


NUL_MESSAGE = "Contains a NUL character (\\u0000), which cannot be stored."
NUL_CODE = "invalid_character"


def clean_moment(value: Any, *, naive_ok: bool = False) -> datetime:
    """An aware date-time, in UTC, from a datetime or an ISO 8601 string (MomentInvalid).
    With `naive_ok`, one without an offset is checked as if in UTC and given back naive,
    for the caller to decide on (the API's DateTime scalar leaves that to each field)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        if NUL in value:
            raise MomentInvalid(NUL_MESSAGE, NUL_CODE)
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30 or +24:00
            parsed = None
        if parsed is None:
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise MomentInvalid(f"{shown!r} is not an ISO 8601 date-time.")
    else:
        raise MomentInvalid("Must be an ISO 8601 date-time as text.", "invalid_type")
    offset = parsed.utcoffset()
    if offset is None and naive_ok:
        clean_moment(parsed.replace(tzinfo=UTC))
        return parsed
    if offset is None:
        raise MomentInvalid(
            "Give the time zone, e.g. 2026-05-01T09:30:00Z or +02:00.", "naive_datetime"
        )
    if abs(offset) > MAX_OFFSET:
        raise MomentInvalid("The UTC offset must be within -14:00 and +14:00.", "invalid_offset")
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise MomentInvalid(
            f"Out of range: from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC).", "out_of_range"
        )
    return moment


def validate_country(value: str) -> None:
    """An ISO 3166-1 alpha-2 country code, upper case (e.g. DE); blank is allowed."""
    if value and value not in countries_by_alpha2:
        raise ValidationError(
            "%(value)s is not an ISO 3166-1 alpha-2 country code, e.g. DE.",
            code="invalid_country",
            params={"value": repr(value[:8])},
        )
