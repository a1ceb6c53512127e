"""What checking a report kind's parameters shares: collecting field errors, refusing
unknown names, filling in defaults."""

from typing import Any

from django.core.exceptions import ValidationError


class FieldErrors:
    """Errors by field (the API's camelCase names), raised together."""

    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def with_defaults(
    errors: FieldErrors, label: str, raw: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    """The given parameters over the defaults (null: the default); a name that is not a
    parameter is an error of its own."""
    for name in sorted(set(raw) - set(defaults)):
        errors.add(name, f"Not a parameter of {label} reports.")
    return defaults | {name: value for name, value in raw.items() if value is not None}


def is_whole(value: Any, low: int, high: int) -> bool:
    """A whole number (not a bool) from low to high."""
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high
