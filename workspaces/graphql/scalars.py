"""The DateTime scalar of the whole API: checked by `workspaces.cleaning.clean_moment`, so
an impossible offset or year is refused where it is given, with a code, never stored or
handed to a query."""

import datetime as dt

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

from workspaces.cleaning import MomentInvalid, clean_moment


class MomentCoercionError(StrawberryInputCoercionError):
    """A refused date-time; the code travels in the error's extensions."""

    def __init__(self, error: MomentInvalid) -> None:
        super().__init__(
            f"Value cannot represent a DateTime: {error.message}",
            extensions={"code": "INVALID_DATETIME", "reason": error.code},
        )


def _parse_datetime(value: object) -> dt.datetime:
    try:
        return clean_moment(value, naive_ok=True)
    except MomentInvalid as error:
        raise MomentCoercionError(error) from None


DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date-time with a UTC offset within +-14:00, from 1900-01-01 "
    "to 2999-12-31 (UTC), e.g. 2026-05-01T09:30:00Z.",
    serialize=dt.datetime.isoformat,
    parse_value=_parse_datetime,
)

SCALARS = {dt.datetime: DateTime}
