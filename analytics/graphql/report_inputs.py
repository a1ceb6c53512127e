"""What every report kind's GraphQL input shares: turning it into stored parameters."""

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any

from strawberry import UNSET, relay


def stored_value(value: Any) -> Any:
    """A GraphQL value as stored in JSON: enums by value, date-times in ISO 8601, global
    ids as their text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [stored_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, relay.GlobalID):
        return str(value)
    return value


class ReportParametersInput:
    """Mixed into each kind's input type (a strawberry input, so a dataclass)."""

    def to_parameters(self) -> dict[str, Any]:
        """The parameters given, by their stored (snake_case) names; left-out and null
        fields are left out, so they take their defaults."""
        return {
            item.name: stored_value(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if getattr(self, item.name) not in (UNSET, None)
        }
